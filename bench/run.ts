/**
 * `npm run bench`: the quick profile by default (a few minutes on 2 cores: 1 000 workflows, a
 * 20 000-document store, a scoped first start over 20 000, no store-at-scale run); `--full` gives
 * the production-size figures of docs/performance.md (10 000 workflows, 200 000 documents, 100 000
 * stored, the 200 000-workflow scoped and unscoped first starts: well over an hour). Any flag given
 * overrides its profile's value.
 *
 * Update-all over a generated scenario, the old Stats2's pattern (concurrency 1,
 * no batching) against the fast path (concurrency 16, batching), in one run; then search latency on
 * a large embedded store (bench/search.ts), and `stats2 update` over a store already holding
 * `--stored` workflows (bench/store.ts). The last line is one JSON object:
 * {"speedup": sequential ÷ fast, "boundRatio": fast ÷ N·(1+k)·L/C, "identical": bool,
 *  "searchP95Ms", "indexBuildS" (all seven views, at "indexBuildDocs" documents), "peakRssMb",
 *  "diskMbPer100k" (null where a part was skipped), plus the scoped-sync keys of bench/scoped.ts:
 *  scopedFirstRunS, unscopedFirstRunS, scopedCalls, unscopedCalls, scopedBytes, unscopedBytes, …}.
 *
 *   npm run bench -- --workflows 2000 --latency-ms 30 [--concurrency 16] [--search-docs 200000 | --no-search] [--stored 100000]
 *
 * The scoped-sync comparison runs on its own generated ReqMgr2 of `--scope-total` workflows (200 000;
 * a scope of about `--scope-target` 2 000), same latency and concurrency; `--scoped-only` runs only
 * it, `--no-unscoped` leaves out its unscoped first run (about half an hour at 200 000 and 30 ms):
 *   npm run bench -- --scoped-only [--scope-total 200000] [--no-unscoped]
 *
 * Then the `stats2 serve` load test (bench/serve.ts; `--no-serve` skips it, `--serve-only` runs only
 * it): its figures join the last line as serveRps, serveP50Ms, serveP99Ms, serveErrors.
 *   npm run bench -- --serve-only [--serve-clients 50] [--serve-seconds 20]
 * The memory of `stats2 serve` under parallel whole-store `/api/fetch` answers (bench/serve-limits.ts):
 *   npm run bench -- --serve-limits-only [--fetch-docs 3000] [--fetch-parallel 6]
 * Only the search part (store fill, index build, query latencies):
 *   npm run bench -- --search-only [--search-docs 200000]
 * `--store-only` runs only the store at scale (peakRssMb, diskMbPer100k, the update's wall time):
 *   npm run bench -- --store-only --stored 100000 --workflows 10000
 * The replica's pull (bench/replica.ts: replicaFirstPullS at `--replica-docs` 20 000 documents,
 * replicaIncrementalS for `--replica-changed` 100, …) joins the last line; `--no-replica` skips it,
 * `--replica-only` runs only it:
 *   npm run bench -- --replica-only [--replica-docs 20000] [--replica-changed 100]
 * `--hostile` runs only issue 14's: `stats2 serve` under a hostile mix (bench/hostile.ts: healthP99Ms,
 * servePeakRssMb, storePeakRssMb) and the event loop of an AppCore during an update-all of
 * `--hostile-workflows` (quick 1 000, full 10 000) and during an index build of
 * `--hostile-index-docs` (quick 20 000, full 200 000) (bench/loop-lag.ts: loopLagP99Ms, the worse
 * of updateLoopLagP99Ms and indexLoopLagP99Ms; docs/store-process.md):
 *   npm run bench -- --hostile [--full] [--hostile-seconds 60] [--hostile-docs 3000] [--hostile-doc-kb 50]
 *     [--hostile-fetches 50] [--hostile-streams 1000] [--hostile-slow 200]
 *     [--hostile-workflows N] [--hostile-index-docs N] [--no-loop-lag]
 * The operator overview (bench/overview.ts) at `--overview-docs` (quick 10 000, full 200 000):
 * boardP95Ms, durationsP95Ms, attentionP95Ms (warm), their CPU, overviewFirstBuildS, overviewHeapMb,
 * overviewChangeMs. At production size with the search part, or alone (200 000 unless given):
 *   npm run bench -- --search-only --search-docs 200000     (search and overview at 200 000)
 *   npm run bench -- --overview-only [--overview-docs 200000]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { loadConfig, type Stats2Config } from '../src/main/config/config'
import { CmswebClient } from '../src/main/cmsweb/client'
import { CmswebServices } from '../src/main/cmsweb/services'
import { setLogLevel } from '../src/main/log/logger'
import { CouchStore } from '../src/main/store/couch-store'
import { runUpdate } from '../src/main/updater/update-run'
import { updaterOptions } from '../src/main/core/runtime'
import type { UpdateReport } from '../src/shared/update-types'
import type { WorkflowDoc } from '../src/shared/stats2-doc'
import { benchSearch, type SearchFigures } from './search'
import { benchStoreAtScale, type StoreFigures } from './store'
import { benchScoped, type ScopedBenchResult } from './scoped'
import { benchServe } from './serve'
import { benchHostile } from './hostile'
import { indexLoopLag, updateLoopLag } from './loop-lag'
import { benchServeLimits } from './serve-limits'
import { type SimProcess, startSimProcess } from './sim-process'
import { benchReplica } from './replica'
import { benchOverview, type OverviewFigures } from './overview'

setLogLevel((process.env.STATS2_LOG_LEVEL as never) ?? 'warn')

const { values: given } = parseArgs({
  options: {
    /** The production-size profile (see above); without it, the quick one. */
    full: { type: 'boolean', default: false },
    workflows: { type: 'string' },
    'latency-ms': { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '16' },
    'search-docs': { type: 'string' },
    'no-search': { type: 'boolean', default: false },
    /** Only the search part (bench/search.ts) at `--search-docs`. */
    'search-only': { type: 'boolean', default: false },
    /** Workflows already stored when `stats2 update` runs over the simulator's (0: skip that part). */
    stored: { type: 'string' },
    /** Iterating on the fast path: skip the (long) sequential run; the last line then has no speedup. */
    'fast-only': { type: 'boolean', default: false },
    seed: { type: 'string', default: '7' },
    'no-serve': { type: 'boolean', default: false },
    'serve-only': { type: 'boolean', default: false },
    /** Only the store at scale (bench/store.ts): `stats2 update` over `--workflows` with `--stored` already stored. */
    'store-only': { type: 'boolean', default: false },
    'serve-clients': { type: 'string', default: '50' },
    /** Only the memory of `stats2 serve` under parallel whole-store /api/fetch answers (bench/serve-limits.ts). */
    'serve-limits-only': { type: 'boolean', default: false },
    'fetch-docs': { type: 'string', default: '3000' },
    'fetch-parallel': { type: 'string', default: '6' },
    'serve-seconds': { type: 'string' },
    /** Workflows of the scoped-sync comparison's generated ReqMgr2, and about how many the scope holds. */
    'scope-total': { type: 'string' },
    'scope-target': { type: 'string', default: '2000' },
    'scoped-only': { type: 'boolean', default: false },
    /** With the quick profile the unscoped first start is left out; `--unscoped` adds it. */
    unscoped: { type: 'boolean' },
    'no-unscoped': { type: 'boolean', default: false },
    /** The replica's pull (bench/replica.ts). */
    'replica-only': { type: 'boolean', default: false },
    'no-replica': { type: 'boolean', default: false },
    'replica-docs': { type: 'string', default: '20000' },
    'replica-changed': { type: 'string', default: '100' },
    /** Issue 14: serve under a hostile mix, and the AppCore's event loop (bench/hostile.ts, bench/loop-lag.ts). */
    hostile: { type: 'boolean', default: false },
    'hostile-seconds': { type: 'string', default: '60' },
    'hostile-docs': { type: 'string', default: '3000' },
    'hostile-doc-kb': { type: 'string', default: '50' },
    'hostile-fetches': { type: 'string', default: '50' },
    'hostile-streams': { type: 'string', default: '1000' },
    'hostile-slow': { type: 'string', default: '200' },
    'hostile-workflows': { type: 'string' },
    'hostile-index-docs': { type: 'string' },
    /** With --hostile: only the service under the mix, not the AppCore's event loop. */
    'no-loop-lag': { type: 'boolean', default: false },
    /** The operator overview (bench/overview.ts): only it, at `--overview-docs`; `--no-overview` skips it. */
    'overview-only': { type: 'boolean', default: false },
    'overview-docs': { type: 'string' },
    'no-overview': { type: 'boolean', default: false }
  },
  strict: true
})

/** The two profiles: what each size is when no flag gives it. */
const PROFILES = {
  quick: {
    workflows: '1000', 'search-docs': '20000', stored: '0', 'serve-seconds': '10', 'scope-total': '20000', unscoped: false,
    'hostile-workflows': '1000', 'hostile-index-docs': '20000', 'overview-docs': '10000'
  },
  full: {
    workflows: '10000', 'search-docs': '200000', stored: '100000', 'serve-seconds': '20', 'scope-total': '200000', unscoped: true,
    'hostile-workflows': '10000', 'hostile-index-docs': '200000', 'overview-docs': '200000'
  }
} as const
const profile = PROFILES[given.full ? 'full' : 'quick']
const values = {
  ...given,
  workflows: given.workflows ?? profile.workflows,
  'search-docs': given['search-docs'] ?? profile['search-docs'],
  stored: given.stored ?? profile.stored,
  'serve-seconds': given['serve-seconds'] ?? profile['serve-seconds'],
  'scope-total': given['scope-total'] ?? profile['scope-total'],
  'hostile-workflows': given['hostile-workflows'] ?? profile['hostile-workflows'],
  'hostile-index-docs': given['hostile-index-docs'] ?? profile['hostile-index-docs'],
  'no-unscoped': given['no-unscoped'] || !(given.unscoped ?? profile.unscoped)
}
const N = Number(values.workflows)
const LATENCY = Number(values['latency-ms'])
const C = Number(values.concurrency)

function scopedOptions(work: string): Parameters<typeof benchScoped>[0] {
  const total = Number(values['scope-total'])
  const target = Number(values['scope-target'])
  if (!Number.isInteger(total) || total < 1) throw new Error(`--scope-total: a positive integer, got ${values['scope-total']}`)
  if (!Number.isInteger(target) || target < 1) throw new Error(`--scope-target: a positive integer, got ${values['scope-target']}`)
  return { work, total, target: Math.min(target, Math.max(1, Math.floor(total / 5))), latencyMs: LATENCY, concurrency: C, seed: String(values.seed), unscoped: !values['no-unscoped'] }
}

/** Workflows of the overview part: `--overview-docs`, else `fallback`. */
function overviewDocs(fallback: string): number {
  const docs = Number(given['overview-docs'] ?? fallback)
  if (!Number.isInteger(docs) || docs < 1) throw new Error(`--overview-docs: a positive integer, got ${given['overview-docs']}`)
  return docs
}

async function simCall<T>(sim: SimProcess, path: string, method = 'GET'): Promise<T> {
  const answer = await request(`${sim.url}${path}`, { method, dispatcher: sim.dispatcher })
  return (await answer.body.json()) as T
}

interface ModeResult {
  name: string
  seconds: number
  report: UpdateReport
  requests: Record<string, number>
  peakRssMb: number
  docs: Map<string, unknown>
}

function comparable(doc: WorkflowDoc): unknown {
  const { _rev: _r, LastUpdate: _l, ...rest } = doc
  return { ...rest, EventNumberHistory: (rest.EventNumberHistory ?? []).map((e) => ({ ...e, Time: 0 })) }
}

async function runMode(name: string, sim: SimProcess, work: string, concurrency: number, batching: boolean): Promise<ModeResult> {
  const base = loadConfig({})
  const config: Stats2Config = {
    ...base,
    credentials: { certPath: sim.cert, keyPath: sim.key },
    cmsweb: { ...base.cmsweb, url: sim.url, dbsUrl: sim.url, caPath: sim.ca, concurrency },
    db: { dataDir: join(work, name) },
    updater: { ...base.updater, batching }
  }
  const store = await CouchStore.open(config.db, { batchSize: config.updater.dbBatch })
  const client = await CmswebClient.create(config)
  await simCall(sim, '/_sim/reset-counts', 'POST')
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100)
  const started = performance.now()
  const report = await runUpdate({ kind: 'all' }, {}, {
    services: new CmswebServices(client),
    store,
    options: updaterOptions(config)
  })
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  const docs = new Map<string, unknown>()
  for await (const page of store.allWorkflows(1000)) for (const doc of page) docs.set(doc._id, comparable(doc))
  await client.close()
  await store.close()
  const { counts } = await simCall<{ counts: Record<string, number> }>(sim, '/_sim/state')
  return { name, seconds, report, requests: counts, peakRssMb: Math.round(peak / 1e6), docs }
}

function sameDocs(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  if (a.size !== b.size) return false
  for (const [name, doc] of a) if (JSON.stringify(doc) !== JSON.stringify(b.get(name))) return false
  return true
}

function printMode(result: ModeResult, bound: number): void {
  const total = Object.values(result.requests).reduce((s, n) => s + n, 0)
  console.log(`\n## ${result.name}`)
  console.log(`wall time ${result.seconds.toFixed(1)} s (${(result.seconds / bound).toFixed(2)}× the bound), peak RSS ${result.peakRssMb} MB`)
  console.log(`workflows written ${result.report.written}, history entries ${result.report.historyAdded}, failed ${result.report.failed.length}`)
  console.log(`cmsweb requests ${total}:`)
  for (const [endpoint, count] of Object.entries(result.requests).sort((x, y) => y[1] - x[1])) {
    console.log(`  ${endpoint.padEnd(28)} ${count}`)
  }
}

/**
 * The store figures of the last line: search p95 (worst query kind) and the index build at
 * `--search-docs`, peak RSS of `stats2 update` with `--stored` workflows in the store, disk per
 * 100 000 workflows (after the run and its maintenance when measured, else of the search store).
 */
function figures(search: SearchFigures | undefined, store: StoreFigures | undefined): Record<string, number | null> {
  return {
    searchP95Ms: search?.searchP95Ms ?? null,
    indexBuildS: search?.indexBuildS ?? store?.indexBuildS ?? null,
    indexBuildDocs: search?.docs ?? store?.stored ?? null,
    peakRssMb: store?.peakRssMb ?? null,
    diskMbPer100k: store?.diskMbPer100k ?? search?.diskMbPer100k ?? null
  }
}

/** A positive whole number from an option. */
function count(name: string): number {
  const value = Number(values[name as keyof typeof values])
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: a whole number, got ${String(values[name as keyof typeof values])}`)
  return value
}

/** `--hostile`: issue 14's figures (see the header). */
async function hostileKeys(work: string): Promise<Record<string, unknown>> {
  const mix = await benchHostile({
    work,
    docs: count('hostile-docs'),
    docKb: count('hostile-doc-kb'),
    seconds: count('hostile-seconds'),
    fetches: count('hostile-fetches'),
    streams: count('hostile-streams'),
    slowSockets: count('hostile-slow')
  })
  const keys: Record<string, unknown> = { ...mix }
  if (values['no-loop-lag']) return keys
  const workflows = count('hostile-workflows')
  console.log(`\n# AppCore event loop during an update-all of ${workflows} generated workflows, latency ${LATENCY} ms per cmsweb call, C = ${C}`)
  const sim = await startSimProcess({ work, workflows, seed: String(values.seed), latencyMs: LATENCY })
  try {
    const update = await updateLoopLag(work, sim, C)
    keys.updateLoopLagP99Ms = update.p99Ms
    keys.updateLoopLagMaxMs = update.maxMs
    keys.updateLoopLagS = update.seconds
    keys.updateLoopLagWritten = update.written
  } finally {
    await sim.stop()
  }
  const index = await indexLoopLag(work, count('hostile-index-docs'))
  keys.indexLoopLagP99Ms = index.p99Ms
  keys.indexLoopLagMaxMs = index.maxMs
  keys.indexLoopLagBuildS = index.seconds
  keys.indexLoopLagDocs = count('hostile-index-docs')
  keys.loopLagP99Ms = Math.max(index.p99Ms, keys.updateLoopLagP99Ms as number)
  return keys
}

async function main(): Promise<void> {
  const serveKeys = async (): Promise<Record<string, number | boolean>> => {
    if (values['no-serve']) return {}
    const served = await benchServe({ clients: Number(values['serve-clients']), seconds: Number(values['serve-seconds']) })
    return { serveRps: served.rps, serveP50Ms: served.p50Ms, serveP99Ms: served.p99Ms, serveErrors: served.errors, serveCleanExit: served.cleanExit }
  }
  if (values['serve-limits-only']) {
    const result = await benchServeLimits({ docs: Number(values['fetch-docs']), parallel: Number(values['fetch-parallel']) })
    console.log(JSON.stringify({ serveFetchPeakRssMb: result.peakRssMb, serveIdleRssMb: result.idleRssMb, fetchAnswerMb: result.answerMb, fetchSeconds: result.seconds, fetchDocs: result.docs, fetchParallel: result.parallel }))
    return
  }
  if (values['serve-only']) {
    console.log(JSON.stringify({ speedup: null, boundRatio: null, identical: null, ...(await serveKeys()) }))
    return
  }
  const work = await mkdtemp(join(tmpdir(), 'stats2-bench-'))
  const replicaKeys = async (): Promise<Record<string, number | null>> =>
    values['no-replica'] ? {} : { ...(await benchReplica({ work: join(work, 'replica'), docs: Number(values['replica-docs']), changed: Number(values['replica-changed']) })) }
  if (values['replica-only']) {
    try {
      console.log(JSON.stringify({ speedup: null, boundRatio: null, identical: null, ...(await replicaKeys()) }))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
    return
  }
  if (values.hostile) {
    try {
      console.log(JSON.stringify({ speedup: null, boundRatio: null, identical: null, ...(await hostileKeys(work)) }))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
    return
  }
  if (values['overview-only']) {
    try {
      const overview = await benchOverview(overviewDocs('200000'), join(work, 'overview'))
      console.log(JSON.stringify({ speedup: null, boundRatio: null, identical: null, ...overview }))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
    return
  }
  if (values['search-only']) {
    try {
      const search = await benchSearch(Number(values['search-docs']), join(work, 'search'))
      const overview: Partial<OverviewFigures> = values['no-overview'] ? {} : await benchOverview(overviewDocs(values['search-docs']), join(work, 'overview'))
      console.log(JSON.stringify({ speedup: null, boundRatio: null, identical: null, ...figures(search, undefined), ...overview }))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
    return
  }
  if (values['scoped-only']) {
    try {
      const scoped = await benchScoped(scopedOptions(join(work, 'scoped')))
      console.log(JSON.stringify({ speedup: null, boundRatio: null, identical: null, ...scoped }))
    } finally {
      await rm(work, { recursive: true, force: true })
    }
    return
  }
  if (values['store-only']) {
    try {
      const sim = await startSimProcess({ work, workflows: N, seed: String(values.seed), latencyMs: LATENCY })
      try {
        const store = await benchStoreAtScale(Math.max(1, Number(given.stored ?? PROFILES.full.stored)), work, sim, C)
        console.log(JSON.stringify({ speedup: null, boundRatio: null, identical: null, ...figures(undefined, store), updateS: store.updateS }))
      } finally {
        await sim.dispatcher.close()
        sim.child.kill('SIGTERM')
      }
    } finally {
      await rm(work, { recursive: true, force: true })
    }
    return
  }
  try {
    const serve = await serveKeys()
    const replica = await replicaKeys()
    const searchFigures = values['no-search'] ? undefined : await benchSearch(Number(values['search-docs']), join(work, 'search'))
    const overview: Partial<OverviewFigures> = values['no-overview'] ? {} : await benchOverview(overviewDocs(profile['overview-docs']), join(work, 'overview'))

    console.log(`# update-all: ${N} generated workflows (2–5 output datasets each), latency ${LATENCY} ms per cmsweb call, C = ${C}`)
    const sim = await startSimProcess({ work, workflows: N, seed: String(values.seed), latencyMs: LATENCY })
    try {
      const storeFigures = Number(values.stored) > 0 ? await benchStoreAtScale(Number(values.stored), work, sim, C) : undefined
      await simCall(sim, '/_sim/reset-counts', 'POST')
      const storeKeys = figures(searchFigures, storeFigures)
      const fast = await runMode('fast: concurrency 16, batching on', sim, work, C, true)
      // k from what was stored: the distinct output datasets per workflow.
      let datasets = 0
      for (const doc of fast.docs.values()) datasets += new Set((doc as WorkflowDoc).OutputDatasets).size
      const k = datasets / fast.docs.size
      const bound = (fast.docs.size * (1 + k) * LATENCY) / 1000 / C
      console.log(`k = ${k.toFixed(2)}; bound N·(1+k)·L/C = ${bound.toFixed(1)} s`)
      printMode(fast, bound)
      const scoped: ScopedBenchResult = await benchScoped(scopedOptions(join(work, 'scoped')))
      if (values['fast-only']) {
        console.log(JSON.stringify({ speedup: null, boundRatio: Number((fast.seconds / bound).toFixed(3)), identical: null, ...storeKeys, ...scoped, ...serve, ...replica, ...overview }))
        return
      }
      const sequential = await runMode('sequential: concurrency 1, batching off (old Stats2 pattern)', sim, work, 1, false)
      printMode(sequential, bound)
      const identical = sameDocs(fast.docs, sequential.docs) && fast.docs.size > 0
      console.log(`\nstored documents identical in both modes: ${identical} (${fast.docs.size} / ${sequential.docs.size})`)
      console.log(JSON.stringify({
        speedup: Number((sequential.seconds / fast.seconds).toFixed(2)),
        boundRatio: Number((fast.seconds / bound).toFixed(3)),
        identical,
        ...storeKeys,
        ...scoped,
        ...serve,
        ...replica,
        ...overview
      }))
    } finally {
      await sim.stop()
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
