/**
 * The event loop of the process that plays the Electron main (issue 14: `loopLagP99Ms` < 50 ms): an
 * AppCore (the desktop core, Electron-free) in this process, its delay measured with
 * `perf_hooks.monitorEventLoopDelay` (10 ms resolution)
 * - while it runs an update-all of the simulator's `workflows` (the simulator in its own process,
 *   as cmsweb is another machine; the store in its store process), and
 * - while its store process builds the seven views over `indexDocs` documents (the first search
 *   of a freshly filled store).
 * Reported: the p99 and the largest delay of each, and the time each took.
 */
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { AppCore } from '../src/main/desktop/app-core'
import { MemorySecretStore } from '../src/main/desktop/secrets'
import { fillStore, syntheticDoc, type SimEndpoints } from './store'

export interface LoopLag {
  p99Ms: number
  maxMs: number
  seconds: number
}

const ms = (ns: number): number => Math.round(ns / 1e4) / 100

/** The event-loop delay of this process while `work` runs. */
async function measured(work: () => Promise<unknown>): Promise<LoopLag> {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  const started = performance.now()
  histogram.enable()
  try {
    await work()
  } finally {
    histogram.disable()
  }
  return { p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max), seconds: Math.round((performance.now() - started) / 100) / 10 }
}

async function appCore(work: string, name: string, env: Record<string, string>): Promise<AppCore> {
  const core = await AppCore.create({
    userDataDir: join(work, `${name}-user`),
    env: { HOME: work, STATS2_DATA_DIR: join(work, `${name}-store`), ...env },
    secrets: new MemorySecretStore()
  })
  await core.activeStore() // opened before the clock starts
  return core
}

/** An update-all of everything the simulator serves, started as the desktop's button does. */
export async function updateLoopLag(work: string, sim: SimEndpoints, concurrency: number): Promise<LoopLag & { written: number }> {
  const core = await appCore(work, 'lag-update', {
    CMSWEB_URL: sim.url, CMSWEB_PROD_URL: sim.url, CMSWEB_CA: sim.ca, USERCRT: sim.cert, USERKEY: sim.key, STATS2_CONCURRENCY: String(concurrency)
  })
  try {
    let written = 0
    const lag = await measured(async () => {
      core.startUpdate({ kind: 'all' }, { triggerProd: false, triggerDev: false })
      const final = await core.job.wait()
      if (final.state !== 'done') throw new Error(`the update ended ${final.state}: ${final.error ?? ''}`)
      written = final.report?.written ?? 0
    })
    console.log(`AppCore event loop during an update-all (${written} workflows written, ${lag.seconds} s): p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms`)
    return { ...lag, written }
  } finally {
    await core.close()
  }
}

/** The seven views built over `docs` documents by the store process, while a search waits for them. */
export async function indexLoopLag(work: string, docs: number): Promise<LoopLag> {
  const insertS = await fillStore(join(work, 'lag-index-store'), docs)
  console.log(`\n# AppCore event loop while its store process builds the views over ${docs} documents (inserted in ${insertS.toFixed(1)} s)`)
  const core = await appCore(work, 'lag-index', {})
  try {
    const lag = await measured(() => core.search({ text: syntheticDoc(docs - 1).PrepID! }))
    console.log(`AppCore event loop during the index build (${lag.seconds} s): p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms`)
    return lag
  } finally {
    await core.close()
  }
}
