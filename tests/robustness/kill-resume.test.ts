/**
 * Kill and resume: `node bin/stats2.cjs update` as a real child process on its own embedded store,
 * killed with SIGKILL at seeded random moments (while starting, in the middle of the paged ReqMgr2
 * feed, during the DBS/WMStats recalculation), then started again until a run completes, then once
 * more. The store must reopen after each kill (the stale lock is taken over) and end up equal,
 * document for document, to a store filled by uninterrupted runs: no history entry lost, none
 * written twice. Set STATS2_ROBUSTNESS_SEED to replay a sequence of kill points.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { LOCK_FILE } from '../../src/store-server/store-lock'
import {
  cleanup, historyEntries, historyProblems, killGroup, readStore, seededRandom, simEnv, spawnCli, storeDifferences, summarize, tempDir,
  type Env
} from './helpers'

const WORKFLOWS = 300
const STEPS = 2
const LATENCY_MS = 6
/** Small pages and batches: a run checkpoints the feed every 50 changes. */
const PAGE = '50'

type Phase = 'early' | 'feed' | 'recalc'
/** The kill points of each step, in order; each kill hits the run that resumes from the previous one. */
const PLAN: Phase[][] = [
  ['early', 'feed', 'recalc'],
  ['feed', 'recalc', 'early']
]

const random = seededRandom(Date.now() % 1_000_000_007)

interface Kill {
  step: number
  planned: Phase
  /** Where the run really was when it died: its last updater log line. */
  reached: Phase | 'exited'
  atMs: number
  /** The killed process held the store's lock: its lock file was left behind, stale. */
  lockLeft: boolean
}

let sim: Simulator
let envR: Env
let envS: Env
let dirR = ''
let dirS = ''
const kills: Kill[] = []
/** Log output of every run on store S. */
const logsOfS: string[] = []

beforeAll(async () => {
  console.info(`[kill-resume] seed ${random.seed} (replay with STATS2_ROBUSTNESS_SEED=${random.seed})`)
  const work = await tempDir('stats2-kill-')
  const scenario = generateScenario({ workflows: WORKFLOWS, steps: STEPS, seed: 3 })
  sim = await startSimulator({ scenario, tlsDir: join(work, 'tls'), latencyMs: LATENCY_MS })
  dirR = join(work, 'store-r')
  dirS = join(work, 'store-s')
  const common = { STATS2_CHANGES_PAGE: PAGE, STATS2_DB_BATCH: PAGE, STATS2_LOG_LEVEL: 'info' }
  envR = simEnv(sim, work, { ...common, STATS2_DATA_DIR: dirR })
  envS = simEnv(sim, work, { ...common, STATS2_DATA_DIR: dirS })
})

afterAll(async () => {
  await sim?.close()
  await cleanup()
})

/**
 * The Stats2 process recorded in store S's lock file, if there is one: the owner of the store
 * process that holds the folder (`ownerPid`), or the holder itself when it served in-process.
 */
function lockHolder(): number | undefined {
  try {
    const lock = JSON.parse(readFileSync(join(dirS, LOCK_FILE), 'utf8')) as { pid?: number; ownerPid?: number }
    return lock.ownerPid ?? lock.pid
  } catch {
    return undefined
  }
}

/** A run left to finish; its exit code must be 0. */
async function completeRun(env: Env, what: string): Promise<string> {
  const run = spawnCli(['update'], env)
  const result = await run.exit
  expect(result.signal, `${what} was killed`).toBeNull()
  expect(result.code, `${what} exited ${result.code}:\n${result.err.slice(-3000)}`).toBe(0)
  expect(result.out).toMatch(/^Update finished in /)
  return result.err
}

/** A run killed with SIGKILL when it reaches `phase` (plus a seeded random delay). */
async function killedRun(step: number, phase: Phase): Promise<Kill> {
  const run = spawnCli(['update'], envS)
  let reached: Kill['reached'] = 'early'
  let armed = false
  let firedAt = -1
  let lockLeft = false
  const fire = (delayMs: number): void => {
    if (armed) return
    armed = true
    setTimeout(() => {
      if (killGroup(run.child)) {
        firedAt = run.elapsed()
        lockLeft = lockHolder() === run.child.pid
      }
    }, delayMs)
  }
  const pagesBeforeKill = random.int(1, 3)
  let pages = 0
  run.onLine((line) => {
    if (!line.includes('[updater]')) return
    if (line.includes('] changes page:')) {
      if (reached === 'early') reached = 'feed'
      pages++
      // The page is being worked on now: kill during its updates, recalculation or checkpoint (or,
      // on a short resumed feed, during its last page).
      if (phase === 'feed' && (pages === pagesBeforeKill || / pending 0$/.test(line))) fire(random.int(0, 350))
    } else if (line.includes('] DBS modified ')) {
      reached = 'recalc'
      // What follows this line (WMStats, the recalculation of a few hundred workflows, the last
      // checkpoint) can take well under half a second with the store's own view index: a kill
      // drawn later than that would find the run already finished.
      if (phase === 'recalc' || phase === 'feed') fire(random.int(0, phase === 'recalc' ? 120 : 0))
    }
  })
  if (phase === 'early') fire(random.int(150, 900))
  const result = await run.exit
  logsOfS.push(result.err)
  if (result.signal !== 'SIGKILL') {
    // It finished before the kill point came: a completed run, which must have succeeded.
    expect(result.code, `run planned to be killed (${phase}) exited ${result.code}:\n${result.err.slice(-3000)}`).toBe(0)
    return { step, planned: phase, reached: 'exited', atMs: run.elapsed(), lockLeft: false }
  }
  return { step, planned: phase, reached, atMs: firedAt, lockLeft }
}

describe('update-all killed with SIGKILL and resumed', () => {
  for (let step = 0; step < STEPS; step++) {
    it(`step ${step}: after kills at ${PLAN[step]!.join(', ')} the store equals the uninterrupted one`, async () => {
      if (step > 0) sim.advance()
      expect(sim.step).toBe(step)
      const started = Date.now()
      // The reference runs meanwhile, uninterrupted, on the same simulator.
      const reference = completeRun(envR, `reference run of step ${step}`)

      for (const phase of PLAN[step]!) {
        const kill = await killedRun(step, phase)
        kills.push(kill)
        console.info(`[kill-resume] step ${step}: planned ${phase}, ${kill.reached === 'exited' ? 'run completed before the kill point' : `killed at ${kill.atMs} ms in ${kill.reached}${kill.lockLeft ? ' (lock file left)' : ''}`}`)
      }
      // Resume until a run completes (it must: nothing else is wrong), then one more run.
      logsOfS.push(await completeRun(envS, `resumed run of step ${step}`))
      logsOfS.push(await completeRun(envS, `extra run of step ${step}`))
      expect(existsSync(join(dirS, LOCK_FILE)), 'a completed run releases the lock').toBe(false)
      await reference

      const storeR = await readStore({ dataDir: dirR })
      const storeS = await readStore({ dataDir: dirS })
      expect(storeR.docs.size).toBeGreaterThan(WORKFLOWS * 0.8)
      expect(storeS.settings.failed_workflows ?? []).toEqual([])
      expect(storeS.settings.last_reqmgr_sequence).toEqual(storeR.settings.last_reqmgr_sequence)
      expect(summarize(storeDifferences(storeS.docs, storeR.docs)), 'the killed-and-resumed store differs from the reference').toBe('')
      const history: string[] = []
      for (const [name, doc] of storeS.docs) history.push(...historyProblems(doc, storeR.docs.get(name)))
      expect(summarize(history), 'history of the killed-and-resumed store').toBe('')
      console.info(
        `[kill-resume] step ${step}: ${storeS.docs.size} workflows and ${historyEntries(storeS.docs)} history entries equal the reference ` +
          `(${((Date.now() - started) / 1000).toFixed(1)} s)`
      )
    }, 150_000)
  }

  it('the kills really happened, in every phase, and the store reopened each time', () => {
    const killed = kills.filter((kill) => kill.reached !== 'exited')
    const takenOver = logsOfS.join('').split('Taking over the stale store lock').length - 1
    const locksLeft = killed.filter((kill) => kill.lockLeft).length
    console.info(`[kill-resume] seed ${random.seed}: ${killed.length} of ${kills.length} runs killed, ${locksLeft} left their lock file; stale locks taken over: ${takenOver}`)
    expect(killed.length).toBeGreaterThanOrEqual(kills.length - 1)
    for (const phase of ['early', 'feed', 'recalc'] as const) {
      expect(killed.some((kill) => kill.reached === phase), `a kill in phase ${phase}`).toBe(true)
    }
    // A kill after the store opened leaves its lock file behind, and the next run that gets that far
    // takes it over (a run killed while starting may leave the stale lock to the one after it).
    expect(locksLeft).toBeGreaterThan(0)
    expect(takenOver).toBeGreaterThan(0)
    expect(takenOver).toBeLessThanOrEqual(locksLeft)
  })
})
