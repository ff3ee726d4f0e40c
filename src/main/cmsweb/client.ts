/**
 * The HTTP client for cmsweb (ReqMgr2, WMStats, CouchDB) and DBS, authenticated with the operator's
 * grid certificate (mutual TLS).
 *
 * - One undici `Agent` (keep-alive) for both hosts, `connections = concurrency` per origin, plus a
 *   global semaphore so that at most `concurrency` requests are in flight across both hosts.
 * - A per-request timeout covering headers and body; retries with exponential backoff and jitter on
 *   5xx, 429, dropped connections, cut answers, timeouts and invalid JSON in a 2xx answer; never on
 *   other 4xx. An AbortSignal stops a call at once (no retry).
 * - Errors are `CmswebError`s in operator language (see errors.ts). When a connection is closed
 *   before any answer from a server that never answered us, a short diagnostic TLS connection tells
 *   whether the server refuses our client certificate (a TLS 1.3 server checks it after the client
 *   considers the handshake done, so the request only sees a closed socket).
 */
import { STATUS_CODES } from 'node:http'
import { isIP } from 'node:net'
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls'
import { Agent } from 'undici'
import type { CmswebConfig, Stats2Config } from '../config/config'
import { createLogger } from '../log/logger'
import { CredentialError, formatUtc, loadCredentials, type LoadedCredentials } from './credentials'
import {
  CmswebAbortError,
  CmswebError,
  classifyConnectionError,
  closedBeforeAnswer,
  errorCode,
  extractErrorDetail,
  htmlMessage,
  isClientCertificateAlert,
  truncate,
  type CmswebErrorKind
} from './errors'
import { loadTrustedCAs } from './trust'
import { duration } from '../util/time'

const log = createLogger('cmsweb')

export type CmswebHost = 'cmsweb' | 'dbs'

export interface RequestOptions {
  /** Label for `stats()`, e.g. 'dbs.filesummaries'; derived from the path when absent. */
  endpoint?: string
  /** Whole-request timeout (headers and body); default `cmsweb.timeoutMs`. */
  timeoutMs?: number
  /** Retries after the first attempt; default `cmsweb.retries`. */
  retries?: number
  signal?: AbortSignal
}

export interface CmswebClientInit {
  cmsweb: CmswebConfig
  credentials: LoadedCredentials
  /** Trusted CAs (see loadTrustedCAs); undefined = Node's defaults. */
  ca?: string[]
  /** First backoff delay in ms (doubled each retry, with jitter); default 200. */
  retryBaseMs?: number
  /** Longest backoff delay in ms; default 5000. */
  retryMaxMs?: number
  /** How long the diagnostic TLS connection waits for a server to refuse our certificate; default 1500 ms. */
  certificateProbeMs?: number
  /** Told of every finished call (metrics): its endpoint label, how long it took in all, how it ended. */
  onCall?: CallObserver
}

export interface CreateOptions extends Omit<CmswebClientInit, 'cmsweb' | 'credentials' | 'ca'> {
  credentials?: LoadedCredentials
}

/** One finished call: `attempts` counts the retries too; a cancelled call is not reported. */
export type CallObserver = (call: { endpoint: string; seconds: number; ok: boolean; attempts: number }) => void

export interface CmswebStats {
  /** Calls (getJson/postJson) per endpoint label; retries are not counted here. */
  requests: Record<string, number>
  /** Extra attempts made after a failure. */
  retries: number
  /** Calls that failed for good (cancelled calls are not failures). */
  failures: number
  /** Most requests in flight at once, across both hosts. */
  inFlightPeak: number
}

export interface CredentialSummary {
  kind: LoadedCredentials['kind']
  source: string
  subject: string
  issuer: string
  notBefore: string
  notAfter: string
  /** Whole days until expiry (negative once expired). */
  daysLeft: number
  /** One line for the "test connection" screen. */
  text: string
}

interface Failure {
  kind: CmswebErrorKind
  summary: string
  retryable: boolean
  status?: number
  detail?: string
  code?: string
  cause?: unknown
  retryAfterMs?: number
}

type Outcome = { ok: true; value: unknown } | { ok: false; failure: Failure }

interface ProbeResult {
  verdict: 'accepted' | 'rejected' | 'inconclusive'
  code?: string
}

/** A FIFO counting semaphore; a waiter that is aborted leaves the queue. */
class Semaphore {
  private active = 0
  private readonly waiters: (() => void)[] = []

  constructor(private readonly limit: number) {}

  acquire(signal: AbortSignal | undefined, onAbort: () => Error): Promise<void> {
    if (signal?.aborted) return Promise.reject(onAbort())
    if (this.active < this.limit) {
      this.active++
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', abort)
        resolve()
      }
      const abort = (): void => {
        const index = this.waiters.indexOf(grant)
        if (index >= 0) this.waiters.splice(index, 1)
        reject(onAbort())
      }
      this.waiters.push(grant)
      signal?.addEventListener('abort', abort, { once: true })
    })
  }

  release(): void {
    const next = this.waiters.shift()
    // The slot passes straight to the next waiter.
    if (next !== undefined) next()
    else this.active--
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, onAbort: () => Error): Promise<void> {
  if (signal?.aborted) return Promise.reject(onAbort())
  return new Promise<void>((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer)
      reject(onAbort())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', abort, { once: true })
  })
}

/** `promise`, or a rejection as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(onAbort())
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort())
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    )
  })
}


function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** `Retry-After` in ms (seconds or an HTTP date), if the server sent one. */
function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const raw = headerValue(headers, 'retry-after')?.trim()
  if (!raw) return undefined
  if (/^\d+$/.test(raw)) return Number(raw) * 1000
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** The default stats label: 'dbs.filesummaries', 'couchdb.reqmgr_workload_cache', 'reqmgr2.request', … */
export function endpointLabel(host: CmswebHost, url: URL, base: URL): string {
  const basePath = base.pathname.replace(/\/+$/, '')
  const relative = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname
  const parts = relative.split('/').filter((part) => part !== '')
  if (host === 'dbs') return `dbs.${parts.at(-1) ?? ''}`
  if (parts[0] === 'couchdb') {
    const special = parts.slice(2).filter((part) => part.startsWith('_'))
    return ['couchdb.' + (parts[1] ?? ''), ...special].join('/')
  }
  if (parts.length === 0) return 'cmsweb.'
  return parts.length === 1 ? `${parts[0]}` : `${parts[0]}.${parts.at(-1)}`
}

/**
 * A short diagnostic TLS connection: does the server close it (or send a certificate alert) right
 * after the handshake, before we say anything? Then it refuses our client certificate.
 */
function probeClientCertificate(url: URL, secureContext: SecureContext, waitMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const port = url.port === '' ? 443 : Number(url.port)
    const socket = tlsConnect({
      host,
      port,
      secureContext,
      ALPNProtocols: ['http/1.1'],
      ...(isIP(host) === 0 ? { servername: host } : {})
    })
    let secure = false
    let done = false
    const finish = (result: ProbeResult): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    let timer = setTimeout(() => finish({ verdict: 'inconclusive' }), Math.max(waitMs, 10_000))
    socket.once('secureConnect', () => {
      secure = true
      clearTimeout(timer)
      timer = setTimeout(() => finish({ verdict: 'accepted' }), waitMs)
    })
    socket.on('error', (err) => {
      const code = errorCode(err)
      const verdict = isClientCertificateAlert(code) || secure ? 'rejected' : 'inconclusive'
      finish({ verdict, ...(code === undefined ? {} : { code }) })
    })
    socket.once('close', () => finish({ verdict: secure ? 'rejected' : 'inconclusive' }))
  })
}

export class CmswebClient {
  readonly cmsweb: CmswebConfig
  private readonly credentials: LoadedCredentials
  private readonly secureContext: SecureContext
  private readonly agent: Agent
  private readonly semaphore: Semaphore
  private readonly bases: Record<CmswebHost, URL>
  private readonly retryBaseMs: number
  private readonly retryMaxMs: number
  private readonly probeMs: number
  private readonly onCall: CallObserver | undefined
  private readonly counts = new Map<string, number>()
  private retryCount = 0
  private failureCount = 0
  private inFlight = 0
  private inFlightPeak = 0
  private closed = false
  private closing: Promise<void> | undefined
  /** Origins that have sent us at least one HTTP answer: they accept our certificate. */
  private readonly answered = new Set<string>()
  private readonly probes = new Map<string, Promise<ProbeResult>>()

  /** Loads the credentials (unless given) and the trusted CAs from the configuration. */
  static async create(
    config: Pick<Stats2Config, 'credentials' | 'cmsweb'>,
    options: CreateOptions = {}
  ): Promise<CmswebClient> {
    const { credentials: given, ...rest } = options
    const credentials = given ?? (await loadCredentials(config.credentials))
    const ca = await loadTrustedCAs(config.cmsweb)
    return new CmswebClient({ cmsweb: config.cmsweb, credentials, ...(ca === undefined ? {} : { ca }), ...rest })
  }

  constructor(init: CmswebClientInit) {
    this.cmsweb = init.cmsweb
    this.credentials = init.credentials
    this.retryBaseMs = init.retryBaseMs ?? 200
    this.retryMaxMs = init.retryMaxMs ?? 5000
    this.probeMs = init.certificateProbeMs ?? 1500
    this.onCall = init.onCall
    const concurrency = Math.max(1, Math.floor(init.cmsweb.concurrency))
    const creds = init.credentials
    try {
      // Built once: the key is decrypted and the CA list parsed once, not for every connection.
      this.secureContext = createSecureContext({
        ...(creds.pfx === undefined ? { cert: creds.cert, key: creds.key } : { pfx: creds.pfx }),
        ...(creds.passphrase === undefined ? {} : { passphrase: creds.passphrase }),
        ...(init.ca === undefined ? {} : { ca: init.ca })
      })
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      throw new CredentialError('unreadable', `The credentials (${creds.source}) cannot be used: ${message}`, {
        cause: err
      })
    }
    this.agent = new Agent({
      connections: concurrency,
      keepAliveTimeout: 10_000,
      // Our own timer covers headers and body (undici's are inactivity timers of 300 s).
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { secureContext: this.secureContext }
    })
    this.semaphore = new Semaphore(concurrency)
    this.bases = { cmsweb: new URL(init.cmsweb.url), dbs: new URL(init.cmsweb.dbsUrl) }
  }

  getJson<T = unknown>(host: CmswebHost, path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', host, path, undefined, opts)
  }

  postJson<T = unknown>(host: CmswebHost, path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', host, path, JSON.stringify(body), opts)
  }

  stats(): CmswebStats {
    return {
      requests: Object.fromEntries(this.counts),
      retries: this.retryCount,
      failures: this.failureCount,
      inFlightPeak: this.inFlightPeak
    }
  }

  describe(now: Date = new Date()): CredentialSummary {
    const c = this.credentials
    const daysLeft = Math.floor((c.notAfter.getTime() - now.getTime()) / 86_400_000)
    const validity =
      daysLeft < 0 ? `expired on ${formatUtc(c.notAfter)}` : `valid until ${formatUtc(c.notAfter)} (${daysLeft} days left)`
    return {
      kind: c.kind,
      source: c.source,
      subject: c.subject,
      issuer: c.issuer,
      notBefore: formatUtc(c.notBefore),
      notAfter: formatUtc(c.notAfter),
      daysLeft,
      text: `${c.subject}, ${validity}; ${c.kind} from ${c.source}`
    }
  }

  /** Waits for the requests in flight, then closes the connections; later calls are refused. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    // undici rejects a second close() with ClientDestroyedError.
    this.closing ??= this.agent.close()
    await this.closing
  }

  private url(host: CmswebHost, path: string): URL {
    const base = this.bases[host]
    const url = new URL(base.href.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`))
    if (url.origin !== base.origin) throw new Error(`Path ${path} leaves ${base.origin}`)
    return url
  }

  private backoff(attempt: number, retryAfter: number | undefined): number {
    const exponential = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempt - 1))
    const jittered = exponential / 2 + Math.random() * (exponential / 2)
    const wanted = retryAfter === undefined ? jittered : Math.max(jittered, retryAfter)
    return Math.round(Math.min(this.retryMaxMs, wanted))
  }

  private async request<T>(
    method: 'GET' | 'POST',
    host: CmswebHost,
    path: string,
    body: string | undefined,
    opts: RequestOptions
  ): Promise<T> {
    if (this.closed) throw new Error('The cmsweb client is closed')
    const url = this.url(host, path)
    const label = opts.endpoint ?? endpointLabel(host, url, this.bases[host])
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1)
    const maxAttempts = 1 + Math.max(0, opts.retries ?? this.cmsweb.retries)
    const timeoutMs = opts.timeoutMs ?? this.cmsweb.timeoutMs
    const signal = opts.signal
    const aborted = (): Error => new CmswebAbortError(method, url.href, signal?.reason)
    const started = performance.now()
    const report = (ok: boolean, attempts: number): void => this.onCall?.({ endpoint: label, seconds: (performance.now() - started) / 1000, ok, attempts })

    for (let attempt = 1; ; attempt++) {
      await this.semaphore.acquire(signal, aborted)
      this.inFlight++
      this.inFlightPeak = Math.max(this.inFlightPeak, this.inFlight)
      let outcome: Outcome
      try {
        outcome = await this.once(method, url, body, timeoutMs, signal)
      } finally {
        this.inFlight--
        this.semaphore.release()
      }
      if (outcome.ok) {
        report(true, attempt)
        return outcome.value as T
      }

      let failure = outcome.failure
      if (failure.kind === 'network' && closedBeforeAnswer(failure.code) && !this.answered.has(url.origin)) {
        failure = await untilAborted(this.diagnose(url, failure), signal, aborted)
      }
      const error = new CmswebError({ ...failure, method, url: url.href, attempts: attempt })
      if (!failure.retryable || attempt >= maxAttempts) {
        this.failureCount++
        report(false, attempt)
        log.warn(error.message)
        throw error
      }
      const delay = this.backoff(attempt, failure.retryAfterMs)
      this.retryCount++
      log.warn(`${error.message}; retry ${attempt}/${maxAttempts - 1} in ${delay} ms`)
      await sleep(delay, signal, aborted)
    }
  }

  /** One attempt. Resolves with the parsed answer or a failure; rejects only when cancelled. */
  private async once(
    method: string,
    url: URL,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined
  ): Promise<Outcome> {
    if (signal?.aborted) throw new CmswebAbortError(method, url.href, signal.reason)
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort(new Error(`timeout after ${timeoutMs} ms`))
    }, timeoutMs)
    const onAbort = (): void => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let status: number | undefined
    try {
      const response = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: controller.signal
      })
      status = response.statusCode
      this.answered.add(url.origin)
      const text = await response.body.text()
      return this.interpret(method, response.statusCode, response.headers, text)
    } catch (err) {
      if (signal?.aborted) throw new CmswebAbortError(method, url.href, signal.reason)
      if (timedOut) {
        const what = status === undefined ? 'no answer' : `the answer (status ${status}) did not complete`
        return {
          ok: false,
          failure: { kind: 'timeout', summary: `${what} within ${duration(timeoutMs)}`, retryable: true, cause: err }
        }
      }
      return { ok: false, failure: { ...classifyConnectionError(err, url.origin), cause: err } }
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private interpret(
    method: string,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    text: string
  ): Outcome {
    if (status >= 200 && status < 300) {
      if (status === 204 || method === 'HEAD') return { ok: true, value: undefined }
      try {
        return { ok: true, value: JSON.parse(text) as unknown }
      } catch (err) {
        const trimmed = text.trimStart()
        if (trimmed.startsWith('<')) {
          // A login or proxy page, not a cut answer: another try would get the same.
          const page = htmlMessage(trimmed)
          return {
            ok: false,
            failure: {
              kind: 'invalid-json',
              retryable: false,
              summary: `an HTML page came instead of JSON${page ? ` (${truncate(page, 120)})` : ''}: check the URL`,
              ...(page === undefined ? {} : { detail: truncate(page) })
            }
          }
        }
        const reason = err instanceof Error ? err.message : String(err)
        return {
          ok: false,
          failure: {
            kind: 'invalid-json',
            retryable: true,
            summary:
              text.trim() === ''
                ? `an empty answer (status ${status}) instead of JSON`
                : `invalid JSON in the answer (${truncate(reason, 120)}; ${Buffer.byteLength(text)} bytes received)`,
            cause: err
          }
        }
      }
    }
    const detail = extractErrorDetail(text, headers)
    const statusText = STATUS_CODES[status] ?? 'HTTP error'
    if (status === 401 || status === 403) {
      return {
        ok: false,
        failure: {
          kind: 'client-certificate',
          status,
          retryable: false,
          summary: `the server refused the client certificate or its owner is not authorised (${this.credentials.subject})${detail ? `: ${detail}` : ''}`,
          ...(detail === undefined ? {} : { detail })
        }
      }
    }
    if (status >= 300 && status < 400) {
      const location = headerValue(headers, 'location')
      return {
        ok: false,
        failure: {
          kind: 'http',
          status,
          retryable: false,
          summary: `redirected${location ? ` to ${truncate(location, 200)}` : ''} (a login page? the client certificate may not have been accepted)`,
          ...(detail === undefined ? {} : { detail })
        }
      }
    }
    const retryable = status >= 500 || status === 429
    const after = retryable ? retryAfterMs(headers) : undefined
    return {
      ok: false,
      failure: {
        kind: 'http',
        status,
        retryable,
        summary: detail ?? statusText,
        ...(detail === undefined ? {} : { detail }),
        ...(after === undefined ? {} : { retryAfterMs: after })
      }
    }
  }

  /** A connection closed before any answer, on a server that never answered us: is it our certificate? */
  private async diagnose(url: URL, failure: Failure): Promise<Failure> {
    let pending = this.probes.get(url.origin)
    if (pending === undefined) {
      pending = probeClientCertificate(url, this.secureContext, this.probeMs).then((result) => {
        if (result.verdict === 'inconclusive') this.probes.delete(url.origin)
        return result
      })
      this.probes.set(url.origin, pending)
    }
    const result = await pending
    if (result.verdict !== 'rejected') return failure
    const c = this.credentials
    const how =
      result.code === undefined
        ? 'closed the connection right after the TLS handshake'
        : `refused the TLS session (${result.code})`
    return {
      kind: 'client-certificate',
      retryable: false,
      ...(result.code === undefined ? {} : { code: result.code }),
      cause: failure.cause,
      summary:
        `the server ${url.origin} ${how}: it requires a client certificate and refused ours ` +
        `(${c.subject}, issued by ${c.issuer}); check that it is a valid grid certificate registered for CMS`
    }
  }
}
