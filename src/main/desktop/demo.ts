/**
 * Demo mode: the built-in cmsweb simulator with generated workflows and a throw-away in-memory store,
 * so a new operator sees a living dashboard before configuring a certificate.
 */
import { join } from 'node:path'
import type { Stats2Config } from '../config/config'
import { generateScenario, startSimulator, type Scenario, type Simulator } from '../../sim'
import { CouchStore } from '../store/couch-store'

export interface DemoOptions {
  workflows: number
  tlsDir: string
  /** Advance the simulated cmsweb one step every N ms (0: only by hand). */
  stepEveryMs: number
  seed?: number
  /** Wall clock, unix seconds (tests move it). */
  now?: () => number
}

/** Steps of the demo scenario, how many of them are replayed in the past at start, and their spacing. */
export const DEMO_STEPS = 12
export const DEMO_REPLAYED_STEPS = 6
export const DEMO_STEP_SECONDS = 2 * 3600

/** The desktop's and `stats2 ui`'s demo pace: one simulated step, and an update, every 20 s. */
export const DEMO_STEP_MS = 20_000

/**
 * The desktop app's demo pace from its command line, `--demo-step-ms=N` (as `stats2 ui
 * --demo-step-ms N`; 0 = only by hand), else DEMO_STEP_MS. Anything else is ignored.
 */
export function demoStepMs(argv: readonly string[]): number {
  for (const arg of argv) {
    const match = /^--demo-step-ms=(\d{1,9})$/.exec(arg)
    if (match) return Number(match[1])
  }
  return DEMO_STEP_MS
}

/** One update run at a given clock (unix seconds), as the replay drives it; its report says whether it was cancelled. */
export type ReplayRun<R extends { cancelled: boolean }> = (now: () => number) => Promise<R>

export interface DemoSession {
  readonly sim: Simulator
  /** What the simulator serves, step by step. */
  readonly scenario: Scenario
  readonly store: CouchStore
  readonly scenarioName: string
  readonly steps: number
  readonly workflows: number
  /** The configuration pointing at the simulator (its CA and client certificate). */
  readonly config: Stats2Config
  /** The documents' clock: step k is `startTime + k × stepSeconds`; the last step is about now. */
  readonly startTime: number
  readonly stepSeconds: number
  /**
   * Runs the scenario's first DEMO_REPLAYED_STEPS steps on a simulated clock (one update per step,
   * at that step's time), then moves the simulator to the next step at the wall clock: the demo's
   * workflows then start with hours of history instead of one dot. A cancelled run stops the replay
   * where it is (its report is returned); the next call resumes there.
   */
  replayHistory<R extends { cancelled: boolean }>(run: ReplayRun<R>): Promise<R | undefined>
  /** True once the replay has reached the live steps. */
  readonly replayed: boolean
  close(): Promise<void>
}

export async function startDemo(base: Stats2Config, options: DemoOptions): Promise<DemoSession> {
  const wallClock = options.now ?? ((): number => Math.floor(Date.now() / 1000))
  // The whole scenario lies in the recent past: its last step is now, so no document time is in the future.
  const startTime = wallClock() - (DEMO_STEPS - 1) * DEMO_STEP_SECONDS
  const scenario = generateScenario({
    workflows: options.workflows,
    steps: DEMO_STEPS,
    seed: options.seed ?? 2026,
    startTime,
    stepSeconds: DEMO_STEP_SECONDS,
    createdWithinSeconds: 2 * 86_400,
    // Workflows start at most acquired and move on slowly: at start a mix of new, running and done,
    // and the live steps still change many of them.
    startStatusMax: 3,
    statusAdvance: [0, 1]
  })
  const stepTime = (step: number): number => startTime + step * DEMO_STEP_SECONDS
  // While replaying, the simulator stamps what each step introduces with that step's time.
  let simulatedNow: number | undefined = stepTime(0)
  const sim = await startSimulator({ scenario, tlsDir: options.tlsDir, clock: () => simulatedNow ?? wallClock() })
  simulatedNow = undefined
  let store: CouchStore | undefined
  try {
    store = await CouchStore.open({ dataDir: join(options.tlsDir, 'unused-store'), url: undefined }, { inMemory: true })
  } catch (error) {
    await sim.close()
    throw error
  }
  const config: Stats2Config = structuredClone(base)
  config.credentials = { certPath: sim.tls.clientCert, keyPath: sim.tls.clientKey }
  config.cmsweb = { ...config.cmsweb, url: sim.url, dbsUrl: sim.url, caPath: sim.tls.caCert, caDir: undefined }
  config.db = { ...config.db, url: undefined }
  config.notify = {
    ...config.notify,
    keycloakUrl: sim.url,
    prodUrl: sim.url,
    devUrl: `${sim.url}/dev`,
    clientId: 'stats2-demo',
    clientSecret: 'demo-secret',
    prodAudience: 'cms-pdmv-demo',
    devAudience: 'cms-pdmv-dev-demo'
  }
  const openStore = store
  let replayed = false
  return {
    sim,
    scenario,
    store: openStore,
    scenarioName: scenario.name,
    steps: scenario.steps.length,
    workflows: options.workflows,
    config,
    startTime,
    stepSeconds: DEMO_STEP_SECONDS,
    async replayHistory<R extends { cancelled: boolean }>(run: ReplayRun<R>): Promise<R | undefined> {
      try {
        // Resumes where a cancelled replay stopped: each step's run is at that step's time.
        for (let step = sim.step; step < DEMO_REPLAYED_STEPS; step++) {
          // A minute after the step became active, as an updater following it would run.
          const at = stepTime(step) + 60
          const report = await run(() => at)
          if (report.cancelled) return report
          simulatedNow = stepTime(step + 1)
          if (step + 1 < DEMO_REPLAYED_STEPS) sim.advance()
        }
      } finally {
        simulatedNow = undefined
      }
      if (sim.step < DEMO_REPLAYED_STEPS) sim.advance()
      replayed = true
      return undefined
    },
    get replayed() {
      return replayed
    },
    async close() {
      await openStore.close()
      await sim.close()
    }
  }
}
