/**
 * cmsweb calls as metrics (ReqMgr2, DBS, WMStats): counted per endpoint label (`reqmgr2.changes`,
 * `dbs.filesummaries`, … — a fixed set, never a workflow or dataset name) and outcome, with their
 * latency, fed by the cmsweb client's call observer.
 */
import { Counter, Histogram, type Registry } from 'prom-client'
import type { CallObserver } from '../cmsweb/client'

/** Seconds: cmsweb answers take from tens of milliseconds to minutes (a large DBS summary). */
export const CMSWEB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export function cmswebMetrics(registry: Registry, prefix: string): CallObserver {
  const requests = new Counter({
    name: `${prefix}_requests_total`,
    help: 'cmsweb calls (ReqMgr2, DBS, WMStats) by endpoint and outcome (ok or error, after retries)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry]
  })
  const retries = new Counter({
    name: `${prefix}_retries_total`,
    help: 'cmsweb attempts repeated after a timeout, a reset or a 5xx answer, by endpoint',
    labelNames: ['endpoint'] as const,
    registers: [registry]
  })
  const latency = new Histogram({
    name: `${prefix}_request_duration_seconds`,
    help: 'Time of a cmsweb call by endpoint, retries included',
    labelNames: ['endpoint'] as const,
    buckets: CMSWEB_BUCKETS,
    registers: [registry]
  })
  return ({ endpoint, seconds, ok, attempts }) => {
    requests.inc({ endpoint, outcome: ok ? 'ok' : 'error' })
    if (attempts > 1) retries.inc({ endpoint }, attempts - 1)
    latency.observe({ endpoint }, seconds)
  }
}
