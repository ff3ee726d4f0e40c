/**
 * The service's operations routes: `GET <base>/metrics` (Prometheus, see metrics/serve-metrics.ts)
 * and `GET <base>/api/openapi.json` (openapi/document.ts). They answer a status, a type and a body,
 * which server.ts sends with its common headers (it answers other methods than GET and HEAD 405
 * before asking).
 */
import type { IncomingMessage } from 'node:http'
import type { ServeConfig } from '../config/serve-config'
import type { ServeMetrics } from '../metrics/serve-metrics'
import type { Authoriser } from './auth'
import { NotFoundError } from '../core/errors'
import { openApiDocument } from './openapi/document'

export interface OpsDeps {
  config: ServeConfig
  metrics?: ServeMetrics
  /** Checks `/metrics` callers when `config.metrics` is `token`. */
  metricsAuth?: Authoriser
  version: string
  fetchMaxPages: number
  mdMaxPages: number
}

export interface OpsAnswer {
  status: number
  type: string
  body: string
  headers?: Record<string, string>
}

/** The operations routes of one service: each call answers `rest`, or undefined when it is none of them. */
export function opsRoutes(deps: OpsDeps): (rest: string, req: IncomingMessage) => Promise<OpsAnswer | undefined> {
  // The description depends on the configuration only: made once, when first asked for.
  let openApiBody: string | undefined
  return async (rest, req) => {
    if (rest === '/metrics') return metrics(req, deps)
    if (rest === '/api/openapi.json') {
      openApiBody ??= JSON.stringify(openApiDocument({
        basePath: deps.config.basePath, version: deps.version, fetchMaxPages: deps.fetchMaxPages, mdMaxPages: deps.mdMaxPages, trustedHeader: deps.config.trustedHeader
      }), null, 2) + '\n'
      return { status: 200, type: 'application/json', body: openApiBody, headers: { 'cache-control': 'max-age=300' } }
    }
    return undefined
  }
}

async function metrics(req: IncomingMessage, deps: OpsDeps): Promise<OpsAnswer> {
  if (deps.config.metrics === 'off' || !deps.metrics) throw new NotFoundError('/metrics is turned off on this service (STATS2_SERVE_METRICS=off)')
  if (deps.config.metrics === 'token') {
    const decision = deps.metricsAuth?.authorise(req) ?? { ok: false as const, status: 401 as const, message: 'No metrics tokens are configured.' }
    if (!decision.ok) {
      const headers: Record<string, string> = decision.status === 401 ? { 'www-authenticate': 'Bearer realm="stats2-metrics"' } : {}
      return { status: decision.status, type: 'text/plain; charset=utf-8', body: `${decision.message}\n`, headers }
    }
  }
  const { contentType, body } = await deps.metrics.render()
  return { status: 200, type: contentType, body }
}
