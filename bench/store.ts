/**
 * The embedded store at production size: `stored` workflows already in the store (views built,
 * timed: the one-pass index build), then `stats2 update` — the real command, in its own process —
 * follows the simulator's changes feed (its `--workflows` changed workflows) and maintains the
 * store afterwards (compaction when fragmented, views brought up to date). Reported: the index
 * build, the update's wall time and the peak RSS of its processes (the update's and its store
 * process, read from /proc; plus the private memory of the launcher that waits for it, see
 * TreePeak), and the data
 * folder's size before and after, per 100 000 workflows.
 */
import { spawn } from 'node:child_process'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { CouchStore } from '../src/main/store/couch-store'
import type { WorkflowDoc } from '../src/shared/stats2-doc'

export interface SimEndpoints {
  url: string
  ca: string
  cert: string
  key: string
}

export interface StoreFigures {
  stored: number
  indexBuildS: number
  updateS: number
  /** The update's process (peak resident set) and the launcher waiting for it (private memory), added. */
  peakRssMb: number
  /** The update's own process; launcherRssMb: bin/stats2.cjs waiting for it (0 when it ran the update itself). */
  updateProcessRssMb: number
  /** The update's store process (src/store-server/main.ts) and its map processes, counted in peakRssMb. */
  storeProcessRssMb: number
  launcherRssMb: number
  written: number
  diskMbBefore: number
  diskMbAfter: number
  diskMbPer100k: number
}

const TIERS = ['GEN-SIM', 'DIGI', 'AODSIM', 'MINIAODSIM', 'NANOAODSIM']

/** A Stats2 document of production shape (2–5 output datasets, three history entries). */
export function syntheticDoc(i: number): WorkflowDoc {
  const campaign = `Run3Summer${22 + (i % 4)}${['GS', 'DR', 'MiniAOD', 'NanoAOD'][i % 4]}`
  const prepId = `HIG-${campaign}-${String(i).padStart(5, '0')}`
  const name = `pdmvserv_task_${prepId}__v1_T_${String(230101 + (i % 28)).padStart(6, '0')}_${String(100000 + (i % 86_399)).slice(0, 6)}_${1000 + (i % 9000)}`
  const primary = `Sample${i % 5000}_TuneCP5_13p6TeV`
  const outputs = TIERS.slice(0, 2 + (i % 4)).map((tier) => `/${primary}/${campaign}-v${1 + (i % 3)}_${i}/${tier}`)
  const entry = (t: number, f: number) => ({
    Time: 1_700_000_000 + t * 3600,
    Datasets: Object.fromEntries(outputs.map((d) => [d, { Type: f >= 1 ? 'VALID' : 'PRODUCTION', Events: Math.floor(100_000 * f), Size: Math.floor(2e8 * f) }]))
  })
  return {
    _id: name, RequestName: name, PrepID: prepId, RequestType: 'TaskChain', Campaigns: [campaign], Requests: [prepId],
    OutputDatasets: outputs, InputDataset: '', ProcessingString: `${campaign}_v${i % 3}`, RequestPriority: 110000,
    RequestTransition: [{ Status: 'new', UpdateTime: 1_700_000_000 }, { Status: 'running-open', UpdateTime: 1_700_050_000 }],
    TotalEvents: 100_000, TotalInputLumis: -1, CMSSWVersion: 'CMSSW_13_0_13', AcquisitionEra: campaign,
    EventNumberHistory: [entry(0, 0.1), entry(5, 0.5), entry(9, 1)], LastUpdate: 1_700_100_000
  }
}

/** Bytes of every file under `dir`. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await folderBytes(path)
    else if (entry.isFile()) total += (await stat(path)).size
  }
  return total
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10

/** Writes `count` synthetic workflows (names apart from the simulator's) into the store; seconds taken. */
async function insertDocs(store: CouchStore, count: number): Promise<number> {
  const started = performance.now()
  // Two batches in flight: the next one is built and sent while the server writes the last one.
  const inFlight = new Set<Promise<unknown>>()
  for (let i = 0; i < count; i += 1000) {
    const write = store.saveWorkflows(Array.from({ length: Math.min(1000, count - i) }, (_, j) => syntheticDoc(i + j)))
    inFlight.add(write)
    void write.finally(() => inFlight.delete(write)).catch(() => undefined)
    if (inFlight.size >= 2) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  return (performance.now() - started) / 1000
}

/** A store of `count` synthetic workflows whose views are not built yet; seconds the insert took. */
export async function fillStore(dataDir: string, count: number): Promise<number> {
  const store = await CouchStore.open({ dataDir }, { batchSize: 1000 })
  try {
    return await insertDocs(store, count)
  } finally {
    await store.close()
  }
}

/** Fills a store with `count` synthetic workflows and builds its views. */
export async function filledStore(dataDir: string, count: number): Promise<{ indexBuildS: number; insertS: number; indexCpuS: number }> {
  const store = await CouchStore.open({ dataDir }, { batchSize: 1000 })
  try {
    const insertS = await insertDocs(store, count)
    const started = performance.now()
    // CPU time of the store process (it builds the index): what the build costs whatever the machine's load.
    const before = await store.embeddedServer!.usage()
    // One query builds all seven views of the design document (one pass over the documents).
    await store.queryView('campaigns', { limit: 0 })
    const after = await store.embeddedServer!.usage()
    const cpuMicros = after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros
    return { insertS, indexBuildS: (performance.now() - started) / 1000, indexCpuS: cpuMicros / 1e6 }
  } finally {
    await store.close()
  }
}

/**
 * A figure of a running process's /proc status in bytes: VmHWM, the kernel's own high-water mark of
 * its resident set, or RssAnon, its private memory now.
 */
async function procStatus(pid: number, field: 'VmHWM' | 'RssAnon'): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const match = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** A store process (src/store-server/main.ts, built or not), by its command line. */
async function isStoreProcess(pid: number): Promise<boolean> {
  try {
    return /store-server(\.c?js|\/main\.ts)/.test(await readFile(`/proc/${pid}/cmdline`, 'utf8'))
  } catch {
    return false
  }
}

/** Child processes of a running process (Linux /proc). */
async function childPids(pid: number): Promise<number[]> {
  try {
    return (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * Peak memory of `stats2 update`. bin/stats2.cjs starts the update in a Node with a sized heap
 * (bin/heap.cjs) and waits for it: the update's process counts with its peak resident set, the
 * waiting launcher with its private memory (its code pages are the same Node binary's, shared).
 * Without a child (an operator's own heap size), the process itself is the update. The update's
 * process starts the store in a process of its own (src/store-server/main.ts), which starts a map
 * process per design document it indexes (src/store-server/map-process.ts): each counted with its
 * peak resident set, and reported apart as the store's.
 */
class TreePeak {
  private rootPeak = 0
  private rootPrivate = 0
  private readonly updates = new Map<number, number>()
  private readonly stores = new Map<number, number>()
  constructor(private readonly root: number) {}
  async sample(): Promise<void> {
    this.rootPeak = Math.max(this.rootPeak, (await procStatus(this.root, 'VmHWM')) ?? 0)
    this.rootPrivate = Math.max(this.rootPrivate, (await procStatus(this.root, 'RssAnon')) ?? 0)
    const record = async (into: Map<number, number>, pid: number): Promise<void> => {
      const peak = await procStatus(pid, 'VmHWM')
      if (peak !== undefined) into.set(pid, Math.max(into.get(pid) ?? 0, peak))
    }
    // Every process below the root: a store process and everything below it are the store's.
    const walk = async (pid: number, underStore: boolean): Promise<void> => {
      for (const child of await childPids(pid)) {
        const store = underStore || (await isStoreProcess(child))
        await record(store ? this.stores : this.updates, child)
        await walk(child, store)
      }
    }
    await walk(this.root, false)
  }
  /** The update's own process. */
  get worker(): number {
    return this.updates.size > 0 ? [...this.updates.values()].reduce((sum, peak) => sum + peak, 0) : this.rootPeak
  }
  /** The update's store process and its map processes. */
  get store(): number {
    return [...this.stores.values()].reduce((sum, peak) => sum + peak, 0)
  }
  /** The launcher waiting for it (0 when it ran the update itself). */
  get launcher(): number {
    return this.updates.size > 0 ? this.rootPrivate : 0
  }
}

export async function benchStoreAtScale(stored: number, work: string, sim: SimEndpoints, concurrency: number): Promise<StoreFigures> {
  const dataDir = join(work, 'scale-store')
  console.log(`\n# store at scale: ${stored} workflows stored, then update-all of the simulator's workflows (stats2 update, own process)`)
  const { insertS, indexBuildS } = await filledStore(dataDir, stored)
  console.log(`bulk insert ${insertS.toFixed(1)} s; index build, all seven views in one pass: ${indexBuildS.toFixed(1)} s`)
  const before = await folderBytes(dataDir)

  const child = spawn(process.execPath, [join(__dirname, '..', 'bin', 'stats2.cjs'), 'update', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      STATS2_LOG_LEVEL: 'warn',
      STATS2_DATA_DIR: dataDir,
      CMSWEB_URL: sim.url,
      CMSWEB_PROD_URL: sim.url,
      CMSWEB_CA: sim.ca,
      USERCRT: sim.cert,
      USERKEY: sim.key,
      STATS2_CONCURRENCY: String(concurrency)
    }
  })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const started = performance.now()
  const tree = new TreePeak(child.pid!)
  const sampler = setInterval(() => void tree.sample(), 200)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearInterval(sampler)
  const updateS = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`stats2 update exited with ${code}`)
  const report = JSON.parse(out) as { written?: number }
  const after = await folderBytes(dataDir)
  const total = stored + (report.written ?? 0)
  const figures: StoreFigures = {
    stored,
    indexBuildS: Math.round(indexBuildS * 10) / 10,
    updateS: Math.round(updateS * 10) / 10,
    peakRssMb: Math.round((tree.worker + tree.store + tree.launcher) / 1e6),
    updateProcessRssMb: Math.round(tree.worker / 1e6),
    storeProcessRssMb: Math.round(tree.store / 1e6),
    launcherRssMb: Math.round(tree.launcher / 1e6),
    written: report.written ?? 0,
    diskMbBefore: mb(before),
    diskMbAfter: mb(after),
    diskMbPer100k: mb((after * 100_000) / Math.max(1, total))
  }
  console.log(`update-all: ${figures.written} workflows written in ${figures.updateS} s, peak RSS ${figures.peakRssMb} MB (store included): ` +
    `the update's process ${figures.updateProcessRssMb} MB + its store process ${figures.storeProcessRssMb} MB${figures.launcherRssMb ? ` + the launcher waiting for it ${figures.launcherRssMb} MB (private)` : ''}`)
  console.log(`data folder: ${figures.diskMbBefore} MB before, ${figures.diskMbAfter} MB after the run and its maintenance = ${figures.diskMbPer100k} MB per 100 000 workflows`)
  return figures
}
