/**
 * `GET /metrics` of a real `stats2 serve` on a store the updater filled over the public scenario
 * (simulator over mTLS, `stats2 update` as an operator runs it): every metric's name and type, the
 * figures against the stored documents, request and cmsweb metrics after real calls, the summary
 * following the store incrementally, bounded labels, who may read it, and a store that is away.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { lastUpdateOf } from '../../src/main/metrics/last-update'
import { loadServeConfig } from '../../src/main/config/serve-config'
import { call, fillPublicStore, serveStore, type FilledStore, type ServiceUnderTest } from '../serve/helpers'
import { parseExposition, valueOf, type Exposition } from '../helpers/prometheus'

const UPDATE_TOKEN = 'a3f9c2d4e5b6a7980112233445566778'
const METRICS_TOKEN = 'b7e1c2d4e5b6a7980112233445566799'
const NAME = 'amaltaro_MonteCarlo_eff_HG1812_Validation_181203_120941_3893'

let work: string
let filled: FilledStore
let store: CouchStore
let svc: ServiceUnderTest
let env: Record<string, string>

/** Every metric of `/metrics` and its type (docs/monitoring.md lists the same). */
export const SERVE_METRICS: Record<string, string> = {
  stats2_info: 'gauge',
  stats2_http_request_duration_seconds: 'histogram',
  stats2_http_requests_total: 'counter',
  stats2_http_requests_in_flight: 'gauge',
  stats2_update_queue_length: 'gauge',
  stats2_store_up: 'gauge',
  stats2_store_summary_up: 'gauge',
  stats2_workflows: 'gauge',
  stats2_campaign_events: 'gauge',
  stats2_campaigns: 'gauge',
  stats2_last_update_timestamp_seconds: 'gauge',
  stats2_last_update_duration_seconds: 'gauge',
  stats2_last_update_workflows: 'gauge',
  stats2_reqmgr_changes_behind: 'gauge',
  stats2_replica_last_pull_timestamp_seconds: 'gauge',
  stats2_cmsweb_requests_total: 'counter',
  stats2_cmsweb_retries_total: 'counter',
  stats2_cmsweb_request_duration_seconds: 'histogram',
  process_resident_memory_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge'
}

async function scrape(origin: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const answer = await call(`${origin}/stats/metrics`, { headers })
  expect(answer.status, answer.text).toBe(200)
  expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
  return parseExposition(answer.text)
}

async function storedDocs(): Promise<WorkflowDoc[]> {
  const docs: WorkflowDoc[] = []
  for await (const page of store.allWorkflows()) docs.push(...page)
  return docs
}

const statusOf = (doc: WorkflowDoc): string => doc.RequestTransition.at(-1)?.Status ?? ''
function finalEvents(doc: WorkflowDoc): number {
  const dataset = doc.OutputDatasets.at(-1)
  const newest = [...doc.EventNumberHistory].sort((a, b) => a.Time - b.Time).at(-1)
  return (dataset && newest?.Datasets[dataset]?.Events) || 0
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-metrics-'))
  filled = await fillPublicStore(work)
  const tokens = join(work, 'tokens')
  await writeFile(tokens, `${UPDATE_TOKEN}\n`)
  await chmod(tokens, 0o600)
  env = { ...filled.env, STATS2_SERVE_TOKENS_FILE: tokens }
  store = await CouchStore.open(filled.config.db)
  // No cache between scrapes, and the top 3 campaigns only, so both can be seen here; the first
  // scrape waits for the summary however loaded the machine is (the first-read limit has its own test).
  svc = await serveStore(store, filled.config, env, '/stats', undefined, { topCampaigns: 3, cacheMs: 0, summaryFirstWaitMs: 120_000 })
}, 120_000)

afterAll(async () => {
  await svc?.close()
  await store?.close()
  await filled?.sim.close()
  await rm(work, { recursive: true, force: true })
})

describe('what /metrics holds', () => {
  it('every metric with its type; the store\'s figures equal the stored documents\'', async () => {
    const metrics = await scrape(svc.origin)
    for (const [name, type] of Object.entries(SERVE_METRICS)) expect(metrics.types.get(name), name).toBe(type)
    expect(valueOf(metrics, 'stats2_store_up')).toBe(1)
    expect(valueOf(metrics, 'stats2_store_summary_up')).toBe(1)
    const docs = await storedDocs()
    const byStatus = new Map<string, number>()
    for (const doc of docs) byStatus.set(statusOf(doc), (byStatus.get(statusOf(doc)) ?? 0) + 1)
    const exported = new Map(metrics.samples.filter((s) => s.name === 'stats2_workflows').map((s) => [s.labels.status!, s.value]))
    expect(exported).toEqual(byStatus)
    // Events per campaign: the top 3, the rest summed under "_other".
    const byCampaign = new Map<string, number>()
    for (const doc of docs) for (const campaign of new Set(doc.Campaigns as string[])) byCampaign.set(campaign, (byCampaign.get(campaign) ?? 0) + finalEvents(doc))
    const sorted = [...byCampaign].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    expect(sorted.length).toBeGreaterThan(3)
    const campaigns = metrics.samples.filter((s) => s.name === 'stats2_campaign_events')
    expect(campaigns.map((s) => [s.labels.campaign, s.value])).toEqual([...sorted.slice(0, 3), ['_other', sorted.slice(3).reduce((sum, [, e]) => sum + e, 0)]])
    expect(valueOf(metrics, 'stats2_campaigns')).toBe(sorted.length)
    // The last update, as `stats2 update` recorded it in all_settings.
    const last = lastUpdateOf(await store.getSettings())!
    expect(last).toBeDefined()
    expect(valueOf(metrics, 'stats2_last_update_timestamp_seconds')).toBe(last.finished)
    expect(valueOf(metrics, 'stats2_last_update_duration_seconds')).toBe(last.finished - last.started)
    expect(valueOf(metrics, 'stats2_last_update_workflows', { outcome: 'written' })).toBe(last.written)
    expect(valueOf(metrics, 'stats2_reqmgr_changes_behind')).toBe(0)
    // Bounded labels: never a workflow name, whatever the metric.
    const names = new Set(docs.map((d) => d._id))
    for (const sample of metrics.samples) for (const value of Object.values(sample.labels)) expect(names.has(value), `${sample.name} ${value}`).toBe(false)
  })

  it('requests by route and status class; an api/update run\'s cmsweb calls', async () => {
    expect((await call(`${svc.origin}/stats/`)).status).toBe(200)
    expect((await call(`${svc.origin}/stats/api/get_json/no_such_workflow_000000_000000_1`)).status).toBe(404)
    expect((await call(`${svc.origin}/stats/api/fetch?prepid=${'x'.repeat(2000)}`)).status).toBe(400)
    const update = await call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: { authorization: `Bearer ${UPDATE_TOKEN}` } })
    expect(update.status, update.text).toBe(200)
    const metrics = await scrape(svc.origin)
    expect(valueOf(metrics, 'stats2_http_requests_total', { route: 'page', status_class: '2xx' })).toBeGreaterThanOrEqual(1)
    expect(valueOf(metrics, 'stats2_http_requests_total', { route: 'get_json', status_class: '4xx' })).toBeGreaterThanOrEqual(1)
    expect(valueOf(metrics, 'stats2_http_requests_total', { route: 'fetch', status_class: '4xx' })).toBeGreaterThanOrEqual(1)
    expect(valueOf(metrics, 'stats2_http_request_duration_seconds_count', { route: 'update', status_class: '2xx' })).toBe(1)
    // This scrape is in flight while it is answered.
    expect(valueOf(metrics, 'stats2_http_requests_in_flight')).toBe(1)
    expect(valueOf(metrics, 'stats2_update_queue_length')).toBe(0)
    const calls = metrics.samples.filter((s) => s.name === 'stats2_cmsweb_requests_total')
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.every((s) => s.labels.outcome === 'ok' && /^(reqmgr2|dbs|wmstats|couchdb)\./.test(s.labels.endpoint!))).toBe(true)
    const total = calls.reduce((sum, s) => sum + s.value, 0)
    expect(valueOf(metrics, 'stats2_cmsweb_request_duration_seconds_count')).toBe(total)
    const routes = new Set(metrics.samples.filter((s) => s.name === 'stats2_http_requests_total').map((s) => s.labels.route))
    expect([...routes].every((route) => ['page', 'get_json', 'fetch', 'update', 'metrics'].includes(route!))).toBe(true)
  })

  it('follows the store: a new workflow, a changed one, a deleted one', async () => {
    const before = await scrape(svc.origin)
    const count = (m: Exposition, status: string): number => valueOf(m, 'stats2_workflows', { status }) ?? 0
    const doc: WorkflowDoc = {
      _id: 'metrics_test_Run3_250101_120000_1', Campaigns: ['MetricsCampaign'], EventNumberHistory: [{ Time: 1, Datasets: { '/A/B/NANOAODSIM': { Type: 'VALID', Events: 9e12, Size: 1 } } }],
      OutputDatasets: ['/A/B/NANOAODSIM'], RequestPriority: 1, RequestTransition: [{ Status: 'new', UpdateTime: 1 }, { Status: 'staging', UpdateTime: 2 }], Requests: [], TotalEvents: 1, TotalInputLumis: -1
    }
    expect((await store.saveWorkflow(doc)).ok).toBe(true)
    const added = await scrape(svc.origin)
    expect(count(added, 'staging')).toBe(count(before, 'staging') + 1)
    expect(added.samples.find((s) => s.name === 'stats2_campaign_events')?.labels.campaign).toBe('MetricsCampaign')
    const stored = (await store.getWorkflow(doc._id))!
    expect((await store.saveWorkflow({ ...stored, RequestTransition: [...stored.RequestTransition, { Status: 'staged', UpdateTime: 3 }] })).ok).toBe(true)
    const changed = await scrape(svc.origin)
    expect(count(changed, 'staging')).toBe(count(before, 'staging'))
    expect(count(changed, 'staged')).toBe(count(before, 'staged') + 1)
    expect(await store.deleteWorkflows([doc._id])).toEqual([doc._id])
    const deleted = await scrape(svc.origin)
    expect(count(deleted, 'staged')).toBe(count(before, 'staged'))
    expect(deleted.samples.some((s) => s.labels.campaign === 'MetricsCampaign')).toBe(false)
    expect(valueOf(deleted, 'stats2_campaigns')).toBe(valueOf(before, 'stats2_campaigns'))
  })
})

describe('who may read /metrics', () => {
  it('anonymous by default; with STATS2_SERVE_METRICS=token only the metrics tokens (never an update token); off: 404', async () => {
    const tokens = join(work, 'metrics-tokens')
    await writeFile(tokens, `${METRICS_TOKEN}\n`)
    await chmod(tokens, 0o600)
    const guarded = await serveStore(store, filled.config, { ...env, STATS2_SERVE_METRICS: 'token', STATS2_SERVE_METRICS_TOKENS_FILE: tokens })
    const off = await serveStore(store, filled.config, { ...env, STATS2_SERVE_METRICS: 'off' })
    try {
      const anonymous = await call(`${guarded.origin}/stats/metrics`)
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(anonymous.text).toContain('Reading the metrics needs an authorised caller')
      expect((await call(`${guarded.origin}/stats/metrics`, { headers: { authorization: `Bearer ${UPDATE_TOKEN}` } })).status).toBe(403)
      await scrape(guarded.origin, { authorization: `Bearer ${METRICS_TOKEN}` })
      expect((await call(`${off.origin}/stats/metrics`)).status).toBe(404)
      // The rest of the service is as anonymous as before.
      expect((await call(`${guarded.origin}/stats/healthz`)).status).toBe(200)
    } finally {
      await guarded.close()
      await off.close()
    }
    expect(() => loadServeConfig({ STATS2_SERVE_METRICS: 'token' })).toThrow(/needs STATS2_SERVE_METRICS_TOKENS_FILE/)
    expect(() => loadServeConfig({ STATS2_SERVE_METRICS: 'public' })).toThrow(/must be "anonymous", "token" or "off"/)
  })
})

describe('a store that is away', () => {
  it('answers 200 with stats2_store_up 0', async () => {
    const away = CouchStore.connect('http://127.0.0.1:9', undefined, 500, { retries: 0, timeoutMs: 2_000 })
    const service = await serveStore(away, filled.config, env, '/stats', undefined, { cacheMs: 0 })
    try {
      const metrics = await scrape(service.origin)
      expect(valueOf(metrics, 'stats2_store_up')).toBe(0)
      expect(valueOf(metrics, 'stats2_store_summary_up')).toBe(0)
      expect(valueOf(metrics, 'stats2_workflows')).toBeUndefined()
    } finally {
      await service.close()
      await away.close()
    }
  })
})
