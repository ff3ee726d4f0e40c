/**
 * Configuration of `stats2 serve` (the old Stats2 web service's URLs): command-line options plus the
 * STATS2_SERVE_* environment variables. Kept beside config.ts so that the desktop's settings stay
 * untouched by service-only options.
 */
import { isIP } from 'node:net'
import { ConfigError, envInt, envText, envUrl, nonEmpty, type Env } from './env'

export interface ServeConfig {
  host: string
  port: number
  /** `/stats` (default) or `/`; always starts with `/`, never ends with one except `/` itself. */
  basePath: string
  /** Bearer tokens, one a line (STATS2_SERVE_TOKENS_FILE). */
  tokensFile?: string
  /** A header set by a trusted reverse proxy after its own login (STATS2_SERVE_TRUSTED_HEADER), lower-cased. */
  trustedHeader?: string
  /** Addresses of the proxies whose header is believed (STATS2_SERVE_TRUSTED_PROXIES). */
  trustedProxies: string[]
  /** Single-workflow updates running at once (STATS2_SERVE_UPDATES). */
  updateConcurrency: number
  /** Updates waiting beyond those; more are answered 503 (STATS2_SERVE_UPDATE_QUEUE). */
  updateQueue: number
  /** The service's public address, for the Markdown table's links (STATS2_SERVE_PUBLIC_URL). */
  publicUrl: string
  /** How long SIGTERM waits for requests in flight (STATS2_SERVE_DRAIN_MS). */
  drainMs: number
  /** Documents in one `/api/fetch` answer at most (STATS2_SERVE_FETCH_MAX_DOCS; the old service's 100 pages). */
  fetchMaxDocs: number
  /** Bytes of one `/api/fetch` answer at most; it stops at a whole document (STATS2_SERVE_FETCH_MAX_BYTES). */
  fetchMaxBytes: number
  /** Requests that read the store, at once per instance (STATS2_SERVE_CONCURRENCY) and per client (STATS2_SERVE_CLIENT_CONCURRENCY). */
  concurrency: number
  clientConcurrency: number
  /** `/api/fetch` and `/md` answers at once per instance (STATS2_SERVE_HEAVY) and per client (STATS2_SERVE_CLIENT_HEAVY). */
  heavyConcurrency: number
  clientHeavy: number
  /** Dashboard event streams open per instance (STATS2_SERVE_STREAMS) and per client (STATS2_SERVE_CLIENT_STREAMS). */
  streams: number
  clientStreams: number
  /** A request's headers must arrive within this (STATS2_SERVE_HEADERS_TIMEOUT_MS), the whole request within `requestTimeoutMs`. */
  headersTimeoutMs: number
  requestTimeoutMs: number
  /** A connection that neither sends nor takes any data for this long is closed (STATS2_SERVE_IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number
  /** Open connections per instance (STATS2_SERVE_MAX_CONNECTIONS) and per client address (STATS2_SERVE_CLIENT_CONNECTIONS; trusted proxies exempt). */
  maxConnections: number
  clientConnections: number
}


function intFrom(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  const text = nonEmpty(raw)
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`)
  return value
}

/** `/stats`, `stats/`, `/` → `/stats`, `/stats`, `/`. Only plain path characters. */
export function normaliseBasePath(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, '')
  if (trimmed === '') return '/'
  const path = trimmed.startsWith('/') ? trimmed : `/${trimmed}`
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path)) throw new ConfigError(`--base-path must be "/" or a path like "/stats", got "${raw}"`)
  return path
}

export interface ServeArgs {
  host?: string
  port?: string
  basePath?: string
}

export function loadServeConfig(env: Env, args: ServeArgs = {}): ServeConfig {
  const host = nonEmpty(args.host) ?? '127.0.0.1'
  if (isIP(host) === 0 && host !== 'localhost') throw new ConfigError(`--host must be an IP address (or localhost), got "${host}"`)
  const publicUrl = envUrl(env, 'STATS2_SERVE_PUBLIC_URL')!
  const trustedHeader = envText(env, 'STATS2_SERVE_TRUSTED_HEADER')?.toLowerCase()
  if (trustedHeader !== undefined && !/^[a-z0-9-]+$/.test(trustedHeader)) {
    throw new ConfigError(`STATS2_SERVE_TRUSTED_HEADER must be a header name, got "${trustedHeader}"`)
  }
  const trustedProxies = (envText(env, 'STATS2_SERVE_TRUSTED_PROXIES') ?? '').split(',').map((p) => p.trim()).filter(Boolean)
  for (const proxy of trustedProxies) {
    if (isIP(proxy) === 0) throw new ConfigError(`STATS2_SERVE_TRUSTED_PROXIES lists addresses (comma-separated IPs), got "${proxy}"`)
  }
  if (trustedHeader !== undefined && trustedProxies.length === 0) {
    throw new ConfigError('STATS2_SERVE_TRUSTED_HEADER needs STATS2_SERVE_TRUSTED_PROXIES: the addresses of the proxies that set it')
  }
  return {
    host,
    port: intFrom(args.port, '--port', 8000, 0, 65535),
    basePath: normaliseBasePath(args.basePath ?? '/stats'),
    tokensFile: envText(env, 'STATS2_SERVE_TOKENS_FILE'),
    trustedHeader,
    trustedProxies,
    updateConcurrency: envInt(env, 'STATS2_SERVE_UPDATES'),
    updateQueue: envInt(env, 'STATS2_SERVE_UPDATE_QUEUE'),
    publicUrl,
    drainMs: envInt(env, 'STATS2_SERVE_DRAIN_MS'),
    ...serveLimits(env)
  }
}

/** The limits of docs/service-limits.md (defaults and bounds in the configuration table). */
function serveLimits(env: Env): Pick<ServeConfig, 'fetchMaxDocs' | 'fetchMaxBytes' | 'concurrency' | 'clientConcurrency' | 'heavyConcurrency' | 'clientHeavy' | 'streams' | 'clientStreams' | 'headersTimeoutMs' | 'requestTimeoutMs' | 'idleTimeoutMs' | 'maxConnections' | 'clientConnections'> {
  const limits = {
    fetchMaxDocs: envInt(env, 'STATS2_SERVE_FETCH_MAX_DOCS'),
    fetchMaxBytes: envInt(env, 'STATS2_SERVE_FETCH_MAX_BYTES'),
    concurrency: envInt(env, 'STATS2_SERVE_CONCURRENCY'),
    clientConcurrency: envInt(env, 'STATS2_SERVE_CLIENT_CONCURRENCY'),
    heavyConcurrency: envInt(env, 'STATS2_SERVE_HEAVY'),
    clientHeavy: envInt(env, 'STATS2_SERVE_CLIENT_HEAVY'),
    streams: envInt(env, 'STATS2_SERVE_STREAMS'),
    clientStreams: envInt(env, 'STATS2_SERVE_CLIENT_STREAMS'),
    headersTimeoutMs: envInt(env, 'STATS2_SERVE_HEADERS_TIMEOUT_MS'),
    requestTimeoutMs: envInt(env, 'STATS2_SERVE_REQUEST_TIMEOUT_MS'),
    idleTimeoutMs: envInt(env, 'STATS2_SERVE_IDLE_TIMEOUT_MS'),
    maxConnections: envInt(env, 'STATS2_SERVE_MAX_CONNECTIONS'),
    clientConnections: envInt(env, 'STATS2_SERVE_CLIENT_CONNECTIONS')
  }
  // Node's own rule: the whole request cannot have less time than its headers.
  if (limits.requestTimeoutMs < limits.headersTimeoutMs) {
    throw new ConfigError(`STATS2_SERVE_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}) must be at least STATS2_SERVE_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs})`)
  }
  return limits
}
