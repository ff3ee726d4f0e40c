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
    drainMs: envInt(env, 'STATS2_SERVE_DRAIN_MS')
  }
}
