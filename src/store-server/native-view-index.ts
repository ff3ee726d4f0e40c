/**
 * The embedded server's own view index ("native"), as CouchDB keeps one: per database and design
 * document signature (its map-only views), one plain LevelDB folder `<db>-mrview-native-<md5>`
 * beside the database, holding
 *
 * - `r<view>:<indexable [key, doc id(, n)]>` → the row's value as JSON ('' for none): one entry
 *   per row, in CouchDB collation order (pouchdb-collate's indexable strings, the keys PouchDB's
 *   own index documents have), so a query is one range iteration;
 * - `b<doc id>` → the row keys the document has now (to remove them when it changes or goes);
 * - `m` → `{format, uuid (the source database's), views, seq (last indexed update_seq), counts
 *   (rows per view: total_rows)}`, written in the same atomic batch as the rows it describes.
 *
 * PouchDB's own index writes every row as a document (revision tree, by-seq entry, a
 * `_local/doc_<id>` lookup per document): this one writes plain keys, all views in one pass over
 * `changes` since the stored seq, in large batches, and on a first build reads no back-index at all.
 * On the in-memory store (tests, `--in-memory`) the same index lives in memdown.
 *
 * The folder holds nothing its database does not: a damaged one is moved into `_damaged-copies`
 * (as the start-up check does for every `-mrview-` folder) and built again; one of another
 * database (same name, recreated: its uuid differs) or of another format is emptied and rebuilt.
 */
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createLogger } from '../main/log/logger'
import { COPIES_DIR } from './check/damage'
import { checkLevelDbFolder } from './check/leveldb-folder'
import { keyedRows } from './one-pass-index'
import { mapRunner } from './map-process'
import { compileMapPagesInWorker } from './sandbox'

const log = createLogger('store')

/** Bumped when the layout above changes: an index of another format is rebuilt. */
const FORMAT = 1
export const NATIVE_INFIX = '-mrview-native-'
/** Documents per page of the changes feed: whole documents are held (two pages at a time), so bounded for memory. */
export const NATIVE_BATCH = 300

// ---------------------------------------------------------------------------------------------
// LevelDB (leveldown, the native build the PouchDB adapter itself uses) or memdown, callback API

type Callback<T = void> = (error?: Error | null, value?: T) => void
interface Iter {
  next(callback: (error?: Error | null, key?: string, value?: string) => void): void
  end(callback: Callback): void
}
interface Down {
  open(options: Record<string, unknown>, callback: Callback): void
  close(callback: Callback): void
  get(key: string, options: Record<string, unknown>, callback: Callback<string>): void
  batch(ops: BatchOp[], options: Record<string, unknown>, callback: Callback): void
  iterator(options: Record<string, unknown>): Iter
}
type BatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string }

const fromAdapter = (adapter: string, module: string): ((location: string) => Down) =>
  createRequire(require.resolve(adapter))(module) as (location: string) => Down

function call<T = void>(run: (done: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))))
}

const isNotFound = (error: unknown): boolean => /notfound/i.test((error as Error)?.message ?? '')

// ---------------------------------------------------------------------------------------------
// Design documents

export interface NativeSpec {
  /** Map-only views of the design document, in name order (their position is their key prefix). */
  views: string[]
  hash: string
  /** Per document of a page, per view: the emitted pairs (undefined where the map threw); in a map process, under the deadline. */
  run: (docs: ReadonlyArray<Record<string, unknown>>) => Promise<Array<Array<Array<[unknown, unknown]> | undefined>>>
}

interface DesignDoc {
  _id: string
  _rev?: string
  views?: unknown
}

/** The views the native index takes: a string map and no reduce (reduce views stay with PouchDB). */
function mapOnlyViews(ddoc: DesignDoc): Array<[string, string]> {
  const views = ddoc.views
  if (!views || typeof views !== 'object' || Array.isArray(views)) return []
  return Object.keys(views)
    .sort()
    .flatMap((name): Array<[string, string]> => {
      const view = (views as Record<string, unknown>)[name] as { map?: unknown; reduce?: unknown } | null
      return view && typeof view === 'object' && typeof view.map === 'string' && !view.reduce ? [[name, view.map]] : []
    })
}

/** Index signature of a design document's map-only views (CouchDB's: the functions, not the document's id). */
export function nativeHash(ddoc: DesignDoc): string | undefined {
  const views = mapOnlyViews(ddoc)
  if (views.length === 0) return undefined
  return createHash('md5').update(JSON.stringify({ format: FORMAT, views })).digest('hex')
}

/** The compiled spec, or undefined when a map does not compile (PouchDB's path then reports it as it does). */
export function nativeSpec(ddoc: DesignDoc, onMapError: (error: unknown) => void): NativeSpec | undefined {
  const views = mapOnlyViews(ddoc)
  const hash = nativeHash(ddoc)
  if (!hash) return undefined
  try {
    const names = views.map(([name]) => `${ddoc._id}/_view/${name}`)
    return { views: views.map(([name]) => name), hash, run: compileMapPagesInWorker(views.map(([, map]) => map), onMapError, names, mapRunner(hash)) }
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// The index

/** The members of a PouchDB database the index reads. */
export interface SourceDb {
  name: string
  adapter?: string
  __opts?: { prefix?: string }
  id(): Promise<string>
  get(id: string): Promise<Record<string, unknown>>
  changes(options: Record<string, unknown>): Promise<{ results: Array<{ id: string; seq: number; doc?: Record<string, unknown> & { _id: string; _deleted?: boolean } }> }>
}

interface Meta {
  format: number
  uuid: string
  views: string[]
  seq: number
  counts: number[]
}

const rowPrefix = (view: number): string => `r${view.toString(36).padStart(4, '0')}:`
const rowEnd = (view: number): string => `r${view.toString(36).padStart(4, '0')};`
const viewOfKey = (key: string): number => parseInt(key.slice(1, 5), 36)

/** A stored row: its indexable key (without the view prefix) and its value's JSON ('' for none). */
export interface StoredRow {
  key: string
  value: string
}

/** The PouchDB path must answer: the index cannot be used for this database (purges). */
export class NotNativeError extends Error {
  override name = 'NotNativeError'
}

export class NativeIndex {
  seq = 0
  counts: number[]
  private readers = 0
  private writing: Promise<void> | undefined
  private drained: (() => void) | undefined
  private update: { running: Promise<void>; queued?: Promise<void> } | undefined
  private closed = false

  constructor(
    readonly path: string,
    private readonly down: Down,
    readonly spec: NativeSpec,
    private readonly uuid: string,
    meta: Meta | undefined
  ) {
    this.seq = meta?.seq ?? 0
    this.counts = meta?.counts ?? spec.views.map(() => 0)
  }

  /** Rows of one view in [gte, lte] or [gte, lt) (indexable strings, either open), in order or reversed; `visit` answers false to stop. */
  async scan(view: number, range: { gte?: string; lte?: string; lt?: string; reverse: boolean; limit?: number }, visit: (row: StoredRow) => boolean): Promise<void> {
    const prefix = rowPrefix(view)
    const options: Record<string, unknown> = { reverse: range.reverse, keyAsBuffer: false, valueAsBuffer: false, gte: prefix + (range.gte ?? '') }
    if (range.lt !== undefined && (range.lte === undefined || range.lt <= range.lte)) options.lt = prefix + range.lt
    else if (range.lte !== undefined) options.lte = prefix + range.lte
    else options.lt = rowEnd(view)
    if (range.limit !== undefined) options.limit = range.limit
    const iterator = this.down.iterator(options)
    try {
      for (;;) {
        const entry = await new Promise<[string, string] | undefined>((resolve, reject) =>
          iterator.next((error, key, value) => (error ? reject(error) : resolve(key === undefined ? undefined : [String(key), String(value)])))
        )
        if (!entry || !visit({ key: entry[0].slice(prefix.length), value: entry[1] })) break
      }
    } finally {
      await call((done) => iterator.end(done))
    }
  }

  /** Runs `read` while no batch is being written: it sees one consistent state of rows, counts and seq. */
  async read<T>(read: () => Promise<T>): Promise<T> {
    while (this.writing) await this.writing
    this.readers++
    try {
      return await read()
    } finally {
      if (--this.readers === 0) this.drained?.()
    }
  }

  private async write(ops: BatchOp[], seq: number, counts: number[]): Promise<void> {
    const meta: Meta = { format: FORMAT, uuid: this.uuid, views: this.spec.views, seq, counts }
    ops.push({ type: 'put', key: 'm', value: JSON.stringify(meta) })
    this.writing = (async () => {
      while (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve))
      this.drained = undefined
      await call((done) => this.down.batch(ops, {}, done))
      this.seq = seq
      this.counts = counts
    })()
    try {
      await this.writing
    } finally {
      this.writing = undefined
    }
  }

  /**
   * Brings the index up to the database's current state. One update at a time: callers arriving
   * while one runs share the next one (writes made after the running one started are not in it).
   */
  refresh(source: SourceDb): Promise<void> {
    const run = (): Promise<void> => this.catchUp(source)
    if (!this.update) {
      const state: { running: Promise<void>; queued?: Promise<void> } = { running: run() }
      this.update = state
      const next = (): void => {
        if (state.queued) {
          state.running = state.queued
          state.queued = undefined
          void state.running.then(next, next)
        } else {
          this.update = undefined
        }
      }
      void state.running.then(next, next)
      return state.running
    }
    this.update.queued ??= this.update.running.then(run, run)
    return this.update.queued
  }

  private async catchUp(source: SourceDb): Promise<void> {
    if (this.closed) throw new Error(`the view index ${this.path} is closed`)
    const purges = await source.get('_local/purges').then(() => true, (error: { status?: number }) => {
      if (error.status === 404) return false
      throw error
    })
    if (purges) throw new NotNativeError('the database has purges: PouchDB indexes it')
    // Nothing committed yet: no document has rows, so none needs its old rows read (unless the
    // feed lists it a second time during this build, when it changed meanwhile).
    const seen = this.seq === 0 ? new Set<string>() : undefined
    const started = Date.now()
    let documents = 0
    type Page = Awaited<ReturnType<SourceDb['changes']>>
    const page = (since: number): Promise<Page> => {
      const read = source.changes({ since, limit: NATIVE_BATCH, include_docs: true, conflicts: true, style: 'all_docs', return_docs: true })
      read.catch(() => undefined) // awaited below; not an unhandled rejection if this page fails first
      return read
    }
    // The next page is read (LevelDB's reads run on libuv's threads) while this one is mapped and written.
    let next: Promise<Page> | undefined = page(this.seq)
    while (next) {
      const { results }: Page = await next
      if (results.length === 0) break
      next = results.length < NATIVE_BATCH ? undefined : page(results[results.length - 1]!.seq)
      const docs = results.filter((change) => change.doc && !change.doc._id.startsWith('_')).map((change) => change.doc!)
      const previous = await Promise.all(docs.map((doc) => (seen && !seen.has(doc._id) ? undefined : this.backIndex(doc._id))))
      const counts = [...this.counts]
      const ops: BatchOp[] = []
      const mapped = await this.spec.run(docs.filter((doc) => !doc._deleted))
      let live = 0
      docs.forEach((doc, d) => {
        const id = doc._id
        seen?.add(id)
        const emitted = doc._deleted ? undefined : mapped[live++]
        const keys: string[] = []
        this.spec.views.forEach((_, v) => {
          const prefix = rowPrefix(v)
          for (const [key, row] of keyedRows(id, emitted?.[v] ?? [])) {
            const full = prefix + key
            keys.push(full)
            ops.push({ type: 'put', key: full, value: 'value' in row ? JSON.stringify(row.value) : '' })
          }
        })
        const old = previous[d] ?? []
        if (old.length === 0) {
          for (const key of keys) counts[viewOfKey(key)]!++
        } else {
          const now = new Set(keys)
          const before = new Set(old)
          for (const key of old) {
            if (now.has(key)) continue
            ops.push({ type: 'del', key })
            counts[viewOfKey(key)]!--
          }
          for (const key of keys) if (!before.has(key)) counts[viewOfKey(key)]!++
        }
        if (keys.length > 0) ops.push({ type: 'put', key: `b${id}`, value: JSON.stringify(keys) })
        else if (old.length > 0) ops.push({ type: 'del', key: `b${id}` })
      })
      documents += docs.length
      await this.write(ops, results[results.length - 1]!.seq, counts)
    }
    if (documents > 0) log.debug(`view index ${this.path}: ${documents} documents indexed in ${Date.now() - started} ms (seq ${this.seq})`)
  }

  private async backIndex(id: string): Promise<string[] | undefined> {
    try {
      return JSON.parse(await call<string>((done) => this.down.get(`b${id}`, { asBuffer: false }, done))) as string[]
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }

  /** Waits for a running update (it fails once the database is closed), then closes the LevelDB. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const update = this.update
    if (update) await Promise.allSettled([update.running, update.queued])
    while (this.writing) await this.writing.catch(() => undefined)
    await call((done) => this.down.close(done))
  }
}

// ---------------------------------------------------------------------------------------------
// Where indexes live, opening them once

/** Open (or opening) indexes by location; each knows the database instances that use it. */
const open = new Map<string, { index: Promise<NativeIndex>; owners: Set<SourceDb> }>()
/** memdown keeps its data per location string in a process-wide store: a fresh name per open. */
let memoryCounter = 0

/** The folder of the database's LevelDB (`prefix + name`), or undefined for an in-memory database. */
function databaseFolder(db: SourceDb): string | undefined {
  return db.adapter === 'leveldb' ? (db.__opts?.prefix ?? '') + db.name : undefined
}

export function nativeFolderName(dbName: string, hash: string): string {
  return `${dbName}${NATIVE_INFIX}${hash}`
}

/** Only LevelDB and memory databases get the native index (an adapter it does not know stays with PouchDB). */
export function supportsNative(db: SourceDb): boolean {
  return db.adapter === 'leveldb' || db.adapter === 'memory'
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-')
}

async function setAside(path: string, why: string): Promise<void> {
  const copies = join(dirname(path), COPIES_DIR)
  await fs.mkdir(copies, { recursive: true, mode: 0o700 })
  const target = join(copies, `${path.slice(dirname(path).length + 1)}-${stamp()}`)
  await fs.rename(path, target)
  log.warn(`The view index ${path} was damaged (${why}); moved to ${target}, it is built again`)
}

/**
 * A larger write buffer than LevelDB's 4 MB: a first build writes rows in no key order, and fewer,
 * larger level-0 files mean less compaction. A 1 MB block cache, as the store's databases have
 * (LEVELDB_CACHE_BYTES in embedded-couch.ts: the operating system caches the blocks anyway).
 */
const LEVELDB_OPTIONS = { createIfMissing: true, writeBufferSize: 16 * 1024 * 1024, cacheSize: 1024 * 1024 }

async function openDown(location: string, memory: boolean): Promise<Down> {
  if (memory) {
    const down = fromAdapter('pouchdb-adapter-memory', 'memdown')(location)
    await call((done) => down.open({}, done))
    return down
  }
  // LevelDB opened on a folder without its CURRENT file starts afresh and deletes the tables: a
  // damaged folder is set aside first, as the start-up check does.
  const check = await checkLevelDbFolder(location)
  if (check.state === 'damaged') await setAside(location, check.problems.join('; '))
  const down = fromAdapter('pouchdb-adapter-leveldb', 'leveldown')(location)
  try {
    await call((done) => down.open(LEVELDB_OPTIONS, done))
  } catch (error) {
    if (/lock/i.test((error as Error).message)) throw error
    await setAside(location, (error as Error).message)
    await call((done) => down.open(LEVELDB_OPTIONS, done))
  }
  return down
}

async function readMeta(down: Down): Promise<Meta | undefined> {
  try {
    return JSON.parse(await call<string>((done) => down.get('m', { asBuffer: false }, done))) as Meta
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

/** Every key of the index, deleted (an index of another database or format: derived data only). */
async function empty(down: Down): Promise<void> {
  const iterator = down.iterator({ keyAsBuffer: false, values: false })
  let ops: BatchOp[] = []
  try {
    for (;;) {
      const key = await new Promise<string | undefined>((resolve, reject) => iterator.next((error, k) => (error ? reject(error) : resolve(k === undefined ? undefined : String(k)))))
      if (key === undefined) break
      ops.push({ type: 'del', key })
      if (ops.length >= 10_000) {
        await call((done) => down.batch(ops, {}, done))
        ops = []
      }
    }
  } finally {
    await call((done) => iterator.end(done))
  }
  if (ops.length > 0) await call((done) => down.batch(ops, {}, done))
}

async function openIndex(db: SourceDb, spec: NativeSpec, location: string): Promise<NativeIndex> {
  const memory = databaseFolder(db) === undefined
  const down = await openDown(location, memory)
  try {
    const uuid = await db.id()
    let meta = await readMeta(down)
    const matches = meta && meta.format === FORMAT && meta.uuid === uuid && JSON.stringify(meta.views) === JSON.stringify(spec.views) && meta.counts?.length === spec.views.length
    if (meta && !matches) {
      log.info(`The view index ${location} belongs to another database or format; it is built again`)
      await empty(down)
      meta = undefined
    }
    return new NativeIndex(location, down, spec, uuid, meta)
  } catch (error) {
    await call((done) => down.close(done)).catch(() => undefined)
    throw error
  }
}

/** The native index of `spec` on `db`, opened once per location and shared by every instance of that database. */
export function nativeIndex(db: SourceDb & { once(event: string, listener: (...args: unknown[]) => void): unknown }, spec: NativeSpec): Promise<NativeIndex> {
  const folder = databaseFolder(db)
  const location = folder === undefined ? `stats2-native-view-${db.name}-${spec.hash}` : join(dirname(folder), nativeFolderName(db.name, spec.hash))
  const key = folder === undefined ? `${location}\u0000${(db as { __opts?: { prefix?: string } }).__opts?.prefix ?? ''}` : location
  let entry = open.get(key)
  if (!entry) {
    const memoryLocation = folder === undefined ? `${location}-${process.pid}-${memoryCounter++}` : location
    const opened = openIndex(db, spec, memoryLocation)
    entry = { index: opened, owners: new Set() }
    open.set(key, entry)
    opened.catch(() => open.delete(key))
  }
  if (!entry.owners.has(db)) {
    entry.owners.add(db)
    const current = entry
    const release = (): void => {
      if (!current.owners.delete(db) || current.owners.size > 0) return
      if (open.get(key) === current) open.delete(key)
      closing.add(current.index.then((index) => index.close()).catch((error: unknown) => log.warn(`Closing the view index ${location}: ${(error as Error).message}`)))
    }
    db.once('closed', release)
    db.once('destroyed', release)
  }
  return entry.index
}

/** Closes of indexes whose databases closed, still under way. */
const closing = new Set<Promise<unknown>>()

/** Waits until every index whose database was closed is closed too (the server's close waits for it). */
export async function nativeIndexesClosed(): Promise<void> {
  while (closing.size > 0) {
    const pending = [...closing]
    await Promise.allSettled(pending)
    for (const done of pending) closing.delete(done)
  }
}

/**
 * `_view_cleanup`: deletes the native index folders of `db` that no design document needs any
 * more. Only folders named `<db>-mrview-native-<md5>` beside the database are touched (derived
 * index data, never documents); an open one is closed first.
 */
export async function cleanUpNative(db: SourceDb & { allDocs(options: Record<string, unknown>): Promise<{ rows: Array<{ doc?: Record<string, unknown> | null }> }> }): Promise<string[]> {
  const folder = databaseFolder(db)
  const { rows } = await db.allDocs({ startkey: '_design/', endkey: '_design0', include_docs: true })
  const needed = new Set(rows.flatMap((row) => (row.doc ? [nativeHash(row.doc as unknown as DesignDoc)] : [])).filter((hash): hash is string => hash !== undefined))
  const removed: string[] = []
  if (folder === undefined) return removed
  const dir = dirname(folder)
  const pattern = new RegExp(`^${db.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${NATIVE_INFIX}([0-9a-f]{32})$`)
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const hash = pattern.exec(entry.name)?.[1]
    if (!entry.isDirectory() || !hash || needed.has(hash)) continue
    const path = join(dir, entry.name)
    const opened = open.get(path)
    if (opened) {
      open.delete(path)
      await opened.index.then((index) => index.close()).catch(() => undefined)
    }
    await fs.rm(path, { recursive: true, force: true })
    removed.push(entry.name)
  }
  if (removed.length > 0) log.info(`view cleanup of ${db.name}: removed ${removed.join(', ')}`)
  return removed
}
