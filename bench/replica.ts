/**
 * The replica's pull (`stats2 replicate`): a source store (the embedded store served over HTTP, as
 * the shared Stats2's stand-in) filled with `docs` Stats2 documents of the updater's shape, then
 *
 * - `replicaFirstPullS`: `stats2 replicate` as a child process into an empty store, from its spawn
 *   to its exit (process start, store open and view warming included);
 * - `replicaIncrementalS`: the same after `changed` documents changed upstream (each a new history
 *   entry), again spawn to exit; `replicaIncrementalPullS` is the pull alone (its own summary);
 * - `replicaLoopP99Ms`/`replicaLoopMaxMs`: the event-loop delay (sampled every 10 ms) of a process
 *   that pulls the same documents in-process, as the desktop app does, into a store served by
 *   another process: the pull's own share of the app's main loop; `replicaLoopWithStoreP99Ms`/
 *   `…MaxMs` the same with the embedded store in the pulling process (the app's store today);
 *   `replicaLoopIdleP99Ms` the same process idle for 5 s (the machine's own scheduling noise);
 * - `replicaPeakRssMb`: the peak resident set of the first pull's process.
 *
 * The source is an embedded store in its own process (`stats2 serve`'s, whose store URL it prints),
 * the CLI pulls in another, the in-process pull runs here: each side on its own, as on two machines.
 *   npm run bench -- --replica-only [--replica-docs 20000] [--replica-changed 100]
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { CouchStore } from '../src/main/store/couch-store'
import { SourceCouch } from '../src/main/replica/source'
import { pullReplica } from '../src/main/replica/pull'
import { createInterface } from 'node:readline'
import { syntheticDoc } from '../tests/replica/helpers'

export interface ReplicaFigures {
  replicaDocs: number
  replicaFillS: number
  replicaFirstPullS: number
  replicaFirstPullDocsPerS: number
  replicaIncrementalChanged: number
  replicaIncrementalS: number
  replicaIncrementalPullS: number
  replicaLoopP99Ms: number
  replicaLoopMaxMs: number
  replicaLoopWithStoreP99Ms: number
  replicaLoopWithStoreMaxMs: number
  replicaLoopIdleP99Ms: number
  replicaPeakRssMb: number | null
}

const BIN = join(__dirname, '..', 'bin', 'stats2.cjs')

/** `stats2 replicate --json` in its own process: wall time, its summary, its peak RSS (Linux VmHWM, polled). */
async function replicate(from: string, authHeader: string, dataDir: string): Promise<{ seconds: number; summary: { fetched: number; startedAt: number; finishedAt: number }; peakRssMb: number | null }> {
  const started = performance.now()
  const child = spawn(process.execPath, [BIN, 'replicate', '--from', from, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, STATS2_DATA_DIR: dataDir, STATS2_REPLICA_AUTH_HEADER: authHeader, STATS2_LOG_LEVEL: 'warn' }
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text))
  let peakKb = 0
  const poll = setInterval(() => {
    readFile(`/proc/${child.pid}/status`, 'utf8').then((status) => {
      peakKb = Math.max(peakKb, Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0))
    }, () => undefined)
  }, 200)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearInterval(poll)
  const seconds = (performance.now() - started) / 1000
  if (code !== 0) throw new Error(`stats2 replicate exited ${code}: ${err.slice(-2000)}`)
  return { seconds, summary: JSON.parse(out) as { fetched: number; startedAt: number; finishedAt: number }, peakRssMb: peakKb > 0 ? Math.round(peakKb / 1024) : null }
}

/** `stats2 serve` on its own embedded store: the store's URL (from its first line) and its admin (admin.json). */
async function startSourceProcess(dataDir: string): Promise<{ url: string; authHeader: string; store: CouchStore; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, STATS2_DATA_DIR: dataDir, STATS2_LOG_LEVEL: 'warn' }
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the source's stats2 serve exited (${code})`)))
    createInterface({ input: child.stdout }).once('line', resolve)
  })
  const url = (JSON.parse(line) as { store: string }).store
  const admin = JSON.parse(await readFile(join(dataDir, 'admin.json'), 'utf8')) as { user: string; password: string }
  const authHeader = 'Basic ' + Buffer.from(`${admin.user}:${admin.password}`).toString('base64')
  const store = CouchStore.connect(url, authHeader, 1000)
  return {
    url, authHeader, store,
    async stop() {
      await store.close()
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      await exited
    }
  }
}

export async function benchReplica(options: { work: string; docs: number; changed: number }): Promise<ReplicaFigures> {
  const { work, docs, changed } = options
  const source = await startSourceProcess(join(work, 'source'))
  try {
    const fillStarted = performance.now()
    for (let i = 0; i < docs; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, docs - i) }, (_, k) => syntheticDoc(i + k, 3))
      const refused = (await source.store.bulkWrite('requests', batch)).filter((r) => !r.ok)
      if (refused.length > 0) throw new Error(`filling the source: ${refused.length} refused (${refused[0]?.error})`)
    }
    const replicaFillS = (performance.now() - fillStarted) / 1000
    console.log(`# replica: source filled with ${docs} documents in ${replicaFillS.toFixed(1)} s`)

    const first = await replicate(source.url, source.authHeader, join(work, 'replica'))
    if (first.summary.fetched !== docs) throw new Error(`the first pull transferred ${first.summary.fetched} documents, not ${docs}`)
    console.log(`# replica: first pull of ${docs} documents: ${first.seconds.toFixed(1)} s (peak RSS ${first.peakRssMb ?? '?'} MB)`)

    for (let i = 0; i < changed; i++) {
      const id = syntheticDoc(Math.floor((i * docs) / changed), 3)._id
      const stored = (await source.store.getWorkflow(id))!
      const entry = { Time: stored.EventNumberHistory.at(-1)!.Time + 3600, Datasets: { [stored.OutputDatasets[0]!]: { Type: 'VALID', Events: 99_999, Size: 1 } } }
      const result = await source.store.saveWorkflow({ ...stored, EventNumberHistory: [...stored.EventNumberHistory, entry] })
      if (!result.ok) throw new Error(`changing ${id}: ${result.error}`)
    }
    const incremental = await replicate(source.url, source.authHeader, join(work, 'replica'))
    if (incremental.summary.fetched !== changed) throw new Error(`the incremental pull transferred ${incremental.summary.fetched} documents, not ${changed}`)
    const incrementalPullS = (incremental.summary.finishedAt - incremental.summary.startedAt) / 1000
    console.log(`# replica: incremental pull of ${changed} changed documents: ${incremental.seconds.toFixed(1)} s (the pull itself ${incrementalPullS.toFixed(2)} s)`)

    // In-process, as the desktop pulls: how long the event loop is held, without and with the store here.
    const loop = async (target: CouchStore): Promise<{ p99: number; max: number }> => {
      const client = new SourceCouch({ url: source.url, authHeader: source.authHeader })
      const delay = monitorEventLoopDelay({ resolution: 10 })
      try {
        delay.enable()
        await pullReplica({ source: client, target })
        delay.disable()
      } finally {
        await client.close()
        await target.close()
      }
      return { p99: Number((delay.percentile(99) / 1e6).toFixed(1)), max: Number((delay.max / 1e6).toFixed(1)) }
    }
    const idle = monitorEventLoopDelay({ resolution: 10 })
    idle.enable()
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    idle.disable()
    const idleP99 = Number((idle.percentile(99) / 1e6).toFixed(1))
    const elsewhere = await startSourceProcess(join(work, 'target-elsewhere'))
    let alone: { p99: number; max: number }
    try {
      alone = await loop(CouchStore.connect(elsewhere.url, elsewhere.authHeader))
    } finally {
      await elsewhere.stop()
    }
    const withStore = await loop(await CouchStore.open({ dataDir: join(work, 'in-process') }))
    console.log(`# replica: in-process pull, event-loop delay p99 ${alone.p99} ms, max ${alone.max} ms (store in another process); p99 ${withStore.p99} ms, max ${withStore.max} ms (embedded store in this process); idle p99 ${idleP99} ms`)
    return {
      replicaDocs: docs,
      replicaFillS: Number(replicaFillS.toFixed(1)),
      replicaFirstPullS: Number(first.seconds.toFixed(1)),
      replicaFirstPullDocsPerS: Math.round(docs / first.seconds),
      replicaIncrementalChanged: changed,
      replicaIncrementalS: Number(incremental.seconds.toFixed(2)),
      replicaIncrementalPullS: Number(incrementalPullS.toFixed(2)),
      replicaLoopP99Ms: alone.p99,
      replicaLoopMaxMs: alone.max,
      replicaLoopWithStoreP99Ms: withStore.p99,
      replicaLoopWithStoreMaxMs: withStore.max,
      replicaLoopIdleP99Ms: idleP99,
      replicaPeakRssMb: first.peakRssMb
    }
  } finally {
    await source.stop()
  }
}
