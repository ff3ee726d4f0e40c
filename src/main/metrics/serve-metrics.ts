/**
 * `GET <base>/metrics` of `stats2 serve`: Prometheus' text format (prom-client), one registry per
 * service instance. Request metrics are observed as requests end; the store's figures are read when
 * Prometheus scrapes, from a short cache (every few seconds at most, however often it is scraped):
 * `all_settings` for the last update, the requests database for the store's health, and the
 * incremental store summary (store-summary.ts) for workflows per status and events per campaign.
 *
 * Labels are bounded: routes and status classes, statuses (WMCore's list), the top campaigns by
 * events (the rest summed in one series), cmsweb endpoint labels. Never a workflow or dataset name.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CallObserver } from '../cmsweb/client'
import type { CouchStore } from '../store/couch-store'
import { cachedRead } from '../util/cached-read'
import { requestsDocCount } from '../serve/store-reads'
import { replicaMarkerOf } from '../replica/marker'
import { lastUpdateOf, type LastUpdateSummary } from './last-update'
import { cmswebMetrics } from './cmsweb-metrics'
import { StoreSummary, type SummaryFigures } from './store-summary'
import { OptionalGauge } from './optional-gauge'
import type { RouteLabel } from './routes'

export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

export interface ServeMetricsOptions {
  store: CouchStore
  /** Updates waiting or running in the service's queue. */
  queueLength: () => number
  version: string
  /** Campaigns exported by name (the rest summed); default 20. */
  topCampaigns?: number
  /** How long the store's figures are reused between scrapes (default 10 s). */
  cacheMs?: number
  /** How long a scrape waits for the store summary's first read (default 2 s; see store-summary.ts). */
  summaryFirstWaitMs?: number
}

interface StoreState {
  up: boolean
  summary?: SummaryFigures
  lastUpdate?: LastUpdateSummary
  lastDbsUpdate?: number
  lastPull?: number
}

export class ServeMetrics {
  readonly registry = new Registry()
  /** Feeds the cmsweb call metrics (the service's `api/update` runs). */
  readonly cmsweb: CallObserver
  private readonly duration: Histogram<'route' | 'status_class'>
  private readonly requests: Counter<'route' | 'status_class'>
  private readonly inFlight: Gauge

  constructor(options: ServeMetricsOptions) {
    const registry = this.registry
    collectDefaultMetrics({ register: registry })
    const summary = new StoreSummary(options.store, { top: options.topCampaigns ?? 20, ttlMs: options.cacheMs ?? 10_000, ...(options.summaryFirstWaitMs !== undefined ? { firstWaitMs: options.summaryFirstWaitMs } : {}) })
    const state = cachedRead(async () => readState(options.store, summary), options.cacheMs ?? 10_000)

    new Gauge({ name: 'stats2_info', help: 'Always 1; the version of this service as a label', labelNames: ['version'] as const, registers: [registry] }).set({ version: options.version }, 1)
    this.duration = new Histogram({
      name: 'stats2_http_request_duration_seconds',
      help: 'Time to answer a request, by route and status class',
      labelNames: ['route', 'status_class'] as const,
      buckets: HTTP_BUCKETS,
      registers: [registry]
    })
    this.requests = new Counter({ name: 'stats2_http_requests_total', help: 'Requests answered, by route and status class', labelNames: ['route', 'status_class'] as const, registers: [registry] })
    this.inFlight = new Gauge({ name: 'stats2_http_requests_in_flight', help: 'Requests being answered now', registers: [registry] })
    new Gauge({
      name: 'stats2_update_queue_length', help: 'Single-workflow updates (api/update) waiting or running', registers: [registry],
      collect() {
        this.set(options.queueLength())
      }
    })
    new Gauge({
      name: 'stats2_store_up', help: '1 when the store (CouchDB) answers, else 0', registers: [registry],
      async collect() {
        this.set((await state()).up ? 1 : 0)
      }
    })
    new Gauge({
      name: 'stats2_store_summary_up', help: '1 when the workflows per status and events per campaign are known (see docs/monitoring.md)', registers: [registry],
      async collect() {
        this.set((await state()).summary ? 1 : 0)
      }
    })
    new Gauge({
      name: 'stats2_workflows', help: 'Stored workflows by current status (the last RequestTransition; "" when none)', labelNames: ['status'] as const, registers: [registry],
      async collect() {
        const figures = (await state()).summary
        this.reset()
        for (const [status, count] of figures?.byStatus ?? []) this.set({ status }, count)
      }
    })
    new Gauge({
      name: 'stats2_campaign_events', help: 'Events of the workflows\' final datasets per campaign, for the campaigns with the most events (the rest in campaign="_other")',
      labelNames: ['campaign'] as const, registers: [registry],
      async collect() {
        const figures = (await state()).summary
        this.reset()
        if (!figures) return
        for (const { campaign, events } of figures.topCampaigns) this.set({ campaign }, events)
        if (figures.campaigns > figures.topCampaigns.length) this.set({ campaign: '_other' }, figures.otherCampaignsEvents)
      }
    })
    new OptionalGauge({ name: 'stats2_campaigns', help: 'Campaigns with at least one stored workflow', registers: [registry], read: async () => (await state()).summary?.campaigns })
    const fromSettings = (name: string, help: string, pick: (s: StoreState) => number | undefined): void => {
      new OptionalGauge({ name, help, registers: [registry], read: async () => pick(await state()) })
    }
    fromSettings('stats2_last_update_timestamp_seconds', 'When the last update-all finished (unix seconds; all_settings.last_dbs_update_date is when it started)', (s) => s.lastUpdate?.finished ?? s.lastDbsUpdate)
    fromSettings('stats2_last_update_duration_seconds', 'How long the last update-all took', (s) => (s.lastUpdate ? s.lastUpdate.finished - s.lastUpdate.started : undefined))
    fromSettings('stats2_reqmgr_changes_behind', 'Changes the ReqMgr2 feed held after the stored sequence when the last update-all ended', (s) => s.lastUpdate?.behind)
    fromSettings('stats2_replica_last_pull_timestamp_seconds', 'On a replica (stats2 replicate): when its last pull caught up', (s) => s.lastPull)
    new Gauge({
      name: 'stats2_last_update_workflows', help: 'Workflows of the last update-all by outcome (changed, written, failed, deleted)', labelNames: ['outcome'] as const, registers: [registry],
      async collect() {
        const last = (await state()).lastUpdate
        this.reset()
        if (!last) return
        for (const outcome of ['changed', 'written', 'failed', 'deleted'] as const) this.set({ outcome }, last[outcome])
      }
    })
    this.cmsweb = cmswebMetrics(registry, 'stats2_cmsweb')
  }

  /** Counts a request in flight until its answer ends; `route` is asked for then (the path is parsed by the handler). */
  track(_req: IncomingMessage, res: ServerResponse, route: () => RouteLabel): void {
    const started = performance.now()
    this.inFlight.inc()
    res.once('close', () => {
      this.inFlight.dec()
      const labels = { route: route(), status_class: `${Math.floor(res.statusCode / 100)}xx` }
      this.duration.observe(labels, (performance.now() - started) / 1000)
      this.requests.inc(labels)
    })
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

async function readState(store: CouchStore, summary: StoreSummary): Promise<StoreState> {
  try {
    await requestsDocCount(store)
  } catch {
    return { up: false }
  }
  const state: StoreState = { up: true }
  try {
    const settings = await store.getSettings()
    state.lastUpdate = lastUpdateOf(settings)
    if (typeof settings.last_dbs_update_date === 'number') state.lastDbsUpdate = settings.last_dbs_update_date
    state.lastPull = replicaMarkerOf(settings)?.last_pull
  } catch {
    // the settings database alone missing: the rest still counts
  }
  // figures() never rejects: a summary that cannot be read is no summary (and a warning in the log).
  state.summary = await summary.figures()
  return state
}
