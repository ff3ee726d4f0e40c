/**
 * `npm run bench`, scoped sync: the first start on an empty store, unscoped (the whole changes feed)
 * against a sync scope of about 2 000 workflows (whole campaigns, picked from the simulator's
 * `bycampaign` view), side by side on the same simulator: wall time, cmsweb calls, bytes received.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { request, type Agent } from 'undici'
import { loadConfig, type Stats2Config } from '../src/main/config/config'
import { CmswebClient } from '../src/main/cmsweb/client'
import { CmswebServices } from '../src/main/cmsweb/services'
import { updaterOptions } from '../src/main/core/runtime'
import { CouchStore } from '../src/main/store/couch-store'
import { runUpdate } from '../src/main/updater/update-run'
import { describeScope, type SyncScope } from '../src/shared/sync-scope'

export interface BenchSim {
  url: string
  ca: string
  cert: string
  key: string
  dispatcher: Agent
}

export interface ScopedBenchResult {
  scopedFirstRunS: number
  unscopedFirstRunS: number
  scopedCalls: number
  unscopedCalls: number
  scopedBytes: number
  unscopedBytes: number
  scopedWorkflows: number
}

async function simCall<T>(sim: BenchSim, path: string, method = 'GET'): Promise<T> {
  const answer = await request(`${sim.url}${path}`, { method, dispatcher: sim.dispatcher })
  return (await answer.body.json()) as T
}

/** Whole campaigns, largest first, until about `target` workflows. */
async function pickScope(sim: BenchSim, target: number): Promise<{ scope: SyncScope; workflows: number }> {
  const view = await simCall<{ rows: Array<{ key: string }> }>(sim, '/couchdb/reqmgr_workload_cache/_design/ReqMgr/_view/bycampaign')
  const sizes = new Map<string, number>()
  for (const row of view.rows) sizes.set(row.key, (sizes.get(row.key) ?? 0) + 1)
  const campaigns: string[] = []
  let workflows = 0
  for (const [campaign, size] of [...sizes].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).reverse()) {
    if (workflows >= target) break
    if (workflows + size > target * 1.25 && workflows > 0) continue
    campaigns.push(campaign)
    workflows += size
  }
  return { scope: { campaigns, prepIds: [], statuses: [], workflows: [] }, workflows }
}

interface FirstRun {
  seconds: number
  calls: number
  bytes: number
  stored: number
  byEndpoint: Record<string, number>
}

async function firstRun(sim: BenchSim, dir: string, concurrency: number, scope: SyncScope | undefined): Promise<FirstRun> {
  const base = loadConfig({})
  const config: Stats2Config = {
    ...base,
    credentials: { certPath: sim.cert, keyPath: sim.key },
    cmsweb: { ...base.cmsweb, url: sim.url, dbsUrl: sim.url, caPath: sim.ca, concurrency },
    db: { dataDir: dir },
    updater: { ...base.updater, batching: true }
  }
  await mkdir(dir, { recursive: true })
  const store = await CouchStore.open(config.db, { batchSize: config.updater.dbBatch })
  const client = await CmswebClient.create(config)
  try {
    await simCall(sim, '/_sim/reset-counts', 'POST')
    const started = performance.now()
    const report = await runUpdate({ kind: 'all' }, {}, { services: new CmswebServices(client), store, options: updaterOptions(config), syncScope: scope })
    const seconds = (performance.now() - started) / 1000
    if (report.failed.length > 0) throw new Error(`${report.failed.length} workflows failed, e.g. ${report.failed[0]!.name}: ${report.failed[0]!.reason}`)
    const state = await simCall<{ counts: Record<string, number>; bytes: Record<string, number> }>(sim, '/_sim/state')
    const sum = (values: Record<string, number>): number => Object.values(values).reduce((s, n) => s + n, 0)
    return { seconds, calls: sum(state.counts), bytes: sum(state.bytes), stored: await store.countWorkflows(), byEndpoint: state.counts }
  } finally {
    await client.close()
    await store.close()
  }
}

function print(name: string, run: FirstRun): void {
  console.log(`\n## first start, ${name}`)
  console.log(`wall time ${run.seconds.toFixed(1)} s, ${run.stored} workflows stored, cmsweb calls ${run.calls}, received ${(run.bytes / 1e6).toFixed(1)} MB`)
  for (const [endpoint, count] of Object.entries(run.byEndpoint).sort((x, y) => y[1] - x[1])) console.log(`  ${endpoint.padEnd(28)} ${count}`)
}

export async function benchScoped(sim: BenchSim, work: string, workflows: number, concurrency: number): Promise<ScopedBenchResult> {
  const target = Math.max(1, Math.min(2000, Math.floor(workflows / 5)))
  const { scope, workflows: inScope } = await pickScope(sim, target)
  console.log(`\n# scoped sync: first start unscoped vs scoped (${describeScope(scope)}: ${inScope} of ${workflows} workflows), C = ${concurrency}`)
  const unscoped = await firstRun(sim, join(work, 'first-unscoped'), concurrency, undefined)
  print('unscoped (whole changes feed)', unscoped)
  const scoped = await firstRun(sim, join(work, 'first-scoped'), concurrency, scope)
  print(`scoped (${inScope} workflows)`, scoped)
  return {
    scopedFirstRunS: Number(scoped.seconds.toFixed(2)),
    unscopedFirstRunS: Number(unscoped.seconds.toFixed(2)),
    scopedCalls: scoped.calls,
    unscopedCalls: unscoped.calls,
    scopedBytes: scoped.bytes,
    unscopedBytes: unscoped.bytes,
    scopedWorkflows: scoped.stored
  }
}
