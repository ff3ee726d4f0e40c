/**
 * Fault injection: the same generated scenario served twice over real mTLS, once without faults
 * (store A) and once with 5 % 5xx, 2 % connection resets, 1 % cut bodies and slow answers that run
 * into the client's timeout (store B). After each step's update-all, and on B the next run that
 * retries the failed workflows, B must hold exactly A's documents: a fault may delay a workflow,
 * never lose, invent or duplicate data.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { FaultInjector, type Fault } from '../../src/sim/faults'
import { addLogSink, setLogLevel } from '../../src/main/log/logger'
import type { UpdateReport } from '../../src/shared/update-types'
import { cleanup, cli, historyEntries, historyProblems, readStore, simEnv, storeDifferences, summarize, tempDir, type Env } from './helpers'

const WORKFLOWS = 150
const STEPS = 2
const FAULTS = { error5xx: 0.05, reset: 0.02, truncated: 0.01, slow: 0.02, slowMs: 2_500, seed: 20_241 }
/**
 * Client settings of store B's runs. A slow answer (2.5 s) always runs into the 1.5 s timeout (a normal
 * one takes milliseconds, so a loaded CI machine has room). The first run of a step does not retry:
 * every injected fault fails its call, so dozens of workflows land on the retry list (the path under
 * test), and the run may even stop (exit 1) when a page of the feed fails. The next runs retry three
 * times, as after an outage, so that the list drains (a call then fails for good with p ≈ 10⁻⁴).
 */
const TIMEOUT_MS = '1500'
const FIRST_RUN_RETRIES = '0'
const RETRY_RUN_RETRIES = '3'
/** Runs after the first that B may need until its retry list is empty (a retry can itself fail). */
const MAX_RETRY_RUNS = 4

/** Every draw of every fault-injecting simulator in this file, by kind (plus 'slow' for delays). */
const injected = new Map<string, number>()
const next = FaultInjector.prototype.next

let simA: Simulator
let simB: Simulator
let envA: Env
let envB: Env
let dirA = ''
let dirB = ''
/** Failed attempts the cmsweb client logged: retried, or given up (the call failed). */
const clientAttempts = { retried: 0, gaveUp: 0 }
let removeSink: (() => void) | undefined

beforeAll(async () => {
  // The faulty runs log every retry and failure as warnings: counted below, not printed.
  setLogLevel('error')
  removeSink = addLogSink((record) => {
    if (record.component !== 'cmsweb' || record.level !== 'warn') return
    if (/; retry \d+\/\d+ in \d+ ms$/.test(record.message)) clientAttempts.retried++
    else if (/\(after \d+ attempts?\)/.test(record.message)) clientAttempts.gaveUp++
  })
  FaultInjector.prototype.next = function (this: FaultInjector): Fault {
    const fault = next.call(this)
    if (this.active) {
      injected.set('draws', (injected.get('draws') ?? 0) + 1)
      if (fault.kind !== 'none' && fault.kind !== 'slow') injected.set(fault.kind, (injected.get(fault.kind) ?? 0) + 1)
      if (fault.extraDelayMs > 0) injected.set('slow', (injected.get('slow') ?? 0) + 1)
    }
    return fault
  }
  const work = await tempDir('stats2-faults-')
  const scenario = generateScenario({ workflows: WORKFLOWS, steps: STEPS, datasetsPerWorkflow: [2, 5], seed: 7 })
  simA = await startSimulator({ scenario, tlsDir: join(work, 'tls') })
  simB = await startSimulator({ scenario, tlsDir: join(work, 'tls'), faults: FAULTS })
  dirA = join(work, 'store-a')
  dirB = join(work, 'store-b')
  envA = simEnv(simA, work, { STATS2_DATA_DIR: dirA })
  envB = simEnv(simB, work, { STATS2_DATA_DIR: dirB, STATS2_TIMEOUT_MS: TIMEOUT_MS })
})

afterAll(async () => {
  FaultInjector.prototype.next = next
  removeSink?.()
  setLogLevel(process.env.VITEST ? 'warn' : 'info')
  await simA?.close()
  await simB?.close()
  await cleanup()
})

async function update(env: Env): Promise<{ code: number; report?: UpdateReport; err: string }> {
  const result = await cli(['update', '--json'], env)
  let report: UpdateReport | undefined
  try {
    report = JSON.parse(result.out) as UpdateReport
  } catch {
    /* a run that could not proceed prints no report */
  }
  return { code: result.code, report, err: result.err }
}

describe('update-all under cmsweb faults', () => {
  const failedInFirstRuns: string[] = []
  const faultyRunsFailed: number[] = []
  let retryRunsTotal = 0

  for (let step = 0; step < STEPS; step++) {
    it(`step ${step}: the faulty store equals the fault-free one after the retry run`, async () => {
      if (step > 0) {
        simA.advance()
        simB.advance()
      }
      expect(simA.step).toBe(step)
      expect(simB.step).toBe(step)
      const drawsBefore = injected.get('draws') ?? 0

      const a = await update(envA)
      expect(a.code, a.err).toBe(0)
      expect(a.report?.failed, 'the fault-free run must not fail anything').toEqual([])

      // First run on B. It fails as a whole (exit 1) only if a call it cannot do without (a page of
      // the feed, DBS's list of modified datasets) failed: the next runs resume from the checkpoint.
      const first = await update({ ...envB, STATS2_RETRIES: FIRST_RUN_RETRIES })
      faultyRunsFailed.push(first.code)
      for (const failure of first.report?.failed ?? []) failedInFirstRuns.push(`step ${step}: ${failure.name}: ${failure.reason}`)

      // The next run: ReqMgr2's feed has nothing new, so it retries `failed_workflows` (and repeats
      // the DBS/WMStats recalculation). A retry can itself meet a fault: run until the list is empty.
      const fedUntil = (await readStore({ dataDir: dirA })).settings.last_reqmgr_sequence
      let retryRuns = 0
      let settingsB = (await readStore({ dataDir: dirB })).settings
      do {
        const owed = settingsB.failed_workflows ?? []
        const feedDone = settingsB.last_reqmgr_sequence === fedUntil
        const again = await update({ ...envB, STATS2_RETRIES: RETRY_RUN_RETRIES })
        retryRuns++
        expect(again.code, again.err).toBe(0)
        // Nothing new in the feed: the workflows updated are exactly the retry list.
        if (feedDone) expect(again.report?.changed).toBe(owed.length)
        settingsB = (await readStore({ dataDir: dirB })).settings
      } while ((settingsB.failed_workflows ?? []).length > 0 && retryRuns < MAX_RETRY_RUNS)
      const failedLeft = settingsB.failed_workflows ?? []
      retryRunsTotal += retryRuns
      expect(failedLeft, 'the retry list must drain').toEqual([])

      const storeA = await readStore({ dataDir: dirA })
      const storeB = await readStore({ dataDir: dirB })
      expect(storeA.docs.size).toBeGreaterThan(WORKFLOWS * 0.8)
      expect(historyEntries(storeA.docs)).toBeGreaterThan(WORKFLOWS / 2)
      expect(storeA.settings.failed_workflows ?? []).toEqual([])
      expect(summarize(storeDifferences(storeB.docs, storeA.docs)), 'store B differs from store A').toBe('')
      const history: string[] = []
      for (const [name, doc] of storeB.docs) history.push(...historyProblems(doc, storeA.docs.get(name)))
      expect(summarize(history), 'store B history').toBe('')

      // The faults really happened during this step.
      expect((injected.get('draws') ?? 0) - drawsBefore).toBeGreaterThan(300)
      console.info(
        `[faults] step ${step}: ${storeB.docs.size} workflows, ${historyEntries(storeB.docs)} history entries equal; ` +
          `first faulty run exit ${first.code} with ${first.report?.failed.length ?? '?'} failed workflows; ${retryRuns} retry run(s)`
      )
    }, 120_000)
  }

  it('the faults were injected and retried', () => {
    const kinds = Object.fromEntries(injected)
    console.info(
      `[faults] injected ${JSON.stringify(kinds)}; client attempts failed ${JSON.stringify(clientAttempts)}; ` +
        `first-run exits ${JSON.stringify(faultyRunsFailed)}; workflows failed in first runs: ${failedInFirstRuns.length}` +
        (failedInFirstRuns.length > 0 ? `\n  ${failedInFirstRuns.slice(0, 10).join('\n  ')}` : '')
    )
    // The retry list was really exercised: a first run left workflows on it, or could not finish.
    expect(failedInFirstRuns.length + faultyRunsFailed.filter((code) => code !== 0).length).toBeGreaterThan(0)
    expect(retryRunsTotal).toBeGreaterThanOrEqual(STEPS)
    expect(injected.get('error5xx') ?? 0).toBeGreaterThan(10)
    expect(injected.get('reset') ?? 0).toBeGreaterThan(3)
    expect(injected.get('truncated') ?? 0).toBeGreaterThan(1)
    expect(injected.get('slow') ?? 0).toBeGreaterThan(3)
    // Every injected failure costs the client a failed attempt, retried or given up.
    const failures = (injected.get('error5xx') ?? 0) + (injected.get('reset') ?? 0) + (injected.get('truncated') ?? 0)
    expect(clientAttempts.retried).toBeGreaterThan(0)
    expect(clientAttempts.retried + clientAttempts.gaveUp).toBeGreaterThanOrEqual(Math.floor(failures * 0.9))
    // The fault-free simulator answered the same scenario with fewer requests.
    expect(total(simB.requestCounts())).toBeGreaterThan(total(simA.requestCounts()))
  })
})

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0)
}
