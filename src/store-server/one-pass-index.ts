/**
 * Brings every view of a design document up to date in one pass over the changed documents, as
 * CouchDB does, instead of pouchdb-abstract-mapreduce's one pass per view (seven reads of a
 * 200 000-document store, each document serialised seven times). The indexes written are the
 * same PouchDB view databases, in the same format (a key/value document per emitted row, keyed by
 * the indexable string of [key, doc id]; a `_local/doc_<id>` document listing a document's keys;
 * `_local/lastSeq`), so queries, view cleanup and a later per-view update read them unchanged.
 *
 * The views themselves are created (and registered for cleanup) by the abstract map/reduce with a
 * `stale=ok` query; their objects are then taken from the source database's view cache. Anything
 * this module cannot do exactly as the per-view update would (a database with purges, a view that
 * does not compile, a missing cache entry) is left to the per-view update.
 */
import { createRequire } from 'node:module'
import { compileMapPages } from './sandbox'

/** What the abstract map/reduce keeps per view (pouchdb-abstract-mapreduce 9 `createView`). */
interface ViewObject {
  name: string
  db: PouchLike
  seq: number | string
  mapFun: unknown
  reduceFun: unknown
}

interface PouchDoc {
  _id: string
  _rev?: string
  _deleted?: boolean
  value?: unknown
  keys?: string[]
  seq?: unknown
}

interface Change {
  id: string
  seq: number
  changes: Array<{ rev: string }>
  doc?: PouchDoc & Record<string, unknown>
}

export interface PouchLike {
  name: string
  get(id: string): Promise<PouchDoc & Record<string, unknown>>
  info(): Promise<{ db_name: string }>
  changes(options: Record<string, unknown>): Promise<{ results: Change[]; last_seq: number }>
  allDocs(options: { keys: string[]; include_docs: true }): Promise<{ rows: Array<{ key: string; doc?: PouchDoc | null }> }>
  bulkDocs(body: { docs: PouchDoc[] }): Promise<Array<{ error?: string; reason?: string; id?: string }>>
  _cachedViews?: Record<string, Promise<ViewObject> | undefined>
  emit?(event: 'error', error: unknown): unknown
}

interface Collate {
  collate(a: unknown, b: unknown): number
  normalizeKey(key: unknown): unknown
  toIndexableString(key: unknown): string
  parseIndexableString(text: string): unknown[]
}

// The collation of the abstract map/reduce's own copy of pouchdb-collate: the index format is its.
export const collation = createRequire(createRequire(__filename).resolve('pouchdb-abstract-mapreduce'))('pouchdb-collate') as Collate

/** Documents per pass of the changes feed (the per-view update reads 50 at a time; whole documents, so bounded for memory). */
export const INDEX_BATCH = 200

export interface Emitted {
  key: unknown
  value?: unknown
}

/** View signature as the abstract map/reduce computes it: the cache key of its view objects. */
function signature(map: string, reduce: unknown): string {
  return map + (reduce ? String(reduce) : 'undefined') + 'undefined'
}

/** Emitted rows of one document in one view: sorted, keyed by the indexable string of [key, id(, i)]. */
export function keyedRows(id: string, emitted: ReadonlyArray<[unknown, unknown]>): Map<string, Emitted> {
  const rows = emitted.map(([key, value]): Emitted => {
    const row: Emitted = { key: collation.normalizeKey(key) }
    if (value !== undefined && value !== null) row.value = collation.normalizeKey(value)
    return row
  })
  rows.sort((a, b) => collation.collate(a.key, b.key) || collation.collate(a.value, b.value))
  const keyed = new Map<string, Emitted>()
  rows.forEach((row, i) => {
    // Equal keys from one document stay distinct rows: the position joins the key.
    const duplicate = i > 0 && collation.collate(row.key, rows[i - 1]!.key) === 0
    keyed.set(collation.toIndexableString(duplicate ? [row.key, id, i] : [row.key, id]), row)
  })
  return keyed
}

const isFirstRevision = (changes: Change['changes']): boolean => changes.length === 1 && changes[0]!.rev.startsWith('1-')

async function getOr<T>(read: Promise<T>, fallback: T): Promise<T> {
  try {
    return await read
  } catch (error) {
    if ((error as { status?: number }).status === 404) return fallback
    throw error
  }
}

/** The documents one view's index needs written for one batch: key/value rows, per-document key lists, the sequence. */
async function indexWrites(view: ViewObject, batch: ReadonlyArray<{ change: Change; rows: Map<string, Emitted> }>, seq: number): Promise<PouchDoc[]> {
  const metas = await Promise.all(batch.map(({ change }) => {
    const empty: PouchDoc = { _id: `_local/doc_${change.id}`, keys: [] }
    return isFirstRevision(change.changes) ? empty : getOr(view.db.get(empty._id), empty)
  }))
  const oldKeys = metas.flatMap((meta) => meta.keys ?? [])
  const oldRows = new Map<string, PouchDoc>()
  if (oldKeys.length > 0) {
    const answer = await view.db.allDocs({ keys: oldKeys, include_docs: true })
    for (const row of answer.rows) if (row.doc) oldRows.set(row.key, row.doc)
  }
  const writes: PouchDoc[] = []
  batch.forEach(({ rows }, index) => {
    const meta = metas[index]!
    const previous = meta.keys ?? []
    for (const key of previous) {
      const old = oldRows.get(key)
      if (!old) continue
      const now = rows.get(key)
      if (now === undefined) {
        old._deleted = true
      } else if ('value' in now) {
        old.value = now.value
      }
      writes.push(old)
    }
    const previousSet = new Set(previous.filter((key) => oldRows.has(key)))
    for (const [key, row] of rows) {
      if (previousSet.has(key)) continue
      writes.push('value' in row ? { _id: key, value: row.value } : { _id: key })
    }
    // As the per-view update keeps it: new keys first, then every key this document ever had.
    meta.keys = [...new Set([...rows.keys(), ...previous])]
    writes.push(meta)
  })
  const lastSeq = await getOr<PouchDoc>(view.db.get('_local/lastSeq'), { _id: '_local/lastSeq', seq: 0 })
  lastSeq.seq = seq
  writes.push(lastSeq)
  return writes
}

export interface OnePassResult {
  /** Views brought up to date by this pass (by name). */
  views: string[]
  /** Source documents read. */
  documents: number
}

interface PreparedViews {
  rev: string | undefined
  /** The view cache entries the views came from: a destroyed view (cleanup) drops its entry. */
  entries: Array<Promise<ViewObject> | undefined>
  views: Array<{ name: string; view: ViewObject }>
  skipped: string[]
  run: (docs: ReadonlyArray<Record<string, unknown>>) => Array<Array<Array<[unknown, unknown]> | undefined>>
}

/** Views prepared per database instance and design document, reused while the design document is unchanged. */
const prepared = new WeakMap<PouchLike, Map<string, PreparedViews>>()

async function prepareViews(db: PouchLike, ddocId: string, ddoc: DesignDoc, createView: (viewName: string) => Promise<unknown>): Promise<PreparedViews | undefined> {
  const known = prepared.get(db)?.get(ddocId)
  const sigs = (names: string[]): string[] => names.map((name) => signature(ddoc.views![name]!.map as string, ddoc.views![name]!.reduce))
  if (known && known.rev === ddoc._rev && sigs(known.views.map((v) => v.name)).every((sig, i) => db._cachedViews?.[sig] === known.entries[i])) return known

  const names = Object.keys(ddoc.views ?? {}).filter((name) => typeof ddoc.views![name]!.map === 'string')
  const views: Array<{ name: string; view: ViewObject }> = []
  const entries: Array<Promise<ViewObject> | undefined> = []
  const skipped: string[] = []
  for (const name of names) {
    await createView(name)
    const entry = db._cachedViews?.[sigs([name])[0]!]
    const view = await entry
    if (view) {
      views.push({ name, view })
      entries.push(entry)
    } else {
      skipped.push(name)
    }
  }
  let run: PreparedViews['run']
  try {
    run = compileMapPages(views.map(({ view }) => String(view.mapFun)), (error) => {
      // As the per-view update does: an 'error' event on the database (the server logs it).
      try {
        db.emit?.('error', error)
      } catch {
        // nobody listens: nothing to tell
      }
    }, views.map(({ name }) => `${ddocId}/_view/${name}`))
  } catch {
    return undefined
  }
  const result: PreparedViews = { rev: ddoc._rev, entries, views, skipped, run }
  if (!prepared.has(db)) prepared.set(db, new Map())
  prepared.get(db)!.set(ddocId, result)
  return result
}

interface DesignDoc {
  _rev?: string
  views?: Record<string, { map?: unknown; reduce?: unknown }>
}

/**
 * Updates every view of `ddocId` on `db` that it can, in one pass. `createView(viewName)` must make
 * the abstract map/reduce create the view (a `stale=ok` query). Views it could not take are
 * returned apart, for the per-view update.
 */
export async function updateDesignDocument(
  db: PouchLike,
  ddocId: string,
  createView: (viewName: string) => Promise<unknown>
): Promise<OnePassResult & { skipped: string[] }> {
  const ddoc = (await db.get(ddocId)) as DesignDoc
  const names = Object.keys(ddoc.views ?? {})
  const purges = await getOr<unknown>(db.get('_local/purges'), undefined)
  if (purges !== undefined) return { views: [], documents: 0, skipped: names }
  const ready = await prepareViews(db, ddocId, ddoc, createView)
  if (!ready) return { views: [], documents: 0, skipped: names }
  const { views, skipped, run } = ready
  if (views.length === 0) return { views: [], documents: 0, skipped }

  const seqOf = (view: ViewObject): number => Number(view.seq) || 0
  let since = Math.min(...views.map(({ view }) => seqOf(view)))
  let documents = 0
  for (;;) {
    const { results } = await db.changes({ since, limit: INDEX_BATCH, include_docs: true, conflicts: true, style: 'all_docs', return_docs: true })
    if (results.length === 0) break
    const perView = views.map(() => [] as Array<{ change: Change; rows: Map<string, Emitted> }>)
    const todo: Array<{ change: Change; doc: PouchDoc & Record<string, unknown>; wanted: boolean[] }> = []
    for (const change of results) {
      const doc = change.doc
      if (!doc || doc._id.startsWith('_')) continue
      const wanted = views.map(({ view }) => seqOf(view) < change.seq)
      if (wanted.some(Boolean)) todo.push({ change, doc, wanted })
    }
    // One call per map for the page (the deadline's cost is per call); past it, nothing is written.
    const mapped = run(todo.filter(({ doc }) => !doc._deleted).map(({ doc }) => doc))
    let live = 0
    for (const { change, doc, wanted } of todo) {
      documents++
      const emitted = doc._deleted ? undefined : mapped[live++]
      views.forEach((_, v) => {
        if (wanted[v]) perView[v]!.push({ change, rows: keyedRows(doc._id, emitted?.[v] ?? []) })
      })
    }
    const last = results[results.length - 1]!.seq
    await Promise.all(views.map(async ({ view }, v) => {
      if (seqOf(view) >= last) return
      const writes = await indexWrites(view, perView[v]!, last)
      const answers = await view.db.bulkDocs({ docs: writes })
      const failed = answers.find((answer) => answer.error)
      if (failed) throw new Error(`index ${view.name}: ${failed.error} ${failed.reason ?? ''} (${failed.id ?? ''})`)
      view.seq = last
    }))
    since = last
    if (results.length < INDEX_BATCH) break
  }
  return { views: views.map(({ name }) => name), documents, skipped }
}
