/**
 * View queries answered from the native index (native-view-index.ts), with the answers of
 * pouchdb-abstract-mapreduce 9 over its own index databases, parameter for parameter — the same
 * steps in the same order, so the same errors and the same quirks:
 *
 * - `key`, `keys` (each key's rows in doc id order, keys in the order given; `descending` ignored;
 *   `skip`/`limit` applied to the joined rows; an empty list answers no rows), `startkey`/`endkey`
 *   and `start_key`/`end_key` (the first two win), `inclusive_end`, `descending`, `limit`, `skip`,
 *   `include_docs` (+ `conflicts`, `attachments`; a value with an `_id` joins that document),
 *   `update_seq` (the index's seq), `reduce=false`.
 * - Where PouchDB and CouchDB differ, CouchDB's documented answer: `startkey_docid` (alias
 *   `start_key_doc_id`) and `endkey_docid` (`end_key_doc_id`) bound the range within the start and
 *   end keys (ignored without them, as CouchDB ignores them), `inclusive_end` then applying to the
 *   end (key, doc id) pair. PouchDB ignores both parameters.
 * - `total_rows` is the number of rows of the whole view (not of the range); `offset` is the
 *   `skip` asked for (0 without), not the position of the first row.
 * - Errors: a missing design document or view (404 `not_found`), a view without a string map,
 *   a start key after the end key (400 `query_parse_error`), a negative `limit`/`skip`.
 *
 * What stays with PouchDB's path (sandboxed-mapreduce.ts): views with a reduce function, temporary
 * views, databases with purges, maps that do not compile, adapters other than LevelDB and memory,
 * and a server started with `viewIndex: 'pouchdb'`.
 */
import { NotFoundError, QueryParseError } from 'pouchdb-mapreduce-utils'
import { collation } from './one-pass-index'
import { type NativeIndex, nativeIndex, nativeSpec, NotNativeError, type NativeSpec, type SourceDb, type StoredRow, supportsNative } from './native-view-index'

/** Answered when the query is for PouchDB's path. */
export const NOT_NATIVE = Symbol('not native')

export type NativeDb = SourceDb & {
  __opts?: { prefix?: string; stats2ViewIndex?: string }
  allDocs(options: Record<string, unknown>): Promise<{ rows: Array<{ id: string; doc?: Record<string, unknown> | null }> }>
  once(event: string, listener: (...args: unknown[]) => void): unknown
  emit?(event: 'error', error: unknown): unknown
}

type Opts = Record<string, unknown>

interface Row {
  key: unknown
  id: unknown
  value: unknown
  doc?: unknown
}

function coerceInteger(candidate: unknown): unknown {
  if (candidate === undefined) return undefined
  const asNumber = Number(candidate)
  return !isNaN(asNumber) && asNumber === parseInt(candidate as string, 10) ? asNumber : candidate
}

function checkPositiveInteger(value: unknown): Error | undefined {
  if (!value) return undefined
  if (typeof value !== 'number') return new QueryParseError(`Invalid value for integer: "${String(value)}"`)
  if (value < 0) return new QueryParseError(`Invalid value for positive integer: "${value}"`)
  return undefined
}

function checkQueryParseError(options: Opts, fun: { reduce?: unknown }): void {
  const startkeyName = options.descending ? 'endkey' : 'startkey'
  const endkeyName = options.descending ? 'startkey' : 'endkey'
  if (options[startkeyName] !== undefined && options[endkeyName] !== undefined && collation.collate(options[startkeyName], options[endkeyName]) > 0) {
    throw new QueryParseError('No rows can match your key range, reverse your start_key and end_key or set {descending : true}')
  } else if (fun.reduce && options.reduce !== false) {
    const keys = options.keys as unknown[] | undefined
    if (options.include_docs) throw new QueryParseError('{include_docs:true} is invalid for reduce')
    else if (keys && keys.length > 1 && !options.group && !options.group_level) {
      throw new QueryParseError('Multi-key fetches for reduce views must use {group: true}')
    }
  }
  for (const name of ['group_level', 'limit', 'skip']) {
    const error = checkPositiveInteger(options[name])
    if (error) throw error
  }
}

function sliceResults<T>(results: T[], limit: unknown, skip: unknown): T[] {
  const from = (skip as number) || 0
  if (typeof limit === 'number') return results.slice(from, limit + from)
  if (from > 0) return results.slice(from)
  return results
}

function uniq<T>(values: T[]): T[] {
  return [...new Set(values)]
}

/** A row as pouchdb-abstract-mapreduce reads it from its index (including its old-format migration). */
function toRow(stored: StoredRow): Row {
  if (stored.value !== '') {
    const value = JSON.parse(stored.value) as unknown
    // PouchDB took a stored value of exactly {id, key, value} for a row of its oldest format.
    if (typeof value === 'object' && value !== null && Object.keys(value).sort().join(',') === 'id,key,value') return value as Row
    const [key, id] = collation.parseIndexableString(stored.key)
    return { key, id, value }
  }
  const [key, id] = collation.parseIndexableString(stored.key)
  return { key, id, value: null }
}

/** PouchDB's allDocs over the index database, with the view options the abstract map/reduce builds. */
async function fetchRows(index: NativeIndex, view: number, viewOpts: Opts): Promise<Row[]> {
  let gte = viewOpts.startkey ? (viewOpts.startkey as string) : undefined
  let lte = viewOpts.endkey ? (viewOpts.endkey as string) : undefined
  if (viewOpts.descending) [gte, lte] = [lte, gte]
  // An exclusive end at a (key, doc id) pair (ascending only): rows strictly before it.
  const lt = viewOpts.endBefore as string | undefined
  let limit = typeof viewOpts.limit === 'number' ? viewOpts.limit : undefined
  if (limit === 0 || (gte !== undefined && lte !== undefined && gte > lte) || (gte !== undefined && lt !== undefined && gte >= lt)) return []
  let skip = (viewOpts.skip as number) || 0
  const rows: Row[] = []
  const bounded = limit !== undefined && Number.isInteger(limit) && Number.isInteger(skip) && limit > 0 && skip >= 0
  await index.scan(view, { gte, lte, lt, reverse: Boolean(viewOpts.descending), limit: bounded ? limit! + skip : undefined }, (stored) => {
    if (skip-- > 0) return true
    if (limit !== undefined && limit-- <= 0) return false
    rows.push(toRow(stored))
    return true
  })
  return rows
}

/** A doc id bound as CouchDB reads it: the raw text (express-pouchdb has JSON-parsed query values where it could). */
function docIdParameter(opts: Opts, name: string, alias: string): string | undefined {
  const value = name in opts ? opts[name] : opts[alias]
  if (value === undefined || value === null) return undefined
  return typeof value === 'string' ? value : JSON.stringify(value)
}

const rowToDocId = (row: Row): unknown => {
  const value = row.value as { _id?: unknown } | null
  return (value && typeof value === 'object' && value._id) || row.id
}

/** queryViewInQueue of pouchdb-abstract-mapreduce, reading the native index. */
async function answer(db: NativeDb, index: NativeIndex, view: number, opts: Opts): Promise<Record<string, unknown>> {
  const skip = (opts.skip as number) || 0
  if (opts.keys !== undefined && !(opts.keys as unknown[]).length) {
    opts.limit = 0
    delete opts.keys
  }
  const { rows, totalRows, seq } = await index.read(async () => {
    let rows: Row[]
    if (opts.keys !== undefined) {
      const parts = await Promise.all((opts.keys as unknown[]).map((key) =>
        fetchRows(index, view, { startkey: collation.toIndexableString([key]), endkey: collation.toIndexableString([key, {}]) })
      ))
      rows = parts.flat()
    } else {
      const viewOpts: Opts = { descending: opts.descending }
      let startkey: unknown
      let endkey: unknown
      if ('start_key' in opts) startkey = opts.start_key
      if ('startkey' in opts) startkey = opts.startkey
      if ('end_key' in opts) endkey = opts.end_key
      if ('endkey' in opts) endkey = opts.endkey
      if (startkey !== undefined) viewOpts.startkey = collation.toIndexableString(opts.descending ? [startkey, {}] : [startkey])
      if (endkey !== undefined) {
        let inclusiveEnd = opts.inclusive_end !== false
        if (opts.descending) inclusiveEnd = !inclusiveEnd
        viewOpts.endkey = collation.toIndexableString(inclusiveEnd ? [endkey, {}] : [endkey])
      }
      const startDocId = docIdParameter(opts, 'startkey_docid', 'start_key_doc_id')
      const endDocId = docIdParameter(opts, 'endkey_docid', 'end_key_doc_id')
      if (opts.key === undefined) {
        // Rows sort by (key, doc id); a document emitting one key twice has rows [key, id, i] after [key, id].
        if (startkey !== undefined && startDocId !== undefined) {
          viewOpts.startkey = collation.toIndexableString(opts.descending ? [startkey, startDocId, {}] : [startkey, startDocId])
        }
        if (endkey !== undefined && endDocId !== undefined) {
          const inclusiveEnd = opts.inclusive_end !== false
          if (opts.descending) viewOpts.endkey = collation.toIndexableString(inclusiveEnd ? [endkey, endDocId] : [endkey, endDocId, {}])
          else if (inclusiveEnd) viewOpts.endkey = collation.toIndexableString([endkey, endDocId, {}])
          else {
            viewOpts.endBefore = collation.toIndexableString([endkey, endDocId])
            delete viewOpts.endkey
          }
        }
      }
      if (opts.key !== undefined) {
        const keyStart = collation.toIndexableString([opts.key])
        const keyEnd = collation.toIndexableString([opts.key, {}])
        if (viewOpts.descending) {
          viewOpts.endkey = keyStart
          viewOpts.startkey = keyEnd
        } else {
          viewOpts.startkey = keyStart
          viewOpts.endkey = keyEnd
        }
      }
      if (typeof opts.limit === 'number') viewOpts.limit = opts.limit
      viewOpts.skip = skip
      rows = await fetchRows(index, view, viewOpts)
    }
    return { rows, totalRows: index.counts[view], seq: index.seq }
  })
  const result: Record<string, unknown> = {
    total_rows: totalRows,
    offset: skip,
    rows: opts.keys === undefined ? rows : sliceResults(rows, opts.limit, opts.skip)
  }
  if (opts.update_seq) result.update_seq = seq
  if (opts.include_docs) {
    const docIds = uniq(rows.map(rowToDocId))
    const found = await db.allDocs({ keys: docIds, include_docs: true, conflicts: opts.conflicts, attachments: opts.attachments, binary: opts.binary })
    const docs = new Map(found.rows.map((row) => [row.id, row.doc]))
    for (const row of rows) {
      const doc = docs.get(rowToDocId(row) as string)
      if (doc) row.doc = doc
    }
  }
  return result
}

/** Compiled specs per database instance and design document, while its revision stays. */
const specs = new WeakMap<object, Map<string, { rev: unknown; spec: NativeSpec | undefined }>>()

function specOf(db: NativeDb, ddoc: { _id: string; _rev?: string; views?: unknown }): NativeSpec | undefined {
  const known = specs.get(db)?.get(ddoc._id)
  if (known && known.rev === ddoc._rev) return known.spec
  const spec = nativeSpec(ddoc, (error) => {
    // As PouchDB's update does: an 'error' event on the database (the server logs it).
    try {
      db.emit?.('error', error)
    } catch {
      // nobody listens: nothing to tell
    }
  })
  if (!specs.has(db)) specs.set(db, new Map())
  specs.get(db)!.set(ddoc._id, { rev: ddoc._rev, spec })
  return spec
}

/**
 * A design-document view query from the native index, or NOT_NATIVE for PouchDB's path. `stale`
 * is 'ok' (answer as the index is), 'update_after' (answer, then update) or anything else (update,
 * then answer: queries during an update wait for that one update).
 */
export async function queryNative(db: NativeDb, fun: string, rawOpts: Opts): Promise<unknown> {
  if (!supportsNative(db) || db.__opts?.stats2ViewIndex === 'pouchdb') return NOT_NATIVE
  const opts: Opts = { ...rawOpts }
  opts.group_level = coerceInteger(opts.group_level)
  opts.limit = coerceInteger(opts.limit)
  opts.skip = coerceInteger(opts.skip)
  const [ddocName, viewName] = fun.indexOf('/') === -1 ? [fun, fun] : fun.split('/')
  const ddoc = (await db.get(`_design/${ddocName}`)) as { _id: string; _rev?: string; views?: Record<string, { map?: unknown; reduce?: unknown }> }
  const view = ddoc.views && ddoc.views[viewName!]
  if (!view) throw new NotFoundError(`ddoc ${ddoc._id} has no view named ${viewName}`)
  if (typeof view.map !== 'string') {
    throw new NotFoundError(`ddoc ${ddoc._id} has no string view named ${viewName}, instead found object of type: ${typeof view.map}`)
  }
  checkQueryParseError(opts, view)
  if (view.reduce) return NOT_NATIVE
  const spec = specOf(db, ddoc)
  const position = spec?.views.indexOf(viewName!) ?? -1
  if (!spec || position < 0) return NOT_NATIVE
  const index = await nativeIndex(db, spec)
  try {
    if (opts.stale === 'ok') return await answer(db, index, position, opts)
    if (opts.stale === 'update_after') {
      const result = await answer(db, index, position, opts)
      index.refresh(db).catch(() => undefined) // a failure shows on the next query that waits for it
      return result
    }
    await index.refresh(db)
    return await answer(db, index, position, opts)
  } catch (error) {
    if (error instanceof NotNativeError) return NOT_NATIVE
    throw error
  }
}
