/**
 * The pieces of `stats2 serve` around the HTTP server, wired once for the command and the tests:
 * who may update, who may read `/metrics`, the metrics registry, the update queue and its runner.
 */
import type { Stats2Config } from '../config/config'
import type { ServeConfig } from '../config/serve-config'
import type { CouchStore } from '../store/couch-store'
import { ServeMetrics, type ServeMetricsOptions } from '../metrics/serve-metrics'
import { STATS2_VERSION } from '../core/version'
import { Authoriser } from './auth'
import { UpdateQueue, updaterRunner } from './updates'

export interface ServiceParts {
  auth: Authoriser
  metricsAuth?: Authoriser
  metrics?: ServeMetrics
  updates: UpdateQueue
  version: string
  /** Closes the runner's cmsweb connection. */
  close(): Promise<void>
}

export interface ServiceAccess {
  auth: Authoriser
  metricsAuth?: Authoriser
}

/** Who may update and who may read `/metrics`; a missing tokens file is a configuration error here, before anything opens. */
export function serviceAccess(serveConfig: ServeConfig): ServiceAccess {
  const auth = new Authoriser(serveConfig)
  // Its own tokens: a token Prometheus holds must never be able to trigger updates.
  const metricsAuth = serveConfig.metrics === 'token'
    ? new Authoriser({ tokensFile: serveConfig.metricsTokensFile, trustedProxies: [] }, { doing: 'Reading the metrics', tokens: 'metrics', variable: 'STATS2_SERVE_METRICS_TOKENS_FILE' })
    : undefined
  return { auth, ...(metricsAuth ? { metricsAuth } : {}) }
}

export function serviceParts(
  config: Stats2Config, serveConfig: ServeConfig, store: CouchStore,
  access: ServiceAccess = serviceAccess(serveConfig),
  metricsOptions: Partial<Pick<ServeMetricsOptions, 'topCampaigns' | 'cacheMs' | 'summaryFirstWaitMs'>> = {}
): ServiceParts {
  const { auth, metricsAuth } = access
  // The queue is made after the metrics (its runner reports cmsweb calls to them), which read its length later.
  const queue: { current?: UpdateQueue } = {}
  const metrics = serveConfig.metrics === 'off' ? undefined : new ServeMetrics({ store, queueLength: () => queue.current?.inFlight ?? 0, version: STATS2_VERSION, ...metricsOptions })
  const runner = updaterRunner(config, store, metrics?.cmsweb)
  const updates = new UpdateQueue(runner.run, { concurrency: serveConfig.updateConcurrency, queue: serveConfig.updateQueue })
  queue.current = updates
  return { auth, metricsAuth, metrics, updates, version: STATS2_VERSION, close: () => runner.close() }
}
