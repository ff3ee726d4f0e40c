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
  /**
   * Who may read `/metrics` (STATS2_SERVE_METRICS): anyone (`anonymous`, the default, as Prometheus
   * endpoints of internal services are), bearer tokens of STATS2_SERVE_METRICS_TOKENS_FILE (`token`),
   * or nobody (`off`: 404).
   */
  metrics: 'anonymous' | 'token' | 'off'
  /** Bearer tokens for `/metrics`, one a line (STATS2_SERVE_METRICS_TOKENS_FILE); never the update tokens. */
  metricsTokensFile?: string
}

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
  const metrics = (nonEmpty(env.STATS2_SERVE_METRICS) ?? 'anonymous').toLowerCase()
  if (metrics !== 'anonymous' && metrics !== 'token' && metrics !== 'off') {
    throw new ConfigError(`STATS2_SERVE_METRICS must be "anonymous", "token" or "off", got "${metrics}"`)
  }
  const metricsTokensFile = nonEmpty(env.STATS2_SERVE_METRICS_TOKENS_FILE)
  if (metrics === 'token' && metricsTokensFile === undefined) {
    throw new ConfigError('STATS2_SERVE_METRICS=token needs STATS2_SERVE_METRICS_TOKENS_FILE: the bearer tokens Prometheus may send, one a line')
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
    metrics,
    ...(metricsTokensFile === undefined ? {} : { metricsTokensFile })
  }
}
