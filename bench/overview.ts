/**
 * The operator overview at production size: `docs` Stats2 documents of a realistic mix (statuses
 * along the whole life cycle, 240 campaigns, every McM block, Resubmissions, INVALID outputs, a
 * history entry a day, 40 at most), the first build of the facts (the facts view's index,
 * then every row read), the memory the facts hold, warm p95 of the board, the durations and the
 * attention list as a request computes them (freshness check and selection included, nothing
 * kept from an earlier answer), a whole-store answer a minute after the last one (what the service
 * keeps between answers used), and how long the first answer after 100 written workflows takes.
 *
 *   npm run bench -- --overview-only [--overview-docs 200000]
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { CouchStore } from '../src/main/store/couch-store'
import { OverviewService } from '../src/main/overview/service'
import { FACTS_VIEW, OVERVIEW_DESIGN_ID, overviewDesignDoc } from '../src/main/overview/facts-view'
import { computeBoard } from '../src/shared/overview/board'
import { computeDurations } from '../src/shared/overview/durations'
import { computeAttention } from '../src/shared/overview/attention'
import { JSON_ATTENTION } from '../src/shared/overview/compute'
import type { FactsTable } from '../src/shared/overview/facts-table'
import type { OverviewSelection } from '../src/shared/overview/selection'
import type { WorkflowDoc } from '../src/shared/stats2-doc'

const HOUR = 3600
const DAY = 86_400
const LIFE = ['new', 'assignment-approved', 'assigned', 'staging', 'staged', 'acquired', 'running-open', 'running-closed', 'completed', 'closed-out', 'announced', 'normal-archived']
const TIERS = ['GEN-SIM', 'AODSIM', 'MINIAODSIM', 'NANOAODSIM']
const PRIORITIES = [140_000, 110_000, 90_000, 85_000, 80_000, 70_000, 63_000, 20_000]

/** A small deterministic random stream per workflow. */
function stream(seed: number): () => number {
  let a = (seed * 2_654_435_761) >>> 0 || 1
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export function campaignOf(i: number): string {
  return `Run3Summer${22 + (i % 4)}${['wmLHEGS', 'DRPremix', 'MiniAODv4', 'NanoAODv12'][(i >> 2) % 4]}${Math.floor(i / 16) % 15 || ''}`
}

/** A Stats2 document as an update-all leaves it, `now` being the time of the last update. */
export function overviewDoc(i: number, now: number): WorkflowDoc {
  const random = stream(i + 1)
  const acdc = i % 25 === 24
  const parent = acdc ? i - 1 : i
  const campaign = campaignOf(parent % 240)
  const prepId = `HIG-${campaign}-${String(parent).padStart(6, '0')}`
  const name = `pdmvserv_task_${prepId}__v1_T_${acdc ? 'ACDC_' : ''}${250101 + (i % 28)}_${String(100000 + (i % 86_399)).slice(0, 6)}_${1000 + (i % 9000)}`
  const outputs = TIERS.slice(0, 2 + (i % 3)).map((tier) => `/Sample${parent % 7000}_TuneCP5_13p6TeV/${campaign}-v${1 + (parent % 3)}/${tier}`)
  // Where it is in its life, and when each status came: spread over the last 90 days.
  const roll = random()
  let steps = 1 + Math.floor(random() * LIFE.length)
  const statuses = LIFE.slice(0, steps)
  if (roll < 0.02) statuses.push('failed')
  else if (roll < 0.04) statuses.push('aborted', 'aborted-completed')
  else if (roll < 0.06) statuses.push('rejected')
  steps = statuses.length
  const created = now - Math.floor((5 + random() * 85) * DAY)
  const transitions = statuses.map((Status, k) => ({ Status, UpdateTime: created + Math.floor(k * (0.3 + random() * 3) * DAY * (now - created) / (steps * 4 * DAY)) }))
  const started = transitions.find((t) => t.Status === 'running-open')?.UpdateTime
  const expected = 100_000 + Math.floor(random() * 2_000_000)
  const history: WorkflowDoc['EventNumberHistory'] = []
  if (started !== undefined) {
    const last = transitions[transitions.length - 1]!
    const done = LIFE.indexOf(last.Status) >= LIFE.indexOf('completed')
    const end = done ? last.UpdateTime : now - Math.floor(random() * (random() < 0.1 ? 4 * DAY : 2 * HOUR))
    const entries = Math.min(40, Math.max(2, Math.floor((end - started) / DAY)))
    for (let k = 0; k < entries; k++) {
      const f = Math.min(1, (k + 1) / entries) * (done ? 1 : 0.4 + random() * 0.4)
      const valid = done && k === entries - 1 && LIFE.indexOf(last.Status) >= LIFE.indexOf('announced')
      const invalid = k === entries - 1 && i % 97 === 3
      history.push({
        Time: Math.floor(started + ((end - started) * (k + 1)) / entries),
        Datasets: Object.fromEntries(outputs.map((d, n) => [d, {
          Type: invalid && n === 0 ? 'INVALID' : valid ? 'VALID' : 'PRODUCTION',
          Events: Math.floor(expected * f * (1 - n * 0.01)),
          Size: Math.floor(expected * f * 2e3)
        }]))
      })
    }
  }
  return {
    _id: name, RequestName: name, PrepID: prepId, RequestType: acdc ? 'Resubmission' : i % 3 ? 'StepChain' : 'TaskChain',
    Campaigns: [campaign], Requests: [prepId], OutputDatasets: outputs, InputDataset: '', ProcessingString: `${campaign}_v${parent % 3}`,
    RequestPriority: PRIORITIES[i % PRIORITIES.length]!, RequestTransition: transitions, TotalEvents: expected, TotalInputLumis: -1,
    CMSSWVersion: 'CMSSW_13_0_13', AcquisitionEra: campaign, EventNumberHistory: history, LastUpdate: now - 600
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/**
 * p95 of the wall time, and the median CPU time of this process per call (the embedded store runs in
 * it too): on a machine shared with other work the wall time grows, the CPU time much less.
 */
async function p95(label: string, runs: number, call: (i: number) => Promise<unknown>): Promise<{ p95: number; cpu: number }> {
  await call(0)
  const times: number[] = []
  const cpus: number[] = []
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    await call(i)
    times.push(performance.now() - started)
    const used = process.cpuUsage(cpu)
    cpus.push((used.user + used.system) / 1000)
  }
  times.sort((a, b) => a - b)
  cpus.sort((a, b) => a - b)
  const value = Math.round(quantile(times, 0.95) * 10) / 10
  const cpu = Math.round(quantile(cpus, 0.5) * 10) / 10
  console.log(`  ${label.padEnd(48)} p50 ${quantile(times, 0.5).toFixed(1).padStart(7)} ms   p95 ${value.toFixed(1).padStart(7)} ms   CPU p50 ${cpu.toFixed(1).padStart(6)} ms`)
  return { p95: value, cpu }
}

function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

export interface OverviewFigures {
  overviewDocs: number
  boardP95Ms: number
  durationsP95Ms: number
  attentionP95Ms: number
  /** Median CPU time per call (ms). */
  boardCpuMs: number
  durationsCpuMs: number
  attentionCpuMs: number
  overviewIndexBuildS: number
  overviewFirstBuildS: number
  overviewHeapMb: number
  overviewChangeMs: number
  /** A whole-store answer a minute after the last (the time-independent parts kept). */
  overviewAnswerP95Ms: number
}

export async function benchOverview(docs: number, dataDir: string): Promise<OverviewFigures> {
  console.log(`# overview over ${docs} stored workflows (embedded store, leveldb)`)
  const gc = collectGarbage()
  const now = Math.floor(Date.now() / 1000)
  const store = await CouchStore.open({ dataDir }, { batchSize: 1000 })
  try {
    let started = performance.now()
    const inFlight = new Set<Promise<unknown>>()
    for (let i = 0; i < docs; i += 1000) {
      const write = store.saveWorkflows(Array.from({ length: Math.min(1000, docs - i) }, (_, j) => overviewDoc(i + j, now)))
      inFlight.add(write)
      void write.finally(() => inFlight.delete(write)).catch(() => undefined)
      if (inFlight.size >= 2) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    console.log(`bulk insert: ${((performance.now() - started) / 1000).toFixed(1)} s`)
    // The first build in two parts: the facts view's index (one pass of the store over every
    // document), then the engine reading every row and extracting the facts.
    started = performance.now()
    await store.ensureDesignDocument(overviewDesignDoc())
    await store.queryDesignView(OVERVIEW_DESIGN_ID, FACTS_VIEW, { qs: { limit: 0 } })
    const indexS = (performance.now() - started) / 1000
    console.log(`facts view index build: ${indexS.toFixed(1)} s`)
    const service = new OverviewService(store, { now: () => now })
    started = performance.now()
    await service.engine.run(() => undefined)
    const readS = (performance.now() - started) / 1000
    console.log(`first build of the facts (rows read, facts extracted): ${readS.toFixed(1)} s; first build in all ${(indexS + readS).toFixed(1)} s`)
    // The heap one engine's facts hold: a second engine built over the warm store, after full collections.
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    const second = new OverviewService(store, { now: () => now })
    await second.engine.run(() => undefined)
    gc()
    const heapMb = Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6)
    console.log(`heap held by one engine's facts: ${heapMb} MB (${second.engine.stats.workflows} workflows, ${second.engine.table.strings.size} strings, ${second.engine.table.sequences.length} status sequences)`)

    const selections: OverviewSelection[] = [{ kind: 'all' }, ...Array.from({ length: 9 }, (_, k) => ({ kind: 'field', field: 'campaign', value: campaignOf(k * 27) }) as OverviewSelection)]
    const pick = (i: number): OverviewSelection => (i % 2 === 0 ? selections[0]! : selections[1 + ((i >> 1) % 9)]!)
    // What a request does: the freshness check, the selection, the computation (the answer cache is not used).
    const timed = (compute: (table: FactsTable, slots: Int32Array) => unknown) => async (i: number): Promise<void> => {
      await service.withSelection(pick(i), (table, slots) => compute(table, slots))
    }
    console.log('warm, the whole store and single campaigns alternately:')
    const board = await p95('board (status × campaign × priority block)', 60, timed((table, slots) => computeBoard(table, slots)))
    const durations = await p95('durations (every pair, per campaign, histograms)', 40, timed((table, slots) => computeDurations(table, slots)))
    const attention = await p95('attention (every entry, the JSON\'s first 10 000)', 40,
      timed((table, slots) => computeAttention(table, slots, { now, stallSeconds: DAY, failed: new Map(), failedFallback: now }).entries(Number.POSITIVE_INFINITY, JSON_ATTENTION)))
    // A request as the dashboard makes it, a minute after the last: the board, durations and
    // families are kept until the facts change, what needs attention is computed for the new minute.
    const answer = await p95('getOverview of the whole store, each a minute later', 20, (i) => service.overview({ kind: 'all' }, { now: now + 60 * (i + 1) }))

    // A change reflected within one update: 100 workflows written, then the next answer.
    const changed = Array.from({ length: 100 }, (_, k) => overviewDoc(k * 1999, now + 3600))
    const stored = await store.getWorkflows(changed.map((doc) => doc._id))
    await store.saveWorkflows(changed.map((doc) => ({ ...doc, _rev: stored.get(doc._id)?._rev, RequestTransition: [...doc.RequestTransition, { Status: 'rejected', UpdateTime: now + 3600 }] })))
    started = performance.now()
    const after = await service.overview({ kind: 'all' }, { now: now + 3600 })
    const changeMs = Math.round(performance.now() - started)
    console.log(`answer after 100 workflows were written: ${changeMs} ms (rejected: ${after.board.byStatus.rejected?.workflows ?? 0})`)
    return {
      overviewDocs: docs,
      boardP95Ms: board.p95,
      durationsP95Ms: durations.p95,
      attentionP95Ms: attention.p95,
      boardCpuMs: board.cpu,
      durationsCpuMs: durations.cpu,
      attentionCpuMs: attention.cpu,
      overviewIndexBuildS: Math.round(indexS * 10) / 10,
      overviewFirstBuildS: Math.round((indexS + readS) * 10) / 10,
      overviewHeapMb: heapMb,
      overviewChangeMs: changeMs,
      overviewAnswerP95Ms: answer.p95
    }
  } finally {
    await store.close()
  }
}
