/**
 * Configuration of `stats2 serve` (the old Stats2 web service's URLs): command-line options plus the
 * STATS2_SERVE_* environment variables. Kept beside config.ts so that the desktop's settings stay
 * untouched by service-only options.
 */
import { isIP } from 'node:net'
import { ConfigError } from './config'

type Env = Record<string, string | undefined>

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

/** The documented defaults of the limits (docs/service-limits.md). */
export const SERVE_LIMIT_DEFAULTS = {
  fetchMaxDocs: 10_000,
  fetchMaxBytes: 256 * 1024 * 1024,
  concurrency: 64,
  clientConcurrency: 16,
  heavyConcurrency: 8,
  clientHeavy: 2,
  streams: 200,
  clientStreams: 4,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxConnections: 512,
  clientConnections: 64
} as const

export const DEFAULT_PUBLIC_URL = 'https://cms-pdmv-prod.web.cern.ch/stats'

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
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
  const publicUrl = (nonEmpty(env.STATS2_SERVE_PUBLIC_URL) ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '')
  try {
    const parsed = new URL(publicUrl)
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http')
  } catch {
    throw new ConfigError(`STATS2_SERVE_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`)
  }
  const trustedHeader = nonEmpty(env.STATS2_SERVE_TRUSTED_HEADER)?.toLowerCase()
  if (trustedHeader !== undefined && !/^[a-z0-9-]+$/.test(trustedHeader)) {
    throw new ConfigError(`STATS2_SERVE_TRUSTED_HEADER must be a header name, got "${trustedHeader}"`)
  }
  const trustedProxies = (nonEmpty(env.STATS2_SERVE_TRUSTED_PROXIES) ?? '').split(',').map((p) => p.trim()).filter(Boolean)
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
    tokensFile: nonEmpty(env.STATS2_SERVE_TOKENS_FILE),
    trustedHeader,
    trustedProxies,
    updateConcurrency: intFrom(env.STATS2_SERVE_UPDATES, 'STATS2_SERVE_UPDATES', 2, 1, 64),
    updateQueue: intFrom(env.STATS2_SERVE_UPDATE_QUEUE, 'STATS2_SERVE_UPDATE_QUEUE', 100, 0, 100_000),
    publicUrl,
    drainMs: intFrom(env.STATS2_SERVE_DRAIN_MS, 'STATS2_SERVE_DRAIN_MS', 10_000, 0, 600_000),
    ...serveLimits(env)
  }
}

function serveLimits(env: Env): Omit<ServeConfig, 'host' | 'port' | 'basePath' | 'tokensFile' | 'trustedHeader' | 'trustedProxies' | 'updateConcurrency' | 'updateQueue' | 'publicUrl' | 'drainMs'> {
  const d = SERVE_LIMIT_DEFAULTS
  const limits = {
    fetchMaxDocs: intFrom(env.STATS2_SERVE_FETCH_MAX_DOCS, 'STATS2_SERVE_FETCH_MAX_DOCS', d.fetchMaxDocs, 1, 10_000),
    fetchMaxBytes: intFrom(env.STATS2_SERVE_FETCH_MAX_BYTES, 'STATS2_SERVE_FETCH_MAX_BYTES', d.fetchMaxBytes, 1024, 2 ** 32),
    concurrency: intFrom(env.STATS2_SERVE_CONCURRENCY, 'STATS2_SERVE_CONCURRENCY', d.concurrency, 1, 10_000),
    clientConcurrency: intFrom(env.STATS2_SERVE_CLIENT_CONCURRENCY, 'STATS2_SERVE_CLIENT_CONCURRENCY', d.clientConcurrency, 1, 10_000),
    heavyConcurrency: intFrom(env.STATS2_SERVE_HEAVY, 'STATS2_SERVE_HEAVY', d.heavyConcurrency, 1, 1000),
    clientHeavy: intFrom(env.STATS2_SERVE_CLIENT_HEAVY, 'STATS2_SERVE_CLIENT_HEAVY', d.clientHeavy, 1, 1000),
    streams: intFrom(env.STATS2_SERVE_STREAMS, 'STATS2_SERVE_STREAMS', d.streams, 0, 100_000),
    clientStreams: intFrom(env.STATS2_SERVE_CLIENT_STREAMS, 'STATS2_SERVE_CLIENT_STREAMS', d.clientStreams, 0, 10_000),
    headersTimeoutMs: intFrom(env.STATS2_SERVE_HEADERS_TIMEOUT_MS, 'STATS2_SERVE_HEADERS_TIMEOUT_MS', d.headersTimeoutMs, 100, 600_000),
    requestTimeoutMs: intFrom(env.STATS2_SERVE_REQUEST_TIMEOUT_MS, 'STATS2_SERVE_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 100, 3_600_000),
    idleTimeoutMs: intFrom(env.STATS2_SERVE_IDLE_TIMEOUT_MS, 'STATS2_SERVE_IDLE_TIMEOUT_MS', d.idleTimeoutMs, 100, 3_600_000),
    maxConnections: intFrom(env.STATS2_SERVE_MAX_CONNECTIONS, 'STATS2_SERVE_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
    clientConnections: intFrom(env.STATS2_SERVE_CLIENT_CONNECTIONS, 'STATS2_SERVE_CLIENT_CONNECTIONS', d.clientConnections, 1, 1_000_000)
  }
  // Node's own rule: the whole request cannot have less time than its headers.
  if (limits.requestTimeoutMs < limits.headersTimeoutMs) {
    throw new ConfigError(`STATS2_SERVE_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}) must be at least STATS2_SERVE_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs})`)
  }
  return limits
}
