/**
 * The Stats2 store: the `requests` and `settings` databases on any CouchDB (a real one through
 * DB_URL, or the embedded CouchDB-protocol server), spoken to over HTTP with nano.
 */
import nano from 'nano'
import { Agent } from 'undici'
import { type DatabaseConfig, storeAnonymousAccess, storeFunctionTimeoutMs, storeScrubMs } from '../config/config'
import { createLogger } from '../log/logger'
import {
  REQUESTS_DB, SETTINGS_DB, SETTINGS_DOC_ID, type SettingsDoc, type WorkflowDoc
} from '../../shared/stats2-doc'
import {
  DESIGN_DOC_ID, VALIDATE_WRITE_ID, searchDesignDoc, validateWriteDesignDoc, VIEW_NAMES, type ViewName
} from './design-docs'
import { startStoreProcess, type StoreProcess } from '../../store-server'
import { chunk } from '../util/pool'
import { canonicalJson } from '../util/canonical-json'
import { designDocPath, isDesignId, isWorkflowId, workflowIdProblem } from './doc-ids'
import { duration, sleep } from '../util/time'

const log = createLogger('store')

/**
 * What went wrong, for callers that react to it: `http` (CouchDB answered with an error status),
 * `refused` (401/403), `unreachable` (no connection), `timeout`, `not-couchdb` (the answer is not
 * CouchDB's), `read-only` (the store was opened without write rights), `bad-id`.
 */
export type StoreErrorCode = 'http' | 'refused' | 'unreachable' | 'timeout' | 'not-couchdb' | 'read-only' | 'bad-id'

export class StoreError extends Error {
  override name = 'StoreError'
  constructor(message: string, readonly status?: number, readonly couchError?: string, readonly code: StoreErrorCode = status === undefined ? 'unreachable' : 'http') {
    super(message)
  }
}

/** Updates, loads and other writes on a store opened without write rights. */
export class StoreReadOnlyError extends StoreError {
  constructor(message: string) {
    super(message, undefined, undefined, 'read-only')
  }
}

/** The server at DB_URL answers, but not as CouchDB does (a web page, a proxy, another service). */
export class NotCouchDbError extends StoreError {
  constructor(message: string) {
    super(message, undefined, undefined, 'not-couchdb')
  }
}

/** Why a store is read-only, and what to set to write. */
export interface ReadOnlyState {
  reason: string
  /** Views of `_design/_designDoc` the server lacks: searches by those fields find nothing. */
  missingViews: ViewName[]
}

const DEFAULT_TIMEOUT_MS = 60_000
/**
 * Until a server at DB_URL has answered once, each attempt waits at most this long and all attempts
 * together at most FIRST_CONTACT_BUDGET_MS: a server that accepts connections and never answers is
 * named within half a minute, not after the view timeout times the retries (issue 14).
 */
export const FIRST_CONTACT_TIMEOUT_MS = 10_000
export const FIRST_CONTACT_BUDGET_MS = 30_000
const DEFAULT_VIEW_TIMEOUT_MS = 900_000
const DEFAULT_RETRIES = 3
const RETRY_BASE_MS = 250
const RETRY_MAX_MS = 5_000

export const WRITE_CREDENTIALS_HINT =
  'set STATS_DB_AUTH_HEADER ("Basic <base64 user:password>" of a CouchDB admin), or in the app Settings → Database, the user and password'

type Expect = 'object' | 'array' | 'rows' | 'json' | 'any'

interface CallOptions {
  /** This call writes: refused at once on a read-only store. */
  write?: boolean
  expect?: Expect
  timeoutMs?: number
  retries?: number
  /** The caller's cancellation (a client gone): the call stops and is not retried. */
  signal?: AbortSignal
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
}

/** A short description of an answer that is not the JSON CouchDB sends. */
function describeAnswer(value: unknown): string {
  if (typeof value === 'string') return `a text answer: "${value.replace(/\s+/g, ' ').trim().slice(0, 60)}"`
  if (Buffer.isBuffer(value)) return `${value.length} bytes that are not JSON`
  if (Array.isArray(value)) return 'a JSON list'
  if (isRecord(value)) return `JSON without the expected fields (${Object.keys(value).slice(0, 5).join(', ') || 'empty'})`
  return `${String(value)}`
}

function hasShape(value: unknown, expect: Expect): boolean {
  switch (expect) {
    case 'any':
      return true
    case 'object':
      return isRecord(value)
    case 'array':
      return Array.isArray(value)
    case 'json':
      return isRecord(value) || Array.isArray(value)
    case 'rows':
      return isRecord(value) && Array.isArray(value.rows)
  }
}

export interface WriteResult {
  id: string
  ok: boolean
  rev?: string
  /** CouchDB's error name: 'conflict', 'forbidden', … */
  error?: string
  reason?: string
}

export interface ViewRow {
  id: string
  key: string
  value: string
  doc?: WorkflowDoc
}

export interface ViewQuery {
  key?: string
  startkey?: string
  endkey?: string
  limit?: number
  skip?: number
  includeDocs?: boolean
  descending?: boolean
}

export interface StoreInfo {
  url: string
  embedded: boolean
  workflows: number
  /** Bytes on disk and bytes of live data per database, when the server reports them. */
  /**
   * Per database: bytes of file and of live data when the server reports them (CouchDB 2+:
   * `sizes.file`/`sizes.active`; the embedded PouchDB server only has `disk_size`, without views).
   */
  databases: Record<string, { fileSize?: number; activeSize?: number; docCount: number; deletedCount: number }>
}

interface NanoError {
  statusCode?: number
  error?: string
  reason?: string
  message?: string
  description?: string
}

function describeCouchError(error: unknown, what: string, url: string, write = true): StoreError {
  if (error instanceof StoreError) return error
  const e = error as NanoError
  if (e && typeof e === 'object' && typeof e.statusCode === 'number') {
    const reason = String(e.reason ?? e.error ?? '').slice(0, 300).replace(/\.+$/, '')
    if (e.statusCode === 401 || e.statusCode === 403) {
      const need = write
        ? `Writes need an admin: ${WRITE_CREDENTIALS_HINT}.`
        : 'Reading needs credentials on this server: set STATS_DB_AUTH_HEADER ("Basic <base64 user:password>"), or the user and password in Settings → Database.'
      return new StoreError(`CouchDB at ${url} refused to ${what}: ${reason || 'not allowed'}. ${need}`, e.statusCode, e.error, 'refused')
    }
    return new StoreError(`CouchDB at ${url} could not ${what}: ${e.statusCode} ${e.error ?? ''} ${reason}`.replace(/\s+/g, ' ').trim(), e.statusCode, e.error)
  }
  // nano folds connection errors into one message: "error happened in your connection. Reason: …".
  const message = (error instanceof Error ? error.message : String(error)).replace(/^error happened in your connection\. Reason: /, '')
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return new StoreError(`Cannot reach CouchDB at ${url} to ${what} (${message.slice(0, 300)}${cause})`)
}


export interface OpenStoreOptions {
  /** Embedded store only: keep the data in memory (demo mode, tests). */
  inMemory?: boolean
  /** Documents per bulk read/write. */
  batchSize?: number
}

/** Per-call limits: every call has a timeout; failures that may pass (timeouts, resets, 5xx) are retried. */
export interface CallLimits {
  timeoutMs: number
  viewTimeoutMs: number
  retries: number
}

/** What another client needs to reach the same store (see CouchStore.connection). */
export interface StoreConnection {
  url: string
  authHeader?: string
  batchSize: number
  limits: CallLimits
}

function limitsOf(cfg: Partial<Pick<DatabaseConfig, 'timeoutMs' | 'viewTimeoutMs' | 'retries'>> = {}): CallLimits {
  return {
    timeoutMs: cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    viewTimeoutMs: cfg.viewTimeoutMs ?? DEFAULT_VIEW_TIMEOUT_MS,
    retries: cfg.retries ?? DEFAULT_RETRIES
  }
}

export class CouchStore {
  private closed = false
  private readOnlyState: ReadOnlyState | undefined
  /** The server answered at least once (any HTTP status): from then on the configured limits apply. */
  private contacted: boolean

  private constructor(
    /** The server's URL without credentials (DB_URL), or the embedded store's first one. */
    private serverUrl: string,
    private server: nano.ServerScope,
    /** The embedded store's supervised process (store-server/process); undefined on DB_URL. */
    private readonly embedded: StoreProcess | undefined,
    private readonly batchSize: number,
    private readonly limits: CallLimits,
    /** The credentials sent (DB_URL's, or the embedded store's admin); undefined: none. */
    private readonly authHeader: string | undefined
  ) {
    // The embedded server is this machine's own; only a DB_URL gets the first-contact budget.
    this.contacted = embedded !== undefined
  }

  /** Whether credentials were given (for the read-only reason). */
  private get withCredentials(): boolean {
    return Boolean(this.authHeader)
  }

  /**
   * How another client reaches the same server with the same rights and limits (the update worker,
   * src/main/updater/worker): `CouchStore.connect(url, authHeader, batchSize, limits)`.
   */
  connection(): StoreConnection {
    return { url: this.url, authHeader: this.embedded?.authHeader ?? this.authHeader, batchSize: this.batchSize, limits: { ...this.limits } }
  }

  /** The server's URL without credentials, for messages and the status line. */
  get url(): string {
    return this.embedded?.url ?? this.serverUrl
  }

  /**
   * Embedded server when `cfg.url` is empty, else the CouchDB at `cfg.url`. With admin rights the
   * schema is created or brought up to date; without, the store opens read-only (see `readOnly`).
   */
  static async open(cfg: DatabaseConfig, options: OpenStoreOptions = {}): Promise<CouchStore> {
    const batchSize = options.batchSize ?? 500
    if (cfg.url) {
      const store = CouchStore.connect(cfg.url, cfg.authHeader, batchSize, limitsOf(cfg))
      await store.checkServer()
      await store.openSchema()
      return store
    }
    // The store in a supervised process of its own: nothing sent to it can stop this process.
    const embedded = await startStoreProcess({
      dataDir: cfg.dataDir,
      inMemory: options.inMemory ?? false,
      anonymous: cfg.storeAnonymous ?? storeAnonymousAccess(process.env),
      functionTimeoutMs: cfg.storeFunctionTimeoutMs ?? storeFunctionTimeoutMs(process.env),
      scrubEveryMs: cfg.storeScrubMs ?? storeScrubMs(process.env),
      hangMs: cfg.storeHangMs
    })
    const store = new CouchStore(embedded.url, CouchStore.nanoFor(embedded.url, embedded.authHeader), embedded, batchSize, limitsOf(cfg), embedded.authHeader)
    try {
      await store.ensureSchema()
    } catch (error) {
      await embedded.close()
      throw error
    }
    // A new store process serves the same folder (an in-memory one starts empty): the schema again.
    embedded.onRestart(() => {
      store.ensureSchema().catch((error: unknown) => {
        if (!store.closed) log.warn(`The restarted store's schema: ${(error as Error).message}`)
      })
    })
    return store
  }

  /** A store on a running CouchDB, without touching its schema. */
  static connect(url: string, authHeader?: string, batchSize = 500, limits: Partial<CallLimits> = {}): CouchStore {
    const parsed = new URL(url)
    let header = authHeader
    if (!header && parsed.username) {
      header = 'Basic ' + Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')
    }
    parsed.username = ''
    parsed.password = ''
    const plain = parsed.toString().replace(/\/+$/, '')
    return new CouchStore(plain, CouchStore.nanoFor(plain, header), undefined, batchSize, limitsOf(limits), header)
  }

  private static nanoFor(url: string, authHeader?: string): nano.ServerScope {
    // The agent itself has no timeouts: each call carries its own deadline (an AbortSignal), so a
    // view query may wait for its index longer than an ordinary read (CallLimits).
    const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000, connections: 32 })
    return nano({ url, headers: authHeader ? { Authorization: authHeader } : {}, agentOptions: agent as unknown as nano.Configuration['agentOptions'] })
  }

  /** Set when the store was opened without write rights: why, and what to set to write. */
  get readOnly(): ReadOnlyState | undefined {
    return this.readOnlyState
  }

  /** Why `what` cannot be done on this store and what to set, or undefined when it can. */
  readOnlyMessage(what: string): string | undefined {
    if (!this.readOnlyState) return undefined
    return `${what[0]!.toUpperCase()}${what.slice(1)} is disabled: CouchDB at ${this.url} is open read-only (${this.readOnlyState.reason}). To write, ${WRITE_CREDENTIALS_HINT}.`
  }

  /** Throws StoreReadOnlyError (saying what to set) when `what` cannot be done on this store. */
  assertWritable(what: string): void {
    const message = this.readOnlyMessage(what)
    if (message) throw new StoreReadOnlyError(message)
  }

  get isEmbedded(): boolean {
    return this.embedded !== undefined
  }

  /** The embedded store's process (the desktop's "share this store" hint, benchmarks); undefined on DB_URL. */
  get embeddedServer(): Pick<StoreProcess, 'url' | 'authHeader' | 'dataDir' | 'pid' | 'state' | 'unavailable' | 'signal' | 'usage'> | undefined {
    return this.embedded
  }

  /**
   * The embedded store's side of a call: why it cannot be served now (its process is not answering,
   * restarting or down: the call fails at once with that reason, not retried), else the
   * signal that aborts it when the store process stops answering or exits, and nano for the
   * store's current address (a restarted store process may listen on another port).
   */
  private embeddedGate(): { down: StoreError } | { signal?: AbortSignal; server: nano.ServerScope } {
    if (!this.embedded) return { server: this.server }
    const down = this.embedded.unavailable()
    if (down) return { down: new StoreError(down, undefined, undefined, 'unreachable') }
    if (this.embedded.url !== this.serverUrl) {
      this.serverUrl = this.embedded.url
      this.server = CouchStore.nanoFor(this.serverUrl, this.embedded.authHeader)
    }
    return { signal: this.embedded.signal, server: this.server }
  }

  /**
   * One CouchDB call with a deadline per attempt. Timeouts, connection failures and 5xx/429 answers
   * are retried with exponential backoff and jitter (a write retried after a lost answer at worst
   * meets a 409, which every writer here handles); any other 4xx is final. The answer must have the
   * shape CouchDB gives (`expect`), else NotCouchDbError.
   */
  private async request<T>(what: string, params: nano.RequestOptions, options: CallOptions = {}): Promise<T> {
    if (options.write) this.assertWritable(what)
    const started = Date.now()
    const attempts = 1 + Math.max(0, options.retries ?? this.limits.retries)
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted()
      const gate = this.embeddedGate()
      if ('down' in gate) throw gate.down
      const firstContact = !this.contacted
      const timeoutMs = firstContact ? Math.min(FIRST_CONTACT_TIMEOUT_MS, options.timeoutMs ?? this.limits.timeoutMs) : (options.timeoutMs ?? this.limits.timeoutMs)
      const deadline = AbortSignal.timeout(timeoutMs)
      // Aborted by the caller, by the deadline, or (embedded) when the store process stops answering.
      const signal = AbortSignal.any([deadline, ...(options.signal ? [options.signal] : []), ...(gate.signal ? [gate.signal] : [])])
      let failure: StoreError
      let retryable: boolean
      try {
        const answer: unknown = await gate.server.request({ ...params, signal } as nano.RequestOptions)
        // nano answers '' for a body cut short (the server died mid-answer): a failed call, not an answer.
        if (answer === '' && (params.method ?? 'get').toLowerCase() !== 'head') throw new Error('the answer ended before it was complete')
        this.contacted = true
        if (!hasShape(answer, options.expect ?? 'any')) {
          throw new NotCouchDbError(
            `${this.embedded ? 'The embedded store' : 'DB_URL'} ${this.url} does not answer like CouchDB: asked to ${what}, it sent ${describeAnswer(answer)}. Check that DB_URL is the address of the CouchDB server itself (e.g. http://host:5984).`
          )
        }
        return answer as T
      } catch (error) {
        // The caller went away: its reason (an AbortError), never a retry.
        if (options.signal?.aborted) throw options.signal.reason
        // The embedded store's process stopped answering or exited meanwhile: its supervisor's reason.
        if (gate.signal?.aborted) throw new StoreError(String(gate.signal.reason), undefined, undefined, 'unreachable')
        if (error instanceof StoreError) throw error
        if (deadline.aborted) {
          failure = new StoreError(
            firstContact
              ? `CouchDB at ${this.url} did not answer within ${duration(timeoutMs)} to ${what}${attempt > 1 ? ` (${attempt} attempts in ${duration(Date.now() - started)})` : ''}: it accepts connections but says nothing; check that DB_URL is the CouchDB server and that it is running (STATS2_DB_TIMEOUT_MS sets the limit of an attempt, at most ${duration(FIRST_CONTACT_TIMEOUT_MS)} until the server has answered once)`
              : `CouchDB at ${this.url} did not answer within ${duration(timeoutMs)} to ${what}${attempts > 1 ? ` (${attempts} attempts)` : ''}; STATS2_DB_TIMEOUT_MS sets the limit (STATS2_DB_VIEW_TIMEOUT_MS for searches)`,
            undefined, undefined, 'timeout'
          )
          retryable = true
        } else {
          failure = describeCouchError(error, what, this.url, options.write ?? false)
          if (failure.status !== undefined) this.contacted = true
          retryable = failure.status === undefined || failure.status >= 500 || failure.status === 429
        }
      }
      if (!retryable || attempt >= attempts) throw failure
      const exponential = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1))
      const delay = Math.round(exponential / 2 + Math.random() * (exponential / 2))
      // Before the first answer, no attempt may start that could end past the budget.
      if (!this.contacted && Date.now() - started + delay + Math.min(FIRST_CONTACT_TIMEOUT_MS, options.timeoutMs ?? this.limits.timeoutMs) > FIRST_CONTACT_BUDGET_MS) throw failure
      log.warn(`${failure.message}; retry ${attempt}/${attempts - 1} in ${delay} ms`)
      await sleep(delay, options.signal)
    }
  }

  /**
   * The root answer must be CouchDB's (`{"couchdb": "Welcome", "version": …}`; the embedded
   * express-pouchdb sends `version` without `couchdb`): anything else at DB_URL is named as such,
   * instead of failing later on an answer without `rows`.
   */
  async checkServer(): Promise<void> {
    const root = await this.request<Record<string, unknown>>('say who it is', { path: '', method: 'get' }, { expect: 'object' }).catch((error: unknown) => {
      // A 404 at the root (a web server, a path behind a proxy): not a CouchDB either.
      if (error instanceof StoreError && error.code === 'http' && error.status === 404) {
        throw new NotCouchDbError(`DB_URL ${this.url} does not answer like CouchDB: its root answers 404. Check that DB_URL is the address of the CouchDB server itself (e.g. http://host:5984).`)
      }
      throw this.credentialsRefused(error)
    })
    if (typeof root.couchdb !== 'string' && typeof root.version !== 'string') {
      throw new NotCouchDbError(`DB_URL ${this.url} does not answer like CouchDB: its root sent ${describeAnswer(root)}. Check that DB_URL is the address of the CouchDB server itself (e.g. http://host:5984).`)
    }
  }

  /** A 401/403 on the root or `_session` (public on CouchDB): the credentials are wrong, or required to read. */
  private credentialsRefused(error: unknown): unknown {
    if (!(error instanceof StoreError) || error.code !== 'refused') return error
    const detail = error.couchError ? ` (${error.couchError})` : ''
    const message = this.withCredentials
      ? `CouchDB at ${this.url} refused the credentials given in STATS_DB_AUTH_HEADER (or Settings → Database)${detail}: check the user and password`
      : `CouchDB at ${this.url} requires credentials even to read${detail}: set STATS_DB_AUTH_HEADER ("Basic <base64 user:password>"), or the user and password in Settings → Database`
    return new StoreError(message, error.status, error.couchError, 'refused')
  }

  /**
   * With admin rights (or where the server cannot tell): creates or completes the schema. Without:
   * read-only — nothing is created, the databases must exist and the design documents are only
   * checked. Logs one line saying so.
   */
  private async openSchema(): Promise<void> {
    const session = await this.request<{ userCtx?: { name?: unknown; roles?: unknown } }>('check the credentials', { db: '_session', method: 'get' }, { expect: 'object' })
      .catch((error: unknown) => {
        if (error instanceof StoreError && error.code === 'http') return undefined // no _session: try and see
        throw this.credentialsRefused(error)
      })
    const roles = session?.userCtx?.roles
    if (Array.isArray(roles) && !roles.includes('_admin')) {
      const name = typeof session?.userCtx?.name === 'string' ? session.userCtx.name : undefined
      return this.openReadOnly(name ? `the user "${name}" is not a CouchDB admin` : this.withCredentials ? 'the credentials are not an admin\'s' : 'no credentials given')
    }
    try {
      await this.ensureSchema()
    } catch (error) {
      if (!(error instanceof StoreError) || error.code !== 'refused' || session !== undefined) throw error
      await this.openReadOnly(this.withCredentials ? 'the credentials are not an admin\'s' : 'no credentials given')
    }
  }

  private async openReadOnly(reason: string): Promise<void> {
    for (const db of [REQUESTS_DB, SETTINGS_DB]) {
      try {
        await this.request(`read database ${db}`, { db, method: 'get' }, { expect: 'object' })
      } catch (error) {
        if (error instanceof StoreError && error.status === 404) {
          throw new StoreError(`CouchDB at ${this.url} has no database ${db}, and creating it needs an admin (${reason}): ${WRITE_CREDENTIALS_HINT}.`, 404, 'not_found')
        }
        throw error
      }
    }
    const design = await this.getDoc<{ views?: Record<string, unknown> }>(REQUESTS_DB, DESIGN_DOC_ID)
    const missingViews = VIEW_NAMES.filter((view) => !isRecord(design?.views?.[view]))
    this.readOnlyState = { reason, missingViews }
    const views = missingViews.length === 0 ? ''
      : `; ${DESIGN_DOC_ID} lacks the views ${missingViews.join(', ')}: searches by those fields will find nothing`
    log.warn(`CouchDB at ${this.url} opened read-only (${reason}): searching and reading work, updates are disabled${views}`)
  }

  /** Creates the databases and design documents, or brings them up to date; safe to run on every start. */
  async ensureSchema(): Promise<void> {
    for (const db of [REQUESTS_DB, SETTINGS_DB]) {
      try {
        await this.request(`create database ${db}`, { db, method: 'put' }, { write: true, expect: 'object' })
        log.info(`created database ${db} on ${this.url}`)
      } catch (error) {
        // 412: it exists (perhaps created a moment ago by another process).
        if (!(error instanceof StoreError) || error.status !== 412) throw error
      }
      await this.putDesignDoc(db, validateWriteDesignDoc())
    }
    await this.putDesignDoc(REQUESTS_DB, searchDesignDoc())
  }

  /**
   * Creates a design document, or adds what it lacks (a missing view, a missing validation).
   * Existing functions are left as they are, even when written differently: rewriting a view makes
   * CouchDB rebuild its index, hours on a production-sized database.
   */
  private async putDesignDoc(db: string, wanted: { _id: string } & Record<string, unknown>): Promise<void> {
    // Two processes starting at once (the app and a cron job on one DB_URL) race here: on a
    // conflict, read again and re-check.
    for (let attempt = 1; ; attempt++) {
      const existing = await this.getDoc<Record<string, unknown>>(db, wanted._id)
      let doc: Record<string, unknown>
      if (!existing) {
        doc = { ...wanted }
      } else {
        doc = { ...wanted, ...existing }
        if (wanted.views) {
          const existingViews = (existing.views as Record<string, { map?: unknown }> | undefined) ?? {}
          const views = { ...(wanted.views as Record<string, unknown>), ...existingViews }
          for (const [name, view] of Object.entries(existingViews)) {
            if (typeof view?.map !== 'string') views[name] = (wanted.views as Record<string, unknown>)[name] ?? view
          }
          doc.views = views
        }
        if (wanted.validate_doc_update && typeof existing.validate_doc_update !== 'string') doc.validate_doc_update = wanted.validate_doc_update
        if (canonicalJson(doc) === canonicalJson(existing)) return
      }
      try {
        await this.request(`write ${wanted._id} in ${db}`, { db, path: designDocPath(wanted._id), method: 'put', body: doc }, { write: true, expect: 'object' })
        log.info(`${existing ? 'completed' : 'created'} ${wanted._id} in ${db}`)
        return
      } catch (error) {
        if (error instanceof StoreError && error.status === 409 && attempt < 5) continue
        throw error
      }
    }
  }

  /** A document of a fixed, known id (settings, design documents); 404 = undefined. */
  private async getDoc<T>(db: string, id: string): Promise<T | undefined> {
    const path = isDesignId(id) ? designDocPath(id) : encodeURIComponent(id)
    try {
      return await this.request<T>(`read ${id} from ${db}`, { db, path, method: 'get' }, { expect: 'object' })
    } catch (error) {
      if (error instanceof StoreError && error.status === 404) return undefined
      throw error
    }
  }

  /**
   * The stored workflow of that name, read through `_all_docs` with the name as a key, never as a
   * URL path: `_changes`, `x/../../settings/…` or `..` then cannot reach another endpoint. A name
   * CouchDB cannot hold as a document is simply not there.
   */
  async getWorkflow(name: string, signal?: AbortSignal): Promise<WorkflowDoc | undefined> {
    if (!isWorkflowId(name)) return undefined
    return (await this.getDocs<WorkflowDoc>(REQUESTS_DB, [name], 'workflow', signal)).get(name)
  }

  /** Bulk read (`POST _all_docs` with keys, include_docs); missing and deleted documents are absent. */
  async getWorkflows(names: readonly string[], signal?: AbortSignal): Promise<Map<string, WorkflowDoc>> {
    return this.getDocs<WorkflowDoc>(REQUESTS_DB, names.filter(isWorkflowId), 'workflows', signal)
  }

  private async getDocs<T extends { _id: string }>(db: string, ids: readonly string[], what: string, signal?: AbortSignal): Promise<Map<string, T>> {
    const found = new Map<string, T>()
    for (const batch of chunk([...new Set(ids)].filter((id) => id !== ''), this.batchSize)) {
      const answer = await this.request<{ rows: Array<{ key: string; doc?: T | null; error?: string }> }>(
        `read ${batch.length} ${what}`,
        { db, path: '_all_docs', method: 'post', qs: { include_docs: true }, body: { keys: batch } },
        { expect: 'rows', signal }
      )
      // Only a row for the id asked for counts (PouchDB answers an empty key with the first document).
      for (const row of answer.rows) if (isRecord(row) && isRecord(row.doc) && row.doc._id === row.key) found.set(row.key, row.doc)
    }
    return found
  }

  /**
   * Bulk write; each document's outcome is reported, conflicts included (the caller merges and
   * retries). A document CouchDB cannot hold (its name starts with `_`, or is empty: CouchDB would
   * make a random id of it) fails alone without being sent; a batch CouchDB refuses as a whole is
   * written again one document at a time, so that only the bad ones fail.
   */
  async saveWorkflows(docs: readonly WorkflowDoc[]): Promise<WriteResult[]> {
    const results: WriteResult[] = []
    const valid: WorkflowDoc[] = []
    for (const doc of docs) {
      const problem = workflowIdProblem(doc._id)
      if (problem) results.push({ id: typeof doc._id === 'string' ? doc._id : String(doc._id), ok: false, error: 'bad_request', reason: problem })
      else valid.push(doc)
    }
    results.push(...(await this.bulkWrite(REQUESTS_DB, valid, 'workflows')))
    return results
  }

  /** `_bulk_docs` in batches, with the per-document fallback of saveWorkflows. */
  async bulkWrite(db: string, docs: ReadonlyArray<{ _id: string }>, what = 'documents'): Promise<WriteResult[]> {
    const results: WriteResult[] = []
    for (const batch of chunk(docs, this.batchSize)) {
      try {
        results.push(...(await this.bulkDocs(db, batch, `write ${batch.length} ${what}`)))
      } catch (error) {
        // Only a refusal by a server that answers is retried per document; an unreachable one is not.
        if (!(error instanceof StoreError) || error.status === undefined || error.code === 'refused') throw error
        if (batch.length > 1) log.warn(`${error.message}: writing these ${batch.length} ${what} one by one`)
        for (const doc of batch) {
          try {
            results.push(...(await this.bulkDocs(db, [doc], `write ${doc._id}`, 0)))
          } catch (single) {
            if (!(single instanceof StoreError) || single.status === undefined || single.code === 'refused') throw single
            results.push({ id: doc._id, ok: false, error: single.couchError ?? 'failed', reason: single.message })
          }
        }
      }
    }
    return results
  }

  private async bulkDocs(db: string, docs: ReadonlyArray<{ _id: string }>, what: string, retries?: number): Promise<WriteResult[]> {
    const answer = await this.request<WriteResult[]>(what, { db, path: '_bulk_docs', method: 'post', body: { docs } }, { write: true, expect: 'array', retries })
    return answer.map((row) => ({ ...row, ok: !row.error }))
  }

  async saveWorkflow(doc: WorkflowDoc): Promise<WriteResult> {
    const [result] = await this.saveWorkflows([doc])
    if (!result) throw new StoreError(`CouchDB at ${this.url} gave no answer for ${doc._id}`)
    return result
  }

  /** Deletes the named workflows (those that exist); returns the names deleted. */
  async deleteWorkflows(names: readonly string[]): Promise<string[]> {
    const deleted: string[] = []
    this.assertWritable('deleting workflows')
    for (const batch of chunk([...new Set(names)].filter(isWorkflowId), this.batchSize)) {
      const answer = await this.request<{ rows: Array<{ key: string; id?: string; value?: { rev: string; deleted?: boolean } }> }>(
        `look up ${batch.length} workflows to delete`,
        { db: REQUESTS_DB, path: '_all_docs', method: 'post', body: { keys: batch } },
        { expect: 'rows' }
      )
      const tombstones = answer.rows
        .filter((row) => row.value && !row.value.deleted && row.id === row.key)
        .map((row) => ({ _id: row.key, _rev: row.value!.rev, _deleted: true }))
      if (tombstones.length === 0) continue
      const results = await this.bulkDocs(REQUESTS_DB, tombstones, `delete ${tombstones.length} workflows`)
      for (const row of results) if (!row.error) deleted.push(row.id)
    }
    return deleted
  }

  async queryView(view: ViewName, query: ViewQuery = {}): Promise<{ rows: ViewRow[]; total: number }> {
    if (!VIEW_NAMES.includes(view)) throw new StoreError(`Unknown view ${view}`)
    const qs: Record<string, unknown> = {}
    if (query.key !== undefined) qs.key = query.key
    if (query.startkey !== undefined) qs.startkey = query.startkey
    if (query.endkey !== undefined) qs.endkey = query.endkey
    if (query.limit !== undefined) qs.limit = query.limit
    if (query.skip) qs.skip = query.skip
    if (query.includeDocs) qs.include_docs = true
    if (query.descending) qs.descending = true
    const answer = await this.request<{ rows: ViewRow[]; total_rows: number }>(`query view ${view}`, {
      db: REQUESTS_DB, path: `${DESIGN_DOC_ID}/_view/${view}`, method: 'get', qs
    }, { expect: 'rows', timeoutMs: this.limits.viewTimeoutMs })
    return { rows: answer.rows, total: answer.total_rows }
  }

  /**
   * A view of another design document of `requests` (the overview's facts), with the view timeout:
   * GET with `qs` (nano JSON-encodes key, startkey and endkey), or POST with `keys`.
   */
  async queryDesignView<V>(designId: string, view: string, options: { qs?: Record<string, unknown>; keys?: readonly string[] } = {}): Promise<{ rows: Array<{ id: string; key: unknown; value: V }>; total: number }> {
    const path = `${designDocPath(designId)}/_view/${encodeURIComponent(view)}`
    const answer = await this.request<{ rows: Array<{ id: string; key: unknown; value: V }>; total_rows: number }>(`query view ${view} of ${designId}`, {
      db: REQUESTS_DB, path, method: options.keys ? 'post' : 'get', qs: options.qs ?? {}, ...(options.keys ? { body: { keys: options.keys } } : {})
    }, { expect: 'rows', timeoutMs: this.limits.viewTimeoutMs })
    return { rows: answer.rows, total: answer.total_rows }
  }

  /**
   * A design document of `requests` other than the search views' (those are ensureSchema's): created,
   * or completed with the views it lacks when the store is writable — an existing view is never
   * rewritten (putDesignDoc) — and then answered as stored; undefined when it is not there.
   */
  async ensureDesignDocument(wanted: { _id: string } & Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    if (wanted._id === DESIGN_DOC_ID) throw new StoreError(`${DESIGN_DOC_ID} holds the search views: ensureSchema keeps it`)
    if (!this.readOnlyState) await this.putDesignDoc(REQUESTS_DB, wanted)
    return this.getDoc<Record<string, unknown>>(REQUESTS_DB, wanted._id)
  }

  /** Names of the stored workflows whose `view` emits exactly `key`. */
  async namesByViewKey(view: ViewName, key: string): Promise<string[]> {
    const names = new Set<string>()
    const page = 5000
    for (let skip = 0; ; skip += page) {
      const { rows } = await this.queryView(view, { key, limit: page, skip })
      for (const row of rows) names.add(row.id)
      if (rows.length < page) break
    }
    return [...names]
  }

  /** Names of stored workflows that have any of these output datasets (one keys-query per batch). */
  async namesByOutputDatasets(datasets: readonly string[]): Promise<Set<string>> {
    const names = new Set<string>()
    for (const batch of chunk([...new Set(datasets)], this.batchSize)) {
      const answer = await this.request<{ rows: ViewRow[] }>(`find workflows of ${batch.length} datasets`, {
        db: REQUESTS_DB, path: `${DESIGN_DOC_ID}/_view/outputDatasets`, method: 'post', body: { keys: batch }
      }, { expect: 'rows', timeoutMs: this.limits.viewTimeoutMs })
      for (const row of answer.rows) names.add(row.id)
    }
    return names
  }

  /**
   * Workflow names in id order, for prefix search and paging: `_all_docs` without the design
   * documents, which collate in the middle of the names (`_` sorts between upper and lower case);
   * `skip` counts workflows only. (PouchDB reports no `offset`, so the design documents are counted
   * and filtered out rather than skipped by position.)
   */
  async listNames(options: { startkey?: string; endkey?: string; limit?: number; skip?: number } = {}): Promise<{ names: string[]; total: number }> {
    const design = await this.request<{ rows: unknown[]; total_rows: number }>('list design documents', {
      db: REQUESTS_DB, path: '_all_docs', method: 'get', qs: { startkey: '_design/', endkey: '_design0' }
    }, { expect: 'rows' })
    const skip = options.skip ?? 0
    const qs: Record<string, unknown> = {}
    if (options.startkey !== undefined) qs.startkey = options.startkey
    if (options.endkey !== undefined) qs.endkey = options.endkey
    if (options.limit !== undefined) qs.limit = skip + options.limit + design.rows.length
    const answer = await this.request<{ rows: Array<{ id: string }> }>('list workflows', {
      db: REQUESTS_DB, path: '_all_docs', method: 'get', qs
    }, { expect: 'rows' })
    const names = answer.rows.map((row) => row.id).filter((id) => !id.startsWith('_design/'))
    const page = names.slice(skip, options.limit === undefined ? undefined : skip + options.limit)
    return { names: page, total: design.total_rows - design.rows.length }
  }

  /** Every stored workflow, in pages, without design documents. */
  async *allWorkflows(pageSize = this.batchSize): AsyncGenerator<WorkflowDoc[]> {
    for await (const page of this.allDocuments(REQUESTS_DB, pageSize)) {
      const docs = page.filter((doc) => !doc._id.startsWith('_design/')) as unknown as WorkflowDoc[]
      if (docs.length > 0) yield docs
    }
  }

  /** Every document of a database in id order (design documents included, `_local` ones not), in pages. */
  async *allDocuments(db: string, pageSize = this.batchSize): AsyncGenerator<Array<{ _id: string } & Record<string, unknown>>> {
    let startkey: string | undefined
    for (;;) {
      const qs: Record<string, unknown> = { include_docs: true, limit: pageSize + 1 }
      if (startkey !== undefined) qs.startkey = startkey
      const answer = await this.request<{ rows: Array<{ id: string; doc: { _id: string } & Record<string, unknown> }> }>(`read all documents of ${db}`, {
        db, path: '_all_docs', method: 'get', qs
      }, { expect: 'rows' })
      const docs = answer.rows.slice(0, pageSize).map((row) => row.doc).filter((doc) => isRecord(doc) && typeof doc._id === 'string')
      if (docs.length > 0) yield docs
      if (answer.rows.length <= pageSize) return
      startkey = answer.rows[pageSize]!.id
    }
  }

  /** Current revisions of these ids (`_all_docs` with keys); deleted and missing ones are absent. */
  async getDocuments(db: string, ids: readonly string[]): Promise<Map<string, { _id: string; _rev?: string } & Record<string, unknown>>> {
    return this.getDocs(db, ids, `documents of ${db}`)
  }

  async countWorkflows(): Promise<number> {
    const answer = await this.request<{ rows: unknown[]; total_rows: number }>('count workflows', {
      db: REQUESTS_DB, path: '_all_docs', method: 'get', qs: { startkey: '_design/', endkey: '_design0', limit: 1000 }
    }, { expect: 'rows' })
    return answer.total_rows - answer.rows.length
  }

  async getSettings(): Promise<SettingsDoc> {
    return (await this.getDoc<SettingsDoc>(SETTINGS_DB, SETTINGS_DOC_ID)) ?? { _id: SETTINGS_DOC_ID }
  }

  /**
   * Read-modify-write of `all_settings`; on a conflict (another updater wrote meanwhile) the change is
   * re-applied to the fresh document, so neither writer's intent is lost.
   */
  async updateSettings(change: (doc: SettingsDoc) => SettingsDoc | Promise<SettingsDoc>): Promise<SettingsDoc> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getSettings()
      const next = await change(structuredClone(current))
      if (JSON.stringify(next) === JSON.stringify(current)) return current
      try {
        const answer = await this.request<{ rev: string }>('write the settings', {
          db: SETTINGS_DB, path: encodeURIComponent(SETTINGS_DOC_ID), method: 'put', body: next
        }, { write: true, expect: 'object' })
        return { ...next, _rev: answer.rev }
      } catch (error) {
        if (error instanceof StoreError && error.status === 409 && attempt < 20) continue
        throw error
      }
    }
  }

  async info(): Promise<StoreInfo> {
    const databases: StoreInfo['databases'] = {}
    for (const db of [REQUESTS_DB, SETTINGS_DB]) {
      const answer = await this.request<{
        doc_count: number; doc_del_count: number; sizes?: { file?: number; active?: number }; disk_size?: number; data_size?: number
      }>(`read ${db} info`, { db, method: 'get' }, { expect: 'object' })
      databases[db] = {
        docCount: answer.doc_count,
        deletedCount: answer.doc_del_count,
        fileSize: answer.sizes?.file ?? answer.disk_size,
        activeSize: answer.sizes?.active ?? answer.data_size
      }
    }
    return { url: this.url, embedded: this.isEmbedded, workflows: await this.countWorkflows(), databases }
  }

  /** Raw access for the few calls that have no helper (compaction, view warming). */
  async raw<T>(what: string, params: nano.RequestOptions, signal?: AbortSignal): Promise<T> {
    const method = (params.method ?? 'get').toLowerCase()
    const path = params.path ?? ''
    const reads = method === 'get' || method === 'head' || /(^|\/)(_all_docs|_view\/[^/]+|_bulk_get|_find)$/.test(path)
    // The embedded server answers `_compact` only once it has finished (minutes on a large store):
    // the long limit, and no retry that would start it again.
    const long = /(^|\/)(_compact(\/[^/]+)?|_view_cleanup)$/.test(path)
    return this.request<T>(what, params, { write: !reads, signal, expect: 'json', ...(long ? { timeoutMs: this.limits.viewTimeoutMs, retries: 0 } : {}) })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.embedded?.close()
  }
}

export { VALIDATE_WRITE_ID }
