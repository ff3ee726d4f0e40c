/**
 * `npm run bench`, scoped sync: the first start on an empty store against a generated ReqMgr2 of
 * `--scope-total` workflows (200 000 by default; its own simulator process, documents made on
 * request), with a sync scope of about 2 000 workflows (whole campaigns, picked from the
 * simulator's `bycampaign` view) and without one (the whole changes feed), side by side on the same
 * simulator: wall time, cmsweb calls per endpoint, bytes received, peak RSS of both processes.
 * The scoped run goes first; `--no-unscoped` leaves the (long) unscoped one out.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { request } from 'undici'
import { loadConfig, type Stats2Config } from '../src/main/config/config'
import { CmswebClient } from '../src/main/cmsweb/client'
import { CmswebServices } from '../src/main/cmsweb/services'
import { updaterOptions } from '../src/main/core/runtime'
import { CouchStore } from '../src/main/store/couch-store'
import { runUpdate } from '../src/main/updater/update-run'
import { describeScope, type SyncScope } from '../src/shared/sync-scope'
import { type SimProcess, startSimProcess } from './sim-process'

export interface ScopedBenchOptions {
  work: string
  /** Workflows in the generated ReqMgr2. */
  total: number
  /** Workflows the scope should hold, about (whole campaigns). */
  target: number
  latencyMs: number
  concurrency: number
  seed: string
  unscoped: boolean
}

export interface ScopedBenchResult {
  scopedFirstRunS: number
  unscopedFirstRunS: number | null
  scopedCalls: number
  unscopedCalls: number | null
  scopedBytes: number
  unscopedBytes: number | null
  scopedWorkflows: number
  unscopedWorkflows: number | null
  scopeTotal: number
  /** Seconds from starting the simulator to its answering (generation of the whole ReqMgr2). */
  simReadyS: number
  simPeakRssMb: number | null
  scopedPeakRssMb: number
  unscopedPeakRssMb: number | null
}

async function simCall<T>(sim: SimProcess, path: string, method = 'GET'): Promise<T> {
  const answer = await request(`${sim.url}${path}`, { method, dispatcher: sim.dispatcher })
  return (await answer.body.json()) as T
}

/** Whole campaigns, largest first, until about `target` workflows. */
async function pickScope(sim: SimProcess, target: number): Promise<{ scope: SyncScope; workflows: number }> {
  const view = await simCall<{ rows: Array<{ key: string }> }>(sim, '/couchdb/reqmgr_workload_cache/_design/ReqMgr/_view/bycampaign')
  const sizes = new Map<string, number>()
  for (const row of view.rows) sizes.set(row.key, (sizes.get(row.key) ?? 0) + 1)
  const campaigns: string[] = []
  let workflows = 0
  for (const [campaign, size] of [...sizes].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).reverse()) {
    if (workflows >= target) break
    if (workflows + size > target * 1.25 && workflows > 0) continue
    if (size > target * 1.25) continue
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
  bytesByEndpoint: Record<string, number>
  peakRssMb: number
}

async function firstRun(sim: SimProcess, dir: string, concurrency: number, scope: SyncScope | undefined): Promise<FirstRun> {
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
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250)
  try {
    await simCall(sim, '/_sim/reset-counts', 'POST')
    const started = performance.now()
    const report = await runUpdate({ kind: 'all' }, {}, { services: new CmswebServices(client), store, options: updaterOptions(config), syncScope: scope })
    const seconds = (performance.now() - started) / 1000
    if (report.failed.length > 0) throw new Error(`${report.failed.length} workflows failed, e.g. ${report.failed[0]!.name}: ${report.failed[0]!.reason}`)
    const state = await simCall<{ counts: Record<string, number>; bytes: Record<string, number> }>(sim, '/_sim/state')
    const sum = (values: Record<string, number>): number => Object.values(values).reduce((s, n) => s + n, 0)
    return {
      seconds,
      calls: sum(state.counts),
      bytes: sum(state.bytes),
      stored: await store.countWorkflows(),
      byEndpoint: state.counts,
      bytesByEndpoint: state.bytes,
      peakRssMb: Math.round(peak / 1e6)
    }
  } finally {
    clearInterval(sampler)
    await client.close()
    await store.close()
  }
}

function printSideBySide(scoped: FirstRun, unscoped: FirstRun | undefined, inScope: number, total: number): void {
  const col = (value: string | number | undefined): string => String(value ?? '—').padStart(16)
  const mb = (bytes: number | undefined): string | undefined => (bytes === undefined ? undefined : `${(bytes / 1e6).toFixed(1)} MB`)
  console.log(`\n## first start, side by side${' '.repeat(11)}${col(`scoped (${inScope})`)}${col(`unscoped (${total})`)}`)
  console.log(`wall time${' '.repeat(29)}${col(`${scoped.seconds.toFixed(1)} s`)}${col(unscoped && `${unscoped.seconds.toFixed(1)} s`)}`)
  console.log(`workflows stored${' '.repeat(22)}${col(scoped.stored)}${col(unscoped?.stored)}`)
  console.log(`cmsweb calls${' '.repeat(26)}${col(scoped.calls)}${col(unscoped?.calls)}`)
  console.log(`bytes received${' '.repeat(24)}${col(mb(scoped.bytes))}${col(mb(unscoped?.bytes))}`)
  console.log(`peak RSS of the updater's process${' '.repeat(5)}${col(`${scoped.peakRssMb} MB`)}${col(unscoped && `${unscoped.peakRssMb} MB`)}`)
  const endpoints = new Set([...Object.keys(scoped.byEndpoint), ...Object.keys(unscoped?.byEndpoint ?? {})])
  for (const endpoint of [...endpoints].sort()) {
    const calls = (run: FirstRun | undefined): string | undefined => run && `${run.byEndpoint[endpoint] ?? 0} / ${mb(run.bytesByEndpoint[endpoint] ?? 0)}`
    console.log(`  ${endpoint.padEnd(36)}${col(calls(scoped))}${col(calls(unscoped))}`)
  }
}

export async function benchScoped(options: ScopedBenchOptions): Promise<ScopedBenchResult> {
  const { total, concurrency: C, latencyMs: L } = options
  console.log(`\n# scoped sync: first start against a generated ReqMgr2 of ${total} workflows, latency ${L} ms, C = ${C}`)
  const sim = await startSimProcess({ work: options.work, workflows: total, seed: options.seed, latencyMs: L })
  try {
    console.log(`simulator ready in ${sim.readyS.toFixed(1)} s (generation of ${total} workflows included), peak RSS ${await sim.peakRssMb()} MB so far`)
    const { scope, workflows: inScope } = await pickScope(sim, options.target)
    console.log(`scope: ${describeScope(scope)} (${inScope} workflows)`)
    // The bound of the unscoped run: every workflow's document and each of its ~k output datasets, C at a time.
    const k = 3.5
    console.log(`unscoped run estimate (bound N·(1+k)·L/C, k ≈ ${k}): ${((total * (1 + k) * L) / 1000 / C / 60).toFixed(1)} min`)
    const scoped = await firstRun(sim, join(options.work, 'first-scoped'), C, scope)
    let unscoped: FirstRun | undefined
    if (options.unscoped) unscoped = await firstRun(sim, join(options.work, 'first-unscoped'), C, undefined)
    else console.log('unscoped run left out (--no-unscoped)')
    printSideBySide(scoped, unscoped, inScope, total)
    const simPeakRssMb = await sim.peakRssMb()
    console.log(`peak RSS of the simulator's process (whole run) ${simPeakRssMb ?? '?'} MB`)
    return {
      scopedFirstRunS: Number(scoped.seconds.toFixed(2)),
      unscopedFirstRunS: unscoped ? Number(unscoped.seconds.toFixed(2)) : null,
      scopedCalls: scoped.calls,
      unscopedCalls: unscoped?.calls ?? null,
      scopedBytes: scoped.bytes,
      unscopedBytes: unscoped?.bytes ?? null,
      scopedWorkflows: scoped.stored,
      unscopedWorkflows: unscoped?.stored ?? null,
      scopeTotal: total,
      simReadyS: Number(sim.readyS.toFixed(2)),
      simPeakRssMb,
      scopedPeakRssMb: scoped.peakRssMb,
      unscopedPeakRssMb: unscoped?.peakRssMb ?? null
    }
  } finally {
    await sim.stop()
  }
}
