/**
 * The shared Stats2 CouchDB a replica pulls from, spoken to over HTTP with the calls CouchDB 3
 * documents for a pull replication: `GET /`, `GET /<db>`, `GET|POST /<db>/_changes` (with
 * `filter=_selector`), `POST /<db>/_bulk_get` (falling back to `GET /<db>/<id>?open_revs=` on a
 * server without it) and `GET /<db>/<doc>` for `settings/all_settings`. Nothing is ever written to
 * the source: the checkpoint lives on the replica (`checkpoint: target`, in CouchDB's terms).
 *
 * Every call has a deadline and a bounded answer; timeouts, resets and 5xx/429 answers are retried
 * with exponential backoff and jitter, 4xx never. Errors name what is wrong in words an operator can
 * act on (not CouchDB, wrong credentials, database missing, unreachable, a 5xx storm) and never
 * carry the credentials: the URL kept here has none, the password travels in a header only.
 */
import { Agent, type Dispatcher } from 'undici'
import { createLogger } from '../log/logger'
import { duration, sleep } from '../util/time'

const log = createLogger('replica')

export type SourceErrorCode = 'not-couchdb' | 'refused' | 'missing-db' | 'unreachable' | 'timeout' | 'http' | 'too-large' | 'bad-url'

/** The source could not be read; `code` says why (see SourceErrorCode). */
export class ReplicaSourceError extends Error {
  override name = 'ReplicaSourceError'
  constructor(message: string, readonly code: SourceErrorCode, readonly status?: number) {
    super(message)
  }

  /** Whether waiting may help (the network, a restarting server), as opposed to a wrong setting. */
  get transient(): boolean {
    return this.code === 'unreachable' || this.code === 'timeout' || (this.code === 'http' && (this.status ?? 0) >= 500)
  }
}

export interface SourceOptions {
  /** The CouchDB server's URL; a `user:password@` in it becomes the Authorization header. */
  url: string
  /** `Basic <base64 user:password>`; wins over credentials in the URL. */
  authHeader?: string
  /** Per attempt (default 60 s; a longpoll call adds its own timeout to it). */
  timeoutMs?: number
  /** Further attempts after a transient failure (default 6). */
  retries?: number
  retryBaseMs?: number
  retryMaxMs?: number
  /** Largest answer read, in bytes (default 256 MiB): a hostile or broken server costs a bounded amount. */
  maxAnswerBytes?: number
  /** Extra trusted CAs for an https source (PEM), in addition to the defaults. */
  ca?: string[]
  /** Told before each retry (the CLI prints it; the app shows it). */
  onRetry?: (message: string) => void
}

/** One row of `_changes` (`style=all_docs`: every leaf revision). */
export interface ChangeRow {
  id: string
  seq: unknown
  changes: Array<{ rev: string }>
  deleted?: boolean
}

export interface ChangesAnswer {
  results: ChangeRow[]
  last_seq: unknown
  pending?: number
}

/** A document revision as `_bulk_get?revs=true` gives it: `_revisions` holds its ancestry. */
export type RevisionDoc = {
  _id: string
  _rev: string
  _deleted?: boolean
  _revisions?: { start: number; ids: string[] }
} & Record<string, unknown>

export interface ChangesQuery {
  since: unknown
  limit: number
  /** A Mango selector: `filter=_selector`, sent in the body (POST). */
  selector?: Record<string, unknown>
  /** Wait up to this long for the first change (`feed=longpoll`), else answer at once. */
  longpollMs?: number
}

const DEFAULTS = { timeoutMs: 60_000, retries: 6, retryBaseMs: 500, retryMaxMs: 30_000, maxAnswerBytes: 256 * 1024 * 1024 }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `https://user:pw@host:5984/` → the URL without credentials and the header they make. */
export function splitCredentials(raw: string, authHeader?: string): { url: string; authHeader?: string } {
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ReplicaSourceError(`The source "${raw.replace(/\/\/[^/@]*@/, '//…@')}" is not a URL; give the CouchDB server's address, e.g. https://host:6984`, 'bad-url')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ReplicaSourceError(`The source must be an http(s) URL of a CouchDB server, got ${parsed.protocol}`, 'bad-url')
  }
  let header = authHeader
  if (!header && parsed.username) {
    header = 'Basic ' + Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')
  }
  parsed.username = ''
  parsed.password = ''
  parsed.search = ''
  parsed.hash = ''
  return { url: parsed.toString().replace(/\/+$/, ''), authHeader: header }
}

export class SourceCouch {
  /** The server's URL, without credentials: safe for logs, messages and the checkpoint. */
  readonly url: string
  private readonly authHeader: string | undefined
  private readonly agent: Agent
  private readonly options: typeof DEFAULTS & Pick<SourceOptions, 'onRetry'>
  /** False once `_bulk_get` answered 404/405 (CouchDB 1.x): documents are then read one by one. */
  private bulkGet = true

  constructor(options: SourceOptions) {
    const { url, authHeader } = splitCredentials(options.url, options.authHeader)
    this.url = url
    this.authHeader = authHeader
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      retries: options.retries ?? DEFAULTS.retries,
      retryBaseMs: options.retryBaseMs ?? DEFAULTS.retryBaseMs,
      retryMaxMs: options.retryMaxMs ?? DEFAULTS.retryMaxMs,
      maxAnswerBytes: options.maxAnswerBytes ?? DEFAULTS.maxAnswerBytes,
      onRetry: options.onRetry
    }
    // No agent-level timeouts: each call carries its own deadline (a longpoll waits longer).
    this.agent = new Agent({ connections: 8, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000, ...(options.ca ? { connect: { ca: options.ca } } : {}) })
  }

  get hasCredentials(): boolean {
    return this.authHeader !== undefined
  }

  /** The root must answer as CouchDB does (`{"couchdb": "Welcome", "version": …}`). */
  async checkServer(signal?: AbortSignal): Promise<{ version?: string }> {
    // Few retries: at the start a wrong address is likelier than a passing fault.
    const root = await this.call<unknown>('GET', '', undefined, 'say who it is', { signal, retries: 2 }).catch((error: unknown) => {
      if (error instanceof ReplicaSourceError && error.code === 'http' && error.status === 404) {
        throw new ReplicaSourceError(`${this.url} does not answer like CouchDB: its root answers 404. Give the address of the CouchDB server itself (e.g. https://host:6984), without a database name.`, 'not-couchdb', 404)
      }
      throw error
    })
    if (!isRecord(root) || (typeof root.couchdb !== 'string' && typeof root.version !== 'string')) {
      throw new ReplicaSourceError(`${this.url} does not answer like CouchDB (its root sent ${describe(root)}). Give the address of the CouchDB server itself (e.g. https://host:6984).`, 'not-couchdb')
    }
    return { version: typeof root.version === 'string' ? root.version : undefined }
  }

  /** `GET /<db>`: 404 means the database is missing upstream. */
  async database(db: string, signal?: AbortSignal): Promise<{ docCount?: number; updateSeq?: unknown }> {
    const info = await this.call<unknown>('GET', `/${encodeURIComponent(db)}`, undefined, `read database ${db}`, { signal }).catch((error: unknown) => {
      if (error instanceof ReplicaSourceError && error.status === 404) {
        throw new ReplicaSourceError(`${this.url} has no database "${db}": is this the Stats2 CouchDB?`, 'missing-db', 404)
      }
      throw error
    })
    if (!isRecord(info)) throw new ReplicaSourceError(`${this.url}/${db} does not answer like a CouchDB database (it sent ${describe(info)})`, 'not-couchdb')
    return { docCount: typeof info.doc_count === 'number' ? info.doc_count : undefined, updateSeq: info.update_seq }
  }

  /** A page of `_changes` (`style=all_docs`), filtered by a selector when one is given. */
  async changes(db: string, query: ChangesQuery, signal?: AbortSignal): Promise<ChangesAnswer> {
    const params = new URLSearchParams({ style: 'all_docs', limit: String(query.limit) })
    if (query.since !== undefined && query.since !== null) params.set('since', typeof query.since === 'string' ? query.since : JSON.stringify(query.since))
    if (query.longpollMs !== undefined) {
      params.set('feed', 'longpoll')
      params.set('timeout', String(query.longpollMs))
    }
    if (query.selector) params.set('filter', '_selector')
    const path = `/${encodeURIComponent(db)}/_changes?${params}`
    const timeoutMs = this.options.timeoutMs + (query.longpollMs ?? 0)
    const answer = query.selector
      ? await this.call<unknown>('POST', path, { selector: query.selector }, 'read the changes feed', { signal, timeoutMs })
      : await this.call<unknown>('GET', path, undefined, 'read the changes feed', { signal, timeoutMs })
    if (!isRecord(answer) || !Array.isArray(answer.results)) {
      throw new ReplicaSourceError(`${this.url}/${db}/_changes did not answer like CouchDB (it sent ${describe(answer)})`, 'not-couchdb')
    }
    const results: ChangeRow[] = []
    for (const row of answer.results) {
      if (!isRecord(row) || typeof row.id !== 'string' || !Array.isArray(row.changes)) {
        throw new ReplicaSourceError(`${this.url}/${db}/_changes sent a row that is not a change: ${JSON.stringify(row).slice(0, 200)}`, 'not-couchdb')
      }
      const changes = row.changes.filter((c): c is { rev: string } => isRecord(c) && typeof c.rev === 'string').map((c) => ({ rev: c.rev }))
      results.push({ id: row.id, seq: row.seq, changes, ...(row.deleted === true ? { deleted: true } : {}) })
    }
    return { results, last_seq: answer.last_seq, ...(typeof answer.pending === 'number' ? { pending: answer.pending } : {}) }
  }

  /**
   * These revisions with their ancestry (`revs=true`), missing ones left out. `_bulk_get` where the
   * server has it (CouchDB 2+), else one `open_revs` read per document.
   */
  async revisions(db: string, wanted: ReadonlyArray<{ id: string; rev: string }>, signal?: AbortSignal): Promise<RevisionDoc[]> {
    if (wanted.length === 0) return []
    if (this.bulkGet) {
      try {
        const answer = await this.call<unknown>('POST', `/${encodeURIComponent(db)}/_bulk_get?revs=true`, { docs: wanted.map(({ id, rev }) => ({ id, rev })) }, `read ${wanted.length} documents`, { signal })
        return bulkGetDocs(answer, `${this.url}/${db}/_bulk_get`)
      } catch (error) {
        if (!(error instanceof ReplicaSourceError) || (error.status !== 404 && error.status !== 405)) throw error
        // 404 on _bulk_get itself (not a missing database: that was checked first): an older CouchDB.
        log.info(`${this.url} has no _bulk_get: reading documents one by one`)
        this.bulkGet = false
      }
    }
    const byId = new Map<string, string[]>()
    for (const { id, rev } of wanted) byId.set(id, [...(byId.get(id) ?? []), rev])
    const docs: RevisionDoc[] = []
    for (const [id, revs] of byId) {
      const answer = await this.call<unknown>('GET', `/${encodeURIComponent(db)}/${encodeURIComponent(id)}?revs=true&open_revs=${encodeURIComponent(JSON.stringify(revs))}`, undefined, `read ${id}`, { signal, json: true })
      if (!Array.isArray(answer)) throw new ReplicaSourceError(`${this.url}/${db}/${id}?open_revs did not answer a list`, 'not-couchdb')
      for (const entry of answer) if (isRecord(entry) && isRevisionDoc(entry.ok)) docs.push(entry.ok)
    }
    return docs
  }

  /** A document by id; undefined when missing or not readable (the settings database may be closed to readers). */
  async optionalDoc(db: string, id: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    try {
      const doc = await this.call<unknown>('GET', `/${encodeURIComponent(db)}/${encodeURIComponent(id)}`, undefined, `read ${db}/${id}`, { signal, retries: 1 })
      return isRecord(doc) ? doc : undefined
    } catch (error) {
      if (error instanceof ReplicaSourceError && (error.code === 'refused' || error.status === 404)) return undefined
      throw error
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined)
  }

  /** One call with retries; resolves with the parsed JSON answer. */
  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    what: string,
    options: { signal?: AbortSignal; timeoutMs?: number; retries?: number; json?: boolean } = {}
  ): Promise<T> {
    const attempts = 1 + Math.max(0, options.retries ?? this.options.retries)
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted()
      let failure: ReplicaSourceError
      try {
        return (await this.once(method, path, body, what, options.timeoutMs ?? this.options.timeoutMs, options.signal)) as T
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason as Error
        if (!(error instanceof ReplicaSourceError)) throw error
        failure = error
      }
      if (!failure.transient || attempt >= attempts) {
        throw attempts > 1 && failure.transient
          ? new ReplicaSourceError(`${failure.message} (${attempt} attempts)`, failure.code, failure.status)
          : failure
      }
      const exponential = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1))
      const delay = Math.round(exponential / 2 + Math.random() * (exponential / 2))
      const message = `${failure.message}; retry ${attempt}/${attempts - 1} in ${duration(delay)}`
      log.warn(message)
      this.options.onRetry?.(message)
      await sleep(delay, options.signal)
    }
  }

  private async once(method: 'GET' | 'POST', path: string, body: unknown, what: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort(new Error('timeout'))
    }, timeoutMs)
    const onAbort = (): void => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.authHeader) headers.authorization = this.authHeader
    if (body !== undefined) headers['content-type'] = 'application/json'
    const target = new URL(this.url + path)
    let status: number | undefined
    try {
      const response: Dispatcher.ResponseData = await this.agent.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: controller.signal
      })
      status = response.statusCode
      const text = await readBounded(response, this.options.maxAnswerBytes, () => `${this.url} sent more than ${this.options.maxAnswerBytes} bytes when asked to ${what}`)
      return this.interpret(status, text, what)
    } catch (error) {
      if (error instanceof ReplicaSourceError) throw error
      if (signal?.aborted) throw signal.reason as Error
      if (timedOut) {
        throw new ReplicaSourceError(`${this.url} did not ${status === undefined ? 'answer' : 'finish its answer'} within ${duration(timeoutMs)} when asked to ${what}`, 'timeout', status)
      }
      const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }
      const code = err.code ?? err.cause?.code
      const reason = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'host not found' : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'the connection was cut' : (err.cause?.message ?? err.message)
      throw new ReplicaSourceError(`Cannot reach ${this.url} to ${what} (${reason})`, 'unreachable')
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private interpret(status: number, text: string, what: string): unknown {
    let parsed: unknown
    try {
      parsed = text.trim() === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (status >= 200 && status < 300) {
      if (parsed === undefined) {
        throw new ReplicaSourceError(`${this.url} does not answer like CouchDB: asked to ${what}, it sent ${describe(text)}`, 'not-couchdb', status)
      }
      return parsed
    }
    const couch = isRecord(parsed) ? parsed : {}
    const reason = String(couch.reason ?? couch.error ?? '').slice(0, 200)
    if (status === 401 || status === 403) {
      throw new ReplicaSourceError(
        this.authHeader
          ? `${this.url} refused the credentials given for the source (${status}${reason ? `: ${reason}` : ''}) when asked to ${what}: check the user and password`
          : `${this.url} needs credentials to ${what} (${status}${reason ? `: ${reason}` : ''}): give them as https://user:password@host or STATS2_REPLICA_AUTH_HEADER`,
        'refused',
        status
      )
    }
    const detail = reason || (parsed === undefined ? describe(text) : '')
    throw new ReplicaSourceError(`${this.url} answered ${status} when asked to ${what}${detail ? ` (${detail})` : ''}`, 'http', status)
  }
}

function isRevisionDoc(value: unknown): value is RevisionDoc {
  return isRecord(value) && typeof value._id === 'string' && typeof value._rev === 'string'
}

/** The documents of a `_bulk_get` answer; errors (missing revisions) are left out. */
function bulkGetDocs(answer: unknown, where: string): RevisionDoc[] {
  if (!isRecord(answer) || !Array.isArray(answer.results)) throw new ReplicaSourceError(`${where} did not answer like CouchDB (it sent ${describe(answer)})`, 'not-couchdb')
  const docs: RevisionDoc[] = []
  for (const result of answer.results) {
    if (!isRecord(result) || !Array.isArray(result.docs)) continue
    for (const entry of result.docs) if (isRecord(entry) && isRevisionDoc(entry.ok)) docs.push(entry.ok)
  }
  return docs
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.trim() === '' ? 'an empty answer' : `"${value.replace(/\s+/g, ' ').trim().slice(0, 60)}"`
  if (Array.isArray(value)) return 'a JSON list'
  if (isRecord(value)) return `JSON without the expected fields (${Object.keys(value).slice(0, 5).join(', ') || 'empty'})`
  return String(value)
}

async function readBounded(response: Dispatcher.ResponseData, limit: number, tooLarge: () => string): Promise<string> {
  const length = Number(response.headers['content-length'])
  if (Number.isFinite(length) && length > limit) {
    response.body.destroy()
    throw new ReplicaSourceError(tooLarge(), 'too-large')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length
    if (size > limit) {
      response.body.destroy()
      throw new ReplicaSourceError(tooLarge(), 'too-large')
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
