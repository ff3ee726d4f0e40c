/**
 * The embedded CouchDB-protocol server: when the operator has no DB_URL, the app and the CLI serve
 * their store with express-pouchdb (pouchdb-core 9, LevelDB on disk or memdown in memory) on
 * 127.0.0.1 and talk to it with nano exactly as to a real CouchDB.
 *
 * - Writes need the generated server admin (`<dataDir>/admin.json`, mode 0600), reads are
 *   anonymous: the same split as Stats2's production CouchDB (whose `validate_write` design
 *   document the store layer creates).
 * - One process per data folder (`<dataDir>/stats2.lock`, see store-lock.ts).
 * - Routes that crash express-pouchdb are guarded (couch-guards.ts).
 *
 * What this server answers, measured with express-pouchdb 4.2.0 + pouchdb 9 (LevelDB):
 * - `GET /<db>`: `{db_name, doc_count, update_seq (a number), backend_adapter: "LevelDOWN",
 *   adapter: "leveldb", auto_compaction: false, disk_size, instance_start_time}`. There is no
 *   `sizes` object (no `sizes.file`, `sizes.active`, `sizes.external`) and no `data_size`.
 *   `disk_size` is the byte size of the database's LevelDB folder only (view indexes live in
 *   separate `<dataDir>/<db>-mrview-<hash>` folders and are not counted). In memory:
 *   `adapter: "memory"`, `backend_adapter: "MemDOWN"` and no `disk_size` at all.
 * - `POST /<db>/_compact` (admin, JSON content type): runs PouchDB's compaction (drops the bodies of
 *   non-leaf revisions) and answers 202 `{"ok":true}` only once it has finished (0.75 s for 2 000
 *   documents of 3 KB with 5 revisions each). `disk_size` shrinks at once but not fully (10.8 MB
 *   to 5.7 MB there, 4.9 MB after LevelDB's own compaction on the next open). In memory it answers
 *   202 too. `POST /<db>/_compact/<ddoc>` is not supported (400 only_multipart_accepted).
 * - `POST /<db>/_view_cleanup` (admin): 200 `{"ok":true}`, deletes the index folders of views that
 *   no design document defines any more.
 * - Both answer 401 `unauthorized` for non-admins.
 */
import { randomBytes } from 'node:crypto'
import { promises as fs, constants as fsConstants, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve, sep } from 'node:path'
import express from 'express'
import expressPouchDB from 'express-pouchdb'
import { getOrCreateDB } from 'express-pouchdb/lib/create-or-delete-dbs'
import PouchDBCore from 'pouchdb-core'
import LevelAdapter from 'pouchdb-adapter-leveldb'
import MemoryAdapter from 'pouchdb-adapter-memory'
import { SandboxedMapReduce } from './sandboxed-mapreduce'
import { nativeIndexesClosed } from './native-view-index'
import { stopMapProcesses } from './map-process'
import Replication from 'pouchdb-replication'
import { createLogger } from '../main/log/logger'
import {
  couchErrorHandler,
  couchGuard,
  DB_NAME_PATTERN,
  type DesignDocLookup,
  guardChangesFeed,
  localHostOnly,
  viewErrorReporter
} from './couch-guards'
import { acquireStoreLock, lockHolderPid, readLock, StoreInUseError, type StoreLock } from './store-lock'
import { COPIES_DIR, isIndexFolder, refuseDamagedStore, StoreDamagedError } from './check/damage'
import { forgetInManifest, STORE_MANIFEST, writeStoreManifest } from './check/store-manifest'
import { ADMIN_BODY_LIMIT, type AnonymousAccess, couchAccess } from './couch-access'
import { type AnswerDb, couchAnswers, parseJsonBody, sanitizeExpressPouchErrors } from './couch-answers'
import { couchFeeds, type FeedDb } from './couch-feeds'
import { keepReplicatedRevisions } from './replicated-writes'
import { EmbeddedCouchError } from './errors'
import { sandboxValidateFunctions } from './design-functions'
import { DEFAULT_FUNCTION_TIMEOUT_MS, setFunctionTimeout } from './sandbox'
import { DESIGN_DOC_ID, VIEW_NAMES } from '../shared/stats2-doc'

export { StoreInUseError } from './store-lock'
export { StoreDamagedError } from './check/damage'
export { EmbeddedCouchError } from './errors'

export interface EmbeddedCouch {
  /** http://127.0.0.1:<port>, without credentials. */
  url: string
  adminUser: string
  adminPassword: string
  /** 'Basic ' + base64(user:password) */
  authHeader: string
  /** '' for in-memory. */
  dataDir: string
  /** `_changes` feeds (longpoll, continuous) open now. */
  openFeeds(): number
  /** Stops listening, ends open feeds, closes every PouchDB, releases the lock; idempotent. */
  close(): Promise<void>
}

export interface EmbeddedCouchOptions {
  dataDir: string
  inMemory?: boolean
  /** 0 = a free port (default). */
  port?: number
  /** What anonymous callers may do: read `requests` and `settings` (default), or nothing (the product passes STATS2_STORE_ANONYMOUS). */
  anonymous?: AnonymousAccess
  /**
   * Deadline of each call into a design-document function (map, reduce, filter, validate) and of
   * each `_find`, in ms (default 5 000, CouchDB's `os_process_timeout`; the product passes
   * STATS2_STORE_FUNCTION_TIMEOUT_MS). Process-wide: the last server started in a process sets it.
   */
  functionTimeoutMs?: number
  /** Longest life of a `_changes` feed, heartbeat or not (default FEED_MAX_MS, 10 minutes). */
  feedMaxMs?: number
  /**
   * Which index answers design-document view queries: the server's own (`native`, default:
   * native-view-index.ts) or PouchDB's index databases (`pouchdb`: the reference the native one
   * is tested against).
   */
  viewIndex?: 'native' | 'pouchdb'
  /**
   * The Stats2 process this store serves when it runs in a process of its own (store-process.ts):
   * recorded in the folder's lock, so that a second start names the process an operator knows.
   */
  ownerPid?: number
  /** In memory only: this admin instead of a generated one (a restarted store process keeps its credentials). */
  admin?: { user: string; password: string }
}

export const ADMIN_USER = 'stats2-admin'
/** The databases non-admins may read (Stats2's two). */
export const READABLE_DBS = ['requests', 'settings'] as const
/** The views non-admins may query: the seven of the app's own design document. */
export const READER_VIEWS = VIEW_NAMES.map((view) => `${DESIGN_DOC_ID.slice('_design/'.length)}/${view}`)
export const ADMIN_FILE = 'admin.json'
const LOG_FILE = 'express-pouchdb.log'

const log = createLogger('store')

// ---------------------------------------------------------------------------------------------
// PouchDB

/** The members of a PouchDB instance used here. */
interface PouchInstance {
  name: string
  info(): Promise<Record<string, unknown>>
  get(id: string): Promise<Record<string, unknown>>
  close(): Promise<void>
  destroy(): Promise<unknown>
  on(event: string, listener: (...args: unknown[]) => void): unknown
  once(event: string, listener: (...args: unknown[]) => void): unknown
}

/** A PouchDB class (the constructor also works without `new`). */
interface PouchClass {
  new (name: string, options?: Record<string, unknown>): PouchInstance
  prototype: object
  defaults(options: Record<string, unknown>): PouchClass
  allDbs?: (callback?: (error: unknown, names?: string[]) => void) => Promise<string[]>
  [key: string]: unknown
}

let basePouch: PouchClass | undefined

/** pouchdb-core with the adapters and plugins; plugins land on PouchDB's (global) prototype once. */
function pouchWithPlugins(): PouchClass {
  if (!basePouch) {
    const core = PouchDBCore as { plugin(plugin: unknown): typeof core }
    basePouch = core.plugin(LevelAdapter).plugin(MemoryAdapter).plugin(SandboxedMapReduce).plugin(Replication) as unknown as PouchClass
  }
  return basePouch
}

interface ScopedPouch {
  PouchDB: PouchClass
  /** Every instance created through this server's class and not yet closed or destroyed. */
  instances: Set<PouchInstance>
  /** The databases of this server. */
  names: Set<string>
}

const isIndexDb = (name: string): boolean => name.includes('-mrview-')

/**
 * LevelDB's block cache per database (leveldown's default is 8 MB). The store opens nine (the two
 * databases and the seven view indexes), whose full caches were 70 MB of an update's peak memory;
 * the operating system's page cache holds the same blocks anyway (see README, "Performance").
 */
export const LEVELDB_CACHE_BYTES = 1024 * 1024

/**
 * A PouchDB class of this server only. PouchDB keeps some state process-wide (its event emitter,
 * its plugins), and pouchdb-all-dbs, the list of databases express-pouchdb uses by default, learns
 * about new databases from that global emitter: two embedded servers in one process would list each
 * other's databases. This class keeps its own list (seeded from the data folder) and knows its
 * instances, so that close() can close all of them.
 */
function scopedPouch(prefix: string, adapter: 'leveldb' | 'memory', existing: string[], viewIndex: 'native' | 'pouchdb' = 'native'): ScopedPouch {
  const WithDefaults = pouchWithPlugins().defaults({ prefix, adapter, cacheSize: LEVELDB_CACHE_BYTES, stats2ViewIndex: viewIndex })
  const instances = new Set<PouchInstance>()
  const names = new Set(existing)
  const reportViewError = viewErrorReporter(log)

  const track = (db: PouchInstance): void => {
    instances.add(db)
    db.once('created', () => {
      if (!isIndexDb(db.name)) names.add(db.name)
    })
    db.on('destroyed', (fromConstructor: unknown) => {
      // PouchDB tells every open instance of that *name* in the process (from_constructor = true),
      // other servers' databases included: only the instance that was destroyed counts.
      if (fromConstructor) return
      instances.delete(db)
      names.delete(db.name)
      // Deleted on purpose: no longer proof of a database that must exist (check/store-manifest.ts).
      if (adapter === 'leveldb' && !isIndexDb(db.name)) {
        forgetInManifest(prefix.slice(0, -1), [db.name]).catch((error: unknown) => log.warn(`${STORE_MANIFEST}: ${(error as Error).message}`))
      }
    })
    db.once('closed', () => instances.delete(db))
    // A map/reduce function that throws: logged once, instead of PouchDB's console output.
    db.on('error', (error: unknown) => reportViewError(db.name, error))
  }

  const Scoped = function (this: PouchInstance, name: string, options?: Record<string, unknown>) {
    if (!(this instanceof Scoped)) return new (Scoped as unknown as PouchClass)(name, options)
    ;(WithDefaults as unknown as (this: PouchInstance, ...args: unknown[]) => void).call(this, name, options)
    track(this)
  } as unknown as PouchClass

  Scoped.prototype = Object.create(WithDefaults.prototype, {
    constructor: { value: Scoped, writable: true, configurable: true }
  }) as object
  for (const key of Object.keys(WithDefaults)) {
    if (!(key in Scoped)) Scoped[key] = WithDefaults[key]
  }
  // express-pouchdb installs pouchdb-all-dbs only if allDbs() is missing or fails.
  Scoped.allDbs = (callback?: (error: unknown, names?: string[]) => void) => {
    const list = [...names].sort()
    if (callback) queueMicrotask(() => callback(null, list))
    return Promise.resolve(list)
  }
  return { PouchDB: Scoped, instances, names }
}

/**
 * One database of a data folder, opened with PouchDB directly (no server), for `stats2 store
 * repair` (it moves the feed checkpoint back when `requests` lost documents). The caller holds
 * the folder's lock and has checked the folder first.
 */
export async function withLocalDatabase<T>(dataDir: string, name: string, run: (db: Pick<PouchInstance, 'get'> & { put(doc: Record<string, unknown>): Promise<unknown> }) => Promise<T>): Promise<T> {
  const Pouch = pouchWithPlugins().defaults({ prefix: resolve(dataDir) + sep, adapter: 'leveldb' })
  const db = new Pouch(name) as PouchInstance & { put(doc: Record<string, unknown>): Promise<unknown> }
  try {
    return await run(db)
  } finally {
    await withTimeout(db.close(), 5_000, `closing ${name}`)
  }
}

/** Databases already in a LevelDB data folder (each one is a LevelDB folder of that name). */
async function existingDatabases(dataDir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await fs.readdir(dataDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || isIndexDb(entry.name)) continue
    if (!DB_NAME_PATTERN.test(entry.name) && !entry.name.startsWith('_')) continue
    const isLevelDb = await fs.access(join(dataDir, entry.name, 'CURRENT')).then(() => true, () => false)
    if (isLevelDb) found.push(entry.name)
  }
  return found
}

function isLevelDbLockError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error)
  return /\block\b/i.test(message) && /(already held|temporarily unavailable|in use|locked)/i.test(message)
}

/** Waits for `promise` at most `ms`; failures and timeouts are logged, never thrown. */
async function withTimeout(promise: Promise<unknown> | undefined, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), ms)
  })
  try {
    const result = await Promise.race([Promise.resolve(promise).then(() => 'ok' as const), timeout])
    if (result === 'timeout') log.warn(`Gave up ${what} after ${ms} ms`)
  } catch (error) {
    log.debug(`${what}: ${(error as Error).message ?? String(error)}`)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A damaged view index holds nothing that its database does not: it is moved (not deleted) into the
 * copies folder, and PouchDB builds it again on the next query.
 */
async function setAsideDamagedIndexes(dataDir: string, damaged: Array<{ name: string; path: string; problems: string[] }>): Promise<void> {
  for (const folder of damaged) {
    const target = join(dataDir, COPIES_DIR, `${folder.name}-${timestamp()}`)
    await fs.mkdir(join(dataDir, COPIES_DIR), { recursive: true, mode: 0o700 })
    await fs.rename(folder.path, target)
    log.warn(`The view index ${folder.name} was damaged (${folder.problems.join('; ')}); moved to ${target}, it is rebuilt on first use`)
  }
}

/** 2026-11-30T13-25-00-123Z: sortable and valid in file names everywhere. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-')
}

// ---------------------------------------------------------------------------------------------
// The store manifest (check/store-manifest.ts)

/**
 * Writes `store-manifest.json` at a clean close, once no request can write any more: every
 * database of the folder with its document count and update sequence, the view index folders with
 * data, the feed checkpoint. Failing to write it is logged, never fatal (the previous one stays).
 */
async function recordCleanClose(dataDir: string, scoped: ScopedPouch): Promise<void> {
  try {
    const databases: Record<string, { docCount: number; updateSeq: number | string }> = {}
    let checkpoint: string | number | undefined
    for (const name of [...scoped.names].sort()) {
      const db = new scoped.PouchDB(name)
      const info = await db.info()
      databases[name] = { docCount: Number(info.doc_count), updateSeq: info.update_seq as number | string }
      if (name === 'settings') {
        const settings = await db.get('all_settings').catch(() => undefined)
        const value = settings?.last_reqmgr_sequence
        if (typeof value === 'number' || typeof value === 'string') checkpoint = value
      }
    }
    const indexes: string[] = []
    for (const entry of await fs.readdir(dataDir, { withFileTypes: true })) {
      if (entry.isDirectory() && isIndexFolder(entry.name) && (await fs.access(join(dataDir, entry.name, 'CURRENT')).then(() => true, () => false))) indexes.push(entry.name)
    }
    await writeStoreManifest(dataDir, { closedAt: new Date().toISOString(), databases, indexes, ...(checkpoint === undefined ? {} : { checkpoint }) })
  } catch (error) {
    log.warn(`Could not write ${STORE_MANIFEST} at close: ${(error as Error).message}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Admin credentials

interface AdminCredentials {
  user: string
  password: string
}

function generateAdmin(): AdminCredentials {
  return { user: ADMIN_USER, password: randomBytes(24).toString('base64url') }
}

/** Reads `<dataDir>/admin.json`, or writes a new one (mode 0600) if it is missing or unreadable. */
async function loadOrCreateAdmin(dataDir: string): Promise<AdminCredentials> {
  const path = join(dataDir, ADMIN_FILE)
  try {
    const value = JSON.parse(await fs.readFile(path, 'utf8')) as Partial<AdminCredentials>
    if (typeof value.user === 'string' && /^[^:\s]+$/.test(value.user) && typeof value.password === 'string' && value.password.length >= 16) {
      const mode = (await fs.stat(path)).mode & 0o777
      if (mode & 0o077) await fs.chmod(path, 0o600)
      return { user: value.user, password: value.password }
    }
    log.warn(`${path} does not hold a usable admin; writing a new one`)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') log.warn(`${path} is unreadable (${code ?? (error as Error).message}); writing a new admin`)
  }
  const admin = generateAdmin()
  const temp = `${path}.${process.pid}.tmp`
  await fs.writeFile(temp, JSON.stringify(admin, null, 2) + '\n', { mode: 0o600 })
  await fs.chmod(temp, 0o600) // in case the umask or an old file got in the way
  await fs.rename(temp, path)
  return admin
}

// ---------------------------------------------------------------------------------------------
// express-pouchdb

/** The parts of express-pouchdb's app used here. */
interface ExpressPouchApp extends express.Express {
  setPouchDB(PouchDB: PouchClass): Promise<void>
  couchConfig: {
    set(section: string, key: string, value: unknown, callback: (error?: unknown) => void): void
  }
  dbWrapper: { registerWrapper(wrapper: (name: string, db: unknown, next: () => unknown) => unknown): void }
  daemonManager: { _daemons: Array<{ start?: (PouchDB: PouchClass) => unknown; stop?: (PouchDB: PouchClass) => unknown }> }
  couchLogger?: { _stream?: { end(callback?: () => void): void } }
}

interface RouterLayer {
  route?: unknown
}

/**
 * Puts `handler` into express-pouchdb's router just before its first route, i.e. after the
 * authentication middleware that sets `req.couchSession` (express 4 router internals).
 */
function insertBeforeRoutes(app: ExpressPouchApp, handler: express.RequestHandler): void {
  app.use(handler)
  const stack = (app as unknown as { _router?: { stack?: RouterLayer[] } })._router?.stack
  const index = stack?.findIndex((layer) => layer.route !== undefined) ?? -1
  if (!stack || index < 0) throw new EmbeddedCouchError('express-pouchdb has an unexpected router layout: cannot install the guards')
  const layer = stack.pop() as RouterLayer
  stack.splice(index, 0, layer)
}

function setConfig(app: ExpressPouchApp, section: string, key: string, value: unknown): Promise<void> {
  return new Promise((done, fail) => app.couchConfig.set(section, key, value, (error) => (error ? fail(error) : done())))
}

// ---------------------------------------------------------------------------------------------
// Start

function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.removeListener('listening', onListening)
      if (error.code === 'EADDRINUSE') fail(new EmbeddedCouchError(`127.0.0.1:${port} is already in use`))
      else if (error.code === 'EACCES') fail(new EmbeddedCouchError(`Not allowed to listen on 127.0.0.1:${port}`))
      else fail(new EmbeddedCouchError(`Cannot listen on 127.0.0.1:${port}: ${error.message}`))
    }
    const onListening = (): void => {
      server.removeListener('error', onError)
      done((server.address() as AddressInfo).port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, '127.0.0.1')
  })
}

function folderError(dataDir: string, error: unknown): EmbeddedCouchError {
  const err = error as NodeJS.ErrnoException
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a part of the path is a file',
    ENOSPC: 'the disk is full'
  }
  return new EmbeddedCouchError(`Cannot use ${dataDir} as the store folder: ${why[err.code ?? ''] ?? err.message}`)
}

export async function startEmbeddedCouch(options: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  const started = Date.now()
  const inMemory = options.inMemory === true
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new EmbeddedCouchError(`Invalid port ${String(options.port)}`)
  if (!inMemory && !options.dataDir) throw new EmbeddedCouchError('No data folder given for the store')
  const dataDir = inMemory ? '' : resolve(options.dataDir)
  const functionTimeoutMs = options.functionTimeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS
  if (!Number.isInteger(functionTimeoutMs) || functionTimeoutMs < 1) throw new EmbeddedCouchError(`Invalid function deadline ${String(options.functionTimeoutMs)} ms`)
  setFunctionTimeout(functionTimeoutMs)

  // Everything acquired so far, undone in reverse order by close() or by a failed start.
  const cleanups: Array<() => Promise<void>> = []
  const cleanup = async (): Promise<void> => {
    while (cleanups.length > 0) {
      const step = cleanups.pop() as () => Promise<void>
      await step().catch((error: unknown) => log.warn(`Closing the store: ${(error as Error).message ?? String(error)}`))
    }
  }

  try {
    // 1. Folder, lock, admin.
    let filesDir: string // express-pouchdb's log file (and its never-written config.json)
    let lock: StoreLock | undefined
    let admin: AdminCredentials
    if (inMemory) {
      const temp = await fs.mkdtemp(join(tmpdir(), 'stats2-store-'))
      // Removed by close(), or at exit if the process ends without it.
      const removeAtExit = (): void => rmSync(temp, { recursive: true, force: true })
      process.on('exit', removeAtExit)
      cleanups.push(async () => {
        process.removeListener('exit', removeAtExit)
        await fs.rm(temp, { recursive: true, force: true })
      })
      filesDir = temp
      admin = options.admin ?? generateAdmin()
    } else {
      try {
        await fs.mkdir(dataDir, { recursive: true, mode: 0o700 })
        await fs.access(dataDir, fsConstants.W_OK)
      } catch (error) {
        throw folderError(dataDir, error)
      }
      try {
        lock = await acquireStoreLock(dataDir, log, { ownerPid: options.ownerPid })
      } catch (error) {
        if (error instanceof StoreInUseError) throw error
        throw folderError(dataDir, error)
      }
      const held = lock
      cleanups.push(() => held.release())
      // Before LevelDB sees any folder: it would recreate a damaged database empty.
      await setAsideDamagedIndexes(dataDir, await refuseDamagedStore(dataDir))
      filesDir = dataDir
      admin = await loadOrCreateAdmin(dataDir).catch((error: unknown) => {
        throw folderError(dataDir, error)
      })
    }

    // 2. PouchDB. Open _users first: LevelDB's own lock says whether another process has the folder.
    const prefix = inMemory ? `stats2-mem-${randomBytes(8).toString('hex')}/` : dataDir + sep
    const scoped = scopedPouch(prefix, inMemory ? 'memory' : 'leveldb', inMemory ? [] : await existingDatabases(dataDir), options.viewIndex)
    cleanups.push(async () => {
      const all = [...scoped.instances]
      scoped.instances.clear()
      // Let every instance finish opening first: closing the LevelDB store an instance is still
      // opening on leaves that open (and the close after it) waiting forever.
      await withTimeout(Promise.all(all.map((db) => db.info().catch(() => undefined))), 5_000, 'opening databases')
      const byName = new Map<string, PouchInstance[]>()
      for (const db of all) byName.set(db.name, [...(byName.get(db.name) ?? []), db])
      // View indexes (`<db>-mrview-…`) are destroyed with their database: destroying one of them
      // afterwards (or before) waits forever on memdown, so only the databases themselves go.
      for (const [name, dbs] of byName) {
        if (inMemory && name.includes('-mrview-')) continue
        if (inMemory) {
          // memdown keeps the data in a process-wide map until the database is destroyed. The
          // instances of one name share one store: destroying one is enough (a second destroy hangs).
          await withTimeout(dbs[0]?.destroy(), 5_000, `destroying ${name}`)
        } else {
          for (const db of dbs) await withTimeout(db.close(), 5_000, `closing ${name}`)
        }
      }
      // The native view indexes close with their databases: the folder is free once this returns.
      await withTimeout(nativeIndexesClosed(), 10_000, 'closing the view indexes')
      stopMapProcesses()
    })
    // At a clean close (not after a failed start): the manifest that proves which databases existed.
    let serving = false
    if (!inMemory) cleanups.push(() => (serving ? recordCleanClose(dataDir, scoped) : Promise.resolve()))
    const usersDb = new scoped.PouchDB('_users')
    try {
      await usersDb.info()
    } catch (error) {
      if (!isLevelDbLockError(error)) throw new EmbeddedCouchError(`Cannot open the store in ${dataDir}: ${(error as Error).message}`)
      const holder = await lockHolderPid(join(dataDir, '_users', 'LOCK'))
      const recorded = await readLock(dataDir)
      const pid = holder || (recorded && recorded.pid !== process.pid ? recorded.pid : 0)
      const theirs = recorded?.pid === pid ? recorded : undefined
      throw new StoreInUseError({ dataDir, pid, ownerPid: theirs?.ownerPid, url: theirs?.url, detail: 'its database is locked' })
    }

    // 3. express-pouchdb, with its files inside the data folder and without the parts not needed.
    sanitizeExpressPouchErrors(log)
    sandboxValidateFunctions()
    const app = expressPouchDB({
      mode: 'fullCouchDB',
      configPath: join(filesDir, 'express-pouchdb-config.json'),
      inMemoryConfig: true, // the admin comes from admin.json on every start
      logPath: join(filesDir, LOG_FILE),
      overrideMode: {
        exclude: [
          'routes/http-log', // one log line per request in the log file
          // gzip of every answer: on a loopback link it only costs CPU twice (here, and the reader's gunzip)
          'compression',
          'routes/special-test-auth', // a config switch that makes everyone admin
          'replicator', // the _replicator daemon (anyone may write to _replicator)
          'routes/list', // crashes on a missing list function; Stats2 has none
          // Design-document functions PouchDB would run unsandboxed; Stats2 has none (couch-access.ts answers 404)
          'routes/show',
          'routes/update',
          'routes/rewrite',
          'routes/temp-views' // gone in CouchDB 2+ (couch-access.ts answers 410)
        ]
      }
    }) as ExpressPouchApp
    cleanups.push(
      () =>
        new Promise<void>((done) => {
          const stream = app.couchLogger?._stream
          if (stream) stream.end(() => done())
          else done()
        })
    )
    // Registered after express-pouchdb's own wrappers, so it wraps theirs.
    app.dbWrapper.registerWrapper((_name, db, next) => {
      guardChangesFeed(db as Parameters<typeof guardChangesFeed>[0])
      keepReplicatedRevisions(db as Parameters<typeof keepReplicatedRevisions>[0])
      return next()
    })
    const lookup: DesignDocLookup = async (name, id) => {
      if (!scoped.names.has(name)) return undefined
      // express-pouchdb's cached instance of that database (the one its routes use).
      const db = (await getOrCreateDB(scoped.PouchDB, name)) as PouchInstance
      return db.get(id).catch(() => undefined)
    }
    const database = async (name: string): Promise<AnswerDb | undefined> =>
      scoped.names.has(name) ? ((await getOrCreateDB(scoped.PouchDB, name)) as AnswerDb) : undefined
    const feeds = couchFeeds({
      lookup: async (name) => (scoped.names.has(name) ? ((await getOrCreateDB(scoped.PouchDB, name)) as FeedDb) : undefined),
      parseBody: parseJsonBody(ADMIN_BODY_LIMIT),
      maxMs: options.feedMaxMs
    })
    // Each insert lands after the previous ones, before the first route: access runs first, then
    // the answers, the guards (a feed's filter is checked before the feed starts), the feeds.
    insertBeforeRoutes(app, couchAccess({ anonymous: options.anonymous ?? 'read', readable: [...READABLE_DBS], readerViews: READER_VIEWS }))
    insertBeforeRoutes(app, couchAnswers(database, ADMIN_BODY_LIMIT, functionTimeoutMs))
    insertBeforeRoutes(app, couchGuard(lookup))
    insertBeforeRoutes(app, feeds.handler)
    await app.setPouchDB(scoped.PouchDB)
    // daemonManager.stop() gives up at the first daemon without a stop(), leaving the others'
    // listeners on PouchDB's process-wide event emitter: stop each one here.
    cleanups.push(async () => {
      for (const daemon of [...app.daemonManager._daemons].reverse()) {
        if (daemon.stop) await Promise.resolve(daemon.stop(scoped.PouchDB))
      }
    })
    await setConfig(app, 'log', 'level', 'error')
    await setConfig(app, 'couchdb', 'max_document_size', ADMIN_BODY_LIMIT) // express-pouchdb's JSON parser: 4 GiB by default
    await setConfig(app, 'admins', admin.user, admin.password) // hashed in memory by express-pouchdb

    const root = express()
    root.disable('x-powered-by')
    root.use(localHostOnly())
    root.use(app)
    root.use(couchErrorHandler(log))

    // 4. Listen on 127.0.0.1 only.
    const server = createServer(root)
    server.keepAliveTimeout = 60_000
    // Requests Node's HTTP parser refuses (an unknown method, a malformed header, headers over
    // 16 KB) get a CouchDB-shaped JSON answer instead of Node's empty 400.
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) return void socket.destroy()
      const [status, text] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request']
      const body = JSON.stringify({ error: 'bad_request', reason: `The request is not valid HTTP (${error.code ?? 'parse error'}).` }) + '\n'
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    })
    const sockets = new Set<Socket>()
    server.on('connection', (socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
    const actualPort = await listen(server, port)
    cleanups.push(
      () =>
        new Promise<void>((done) => {
          // Each feed ends as its timeout would (its client reads a proper end) and cancels its
          // PouchDB listener; idle keep-alive connections close now, busy ones after a moment.
          feeds.closeAll()
          const force = setTimeout(() => {
            for (const socket of sockets) socket.destroy()
          }, 1_000)
          server.close(() => {
            clearTimeout(force)
            done()
          })
          server.closeIdleConnections()
        })
    )
    const url = `http://127.0.0.1:${actualPort}`
    await lock?.setUrl(url)

    log.info(`Store ${inMemory ? 'in memory' : `in ${dataDir}`} served on ${url} (started in ${Date.now() - started} ms)`)

    let closing: Promise<void> | undefined
    serving = true
    return {
      url,
      adminUser: admin.user,
      adminPassword: admin.password,
      authHeader: 'Basic ' + Buffer.from(`${admin.user}:${admin.password}`).toString('base64'),
      dataDir,
      openFeeds: () => feeds.count(),
      close() {
        closing ??= cleanup().then(() => log.info(`Store on ${url} closed`))
        return closing
      }
    }
  } catch (error) {
    await cleanup()
    if (error instanceof StoreInUseError || error instanceof EmbeddedCouchError || error instanceof StoreDamagedError) throw error
    throw new EmbeddedCouchError(`Cannot start the store${dataDir ? ` in ${dataDir}` : ''}: ${(error as Error).message ?? String(error)}`)
  }
}
