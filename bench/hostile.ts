/**
 * `stats2 serve` under a hostile mix (issue 14): the real command in its own process on an embedded
 * store of `docs` documents of about `docKb` kB (plus one whose RequestName makes a backtracking
 * `$regex` run for minutes, and a design document whose map function never returns, written by the
 * admin as `stats2 load` would), while healthz is asked every 100 ms. The mix, all anonymous:
 * - the `$regex` `_find` of reproduction 1, sent to the store URL serve prints (at the start);
 * - a query of the looping view (reproduction 2; at half time);
 * - `fetches` clients each asking `/api/fetch` (every document) over and over;
 * - `streams` `dashboard/api/events` streams held open;
 * - `slowSockets` connections sending their request headers one byte a second.
 * Reported: healthP99Ms (a healthz that got no answer within 10 s counts as 10 s), healthz answers
 * by status, servePeakRssMb (the serve process, VmHWM) and storePeakRssMb (the largest of its store
 * processes), the store processes seen (a replaced one counts), and whether SIGTERM still ended
 * serve with exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { request as httpRequest, type ClientRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { Agent, fetch as undiciFetch } from 'undici'
import { CouchStore } from '../src/main/store/couch-store'
import type { WorkflowDoc } from '../src/shared/stats2-doc'
import { syntheticDoc } from './store'

const REPO_ROOT = resolve(__dirname, '..')
/** 32 word characters: `^(\w+)+=` tries 2^32 ways to split them before it fails. */
const HOSTILE_NAME = 'x'.repeat(32)
/**
 * The hostile mix comes from this address, healthz from 127.0.0.1 (the load balancer): serve's
 * per-client limits (STATS2_SERVE_CLIENT_CONNECTIONS, …) close a client's connections past its share,
 * so a checker sharing the attacker's address would be refused with it, by design.
 */
const HOSTILE_ADDRESS = '127.0.0.2'
const HEALTH_EVERY_MS = 100
const HEALTH_GIVE_UP_MS = 10_000

export interface HostileOptions {
  work: string
  docs: number
  docKb: number
  seconds: number
  fetches: number
  streams: number
  slowSockets: number
}

export interface HostileFigures {
  healthP99Ms: number
  healthP50Ms: number
  healthChecks: number
  /** healthz answers by status ("none": no answer within 10 s). */
  healthStatuses: Record<string, number>
  servePeakRssMb: number
  storePeakRssMb: number
  /** Store processes that served during the run (more than one: the supervisor replaced one). */
  storeProcesses: number
  fetchAnswers: Record<string, number>
  streamsOpened: number
  serveCleanExit: boolean
  /** How serve ended if it died during the mix (null: it did not). */
  serveDied: string | null
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms))

/** A synthetic workflow padded with history entries to about `kb` kB of JSON. */
export function paddedDoc(i: number, kb: number): WorkflowDoc {
  const doc = syntheticDoc(i)
  const entry = doc.EventNumberHistory[doc.EventNumberHistory.length - 1]!
  const entryBytes = JSON.stringify(entry).length
  const missing = Math.max(0, kb * 1024 - JSON.stringify(doc).length)
  const extra = Math.ceil(missing / entryBytes)
  doc.EventNumberHistory = [...Array.from({ length: extra }, (_, k) => ({ ...entry, Time: entry.Time - (extra - k) * 600 })), ...doc.EventNumberHistory]
  return doc
}

async function fillHostileStore(dataDir: string, docs: number, kb: number): Promise<void> {
  const store = await CouchStore.open({ dataDir }, { batchSize: 200 })
  try {
    for (let i = 0; i < docs; i += 200) {
      await store.saveWorkflows(Array.from({ length: Math.min(200, docs - i) }, (_, j) => paddedDoc(i + j, kb)))
    }
    await store.saveWorkflows([{ ...syntheticDoc(docs), _id: HOSTILE_NAME, RequestName: HOSTILE_NAME }])
    // What `stats2 load` of a foreign backup may bring: a view whose map function never returns.
    const admin = store.embeddedServer!
    const put = await fetch(`${admin.url}/requests/_design/loop`, {
      method: 'PUT',
      headers: { authorization: admin.authHeader, 'content-type': 'application/json' },
      body: JSON.stringify({ views: { all: { map: 'function (doc) { while (true) {} }' } } })
    })
    if (put.status !== 201) throw new Error(`writing the looping design document: ${put.status} ${await put.text()}`)
    // The seven views built before the mix, as on a store in use.
    await store.queryView('campaigns', { limit: 0 })
  } finally {
    await store.close()
  }
}

async function vmHwm(pid: number): Promise<number | undefined> {
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Number(kb) * 1024
  } catch {
    return undefined
  }
}

async function childPids(pid: number): Promise<number[]> {
  try {
    return (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

interface Serve {
  child: ChildProcess
  url: string
  store: string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

async function startServe(work: string, dataDir: string): Promise<Serve> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH, HOME: work, STATS2_DATA_DIR: dataDir, STATS2_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })))
  const line = await Promise.race([
    new Promise<string>((done) => createInterface({ input: child.stdout! }).once('line', done)),
    exited.then(({ code }) => Promise.reject(new Error(`serve exited early (${code})`)))
  ])
  return { child, exited, ...(JSON.parse(line) as { url: string; store: string }) }
}

/** Status of one GET (or 'none'), draining the body; undefined answers count as 'none'. */
async function status(url: string, timeoutMs: number, signal?: AbortSignal, dispatcher?: Agent): Promise<string> {
  try {
    const deadline = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs)
    const response = dispatcher ? await undiciFetch(url, { signal: deadline, dispatcher }) : await fetch(url, { signal: deadline })
    // Taken in and dropped as it comes (a whole 150 MB answer held would cost this process, not serve).
    for await (const chunk of response.body ?? []) void chunk
    return String(response.status)
  } catch {
    return 'none'
  }
}

/** The load balancer's checks, in a child Node: `stop()` ends them and answers what they saw. */
const PROBER_SOURCE = `
const [url, everyMs, giveUpMs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])]
const latencies = [], statuses = {}, checks = []
const timer = setInterval(() => {
  const started = performance.now()
  checks.push(fetch(url, { signal: AbortSignal.timeout(giveUpMs) }).then(async (r) => { await r.arrayBuffer(); return String(r.status) }, () => 'none').then((code) => {
    latencies.push(code === 'none' ? giveUpMs : performance.now() - started)
    statuses[code] = (statuses[code] ?? 0) + 1
  }))
}, everyMs)
process.on('message', async () => {
  clearInterval(timer)
  await Promise.all(checks)
  process.send({ latencies, statuses }, () => process.exit(0))
})
`

function startHealthProber(url: string): { stop(): Promise<{ latencies: number[]; statuses: Record<string, number> }> } {
  const child = spawn(process.execPath, ['-e', PROBER_SOURCE, url, String(HEALTH_EVERY_MS), String(HEALTH_GIVE_UP_MS)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return {
    stop: () =>
      new Promise((resolveStop, reject) => {
        child.once('message', (answer) => resolveStop(answer as { latencies: number[]; statuses: Record<string, number> }))
        child.once('exit', (code) => reject(new Error(`the health prober exited (${code}) before answering`)))
        child.send('stop')
      })
  }
}

export async function benchHostile(options: HostileOptions): Promise<HostileFigures> {
  const dataDir = join(options.work, 'hostile-store')
  console.log(`\n# stats2 serve under a hostile mix: ${options.docs} documents of ${options.docKb} kB, ${options.seconds} s`)
  const filling = performance.now()
  await fillHostileStore(dataDir, options.docs, options.docKb)
  console.log(`store filled in ${((performance.now() - filling) / 1000).toFixed(1)} s`)
  const serve = await startServe(options.work, dataDir)
  const base = serve.url
  let serveDied: string | null = null
  let stopping = false
  void serve.exited.then(({ code, signal }) => {
    if (!stopping) serveDied = signal ? `signal ${signal}` : `code ${code}`
  })

  // Memory of serve and of each of its store processes, sampled.
  const peaks = new Map<number, number>()
  const servePid = serve.child.pid!
  let servePeak = 0
  const sampler = setInterval(() => {
    void (async () => {
      servePeak = Math.max(servePeak, (await vmHwm(servePid)) ?? 0)
      for (const pid of await childPids(servePid)) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, (await vmHwm(pid)) ?? 0))
    })()
  }, 200)

  // healthz every 100 ms from a process of its own (the load balancer): the mix's clients below
  // share this process's event loop, and their work (a 150 MB answer taken in) must not count as
  // serve's latency. Each check on its own: a slow one does not delay the next.
  const prober = startHealthProber(`${base}/healthz`)

  const stop = new AbortController()
  const attacker = new Agent({ localAddress: HOSTILE_ADDRESS, connections: options.fetches + 4 })
  const hostile: Array<Promise<unknown>> = []
  await sleep(2000) // healthz alone first

  // Reproduction 1 now, reproduction 2 at half time.
  hostile.push(
    undiciFetch(`${serve.store}/requests/_find`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ selector: { RequestName: { $regex: '^(\\w+)+=' } }, limit: 1 }),
      signal: stop.signal,
      dispatcher: attacker
    }).then((r) => r.arrayBuffer(), () => undefined)
  )
  const loopView = sleep((options.seconds * 1000) / 2).then(() =>
    stop.signal.aborted ? undefined : undiciFetch(`${serve.store}/requests/_design/loop/_view/all`, { signal: stop.signal, dispatcher: attacker }).then((r) => r.arrayBuffer(), () => undefined)
  )
  hostile.push(loopView)

  // /api/fetch of everything, over and over.
  const fetchAnswers: Record<string, number> = {}
  for (let client = 0; client < options.fetches; client++) {
    hostile.push(
      (async () => {
        while (!stop.signal.aborted) {
          const code = await status(`${base}/api/fetch`, 120_000, stop.signal, attacker)
          fetchAnswers[code] = (fetchAnswers[code] ?? 0) + 1
          if (code === 'none') await sleep(100)
        }
      })()
    )
  }

  // Event streams held open.
  const streams: ClientRequest[] = []
  let streamsOpened = 0
  const eventsUrl = new URL(`${base}/dashboard/api/events`)
  for (let i = 0; i < options.streams; i++) {
    const req = httpRequest({ host: eventsUrl.hostname, port: eventsUrl.port, path: eventsUrl.pathname, agent: false, localAddress: HOSTILE_ADDRESS }, (res) => {
      if (res.statusCode === 200) streamsOpened++
      res.resume()
    })
    req.on('error', () => undefined)
    req.end()
    streams.push(req)
  }

  // Headers one byte a second.
  const slow: Socket[] = []
  const url = new URL(base)
  for (let i = 0; i < options.slowSockets; i++) {
    const socket = connect({ port: Number(url.port), host: url.hostname, localAddress: HOSTILE_ADDRESS })
    socket.on('error', () => undefined)
    socket.write(`GET ${url.pathname}/ HTTP/1.1\r\nHost: ${url.host}\r\nX-Slow: `)
    slow.push(socket)
  }
  const drip = setInterval(() => {
    for (const socket of slow) if (!socket.destroyed) socket.write('a')
  }, 1000)

  await sleep(options.seconds * 1000)
  clearInterval(drip)
  stop.abort()
  for (const req of streams) req.destroy()
  for (const socket of slow) socket.destroy()
  const { latencies, statuses: healthStatuses } = await prober.stop()
  await Promise.allSettled(hostile)
  await attacker.close()
  clearInterval(sampler)
  servePeak = Math.max(servePeak, (await vmHwm(servePid)) ?? 0)

  let serveCleanExit = false
  if (serveDied === null) {
    stopping = true
    serve.child.kill('SIGTERM')
    const ended = await Promise.race([serve.exited, sleep(30_000).then(() => undefined)])
    serveCleanExit = ended?.code === 0
    if (!ended) serve.child.kill('SIGKILL')
  }
  latencies.sort((a, b) => a - b)
  const figures: HostileFigures = {
    healthP99Ms: Math.round(quantile(latencies, 0.99) * 10) / 10,
    healthP50Ms: Math.round(quantile(latencies, 0.5) * 10) / 10,
    healthChecks: latencies.length,
    healthStatuses,
    servePeakRssMb: Math.round(servePeak / 1e6),
    storePeakRssMb: Math.round(Math.max(0, ...peaks.values()) / 1e6),
    storeProcesses: peaks.size,
    fetchAnswers,
    streamsOpened,
    serveCleanExit,
    serveDied
  }
  console.log(`healthz: p50 ${figures.healthP50Ms} ms, p99 ${figures.healthP99Ms} ms over ${figures.healthChecks} checks, answers ${JSON.stringify(healthStatuses)}`)
  console.log(`serve peak RSS ${figures.servePeakRssMb} MB; store process peak RSS ${figures.storePeakRssMb} MB (${figures.storeProcesses} store processes)`)
  console.log(`/api/fetch answers ${JSON.stringify(fetchAnswers)}; event streams opened ${streamsOpened}; serve ${serveDied ? `died (${serveDied})` : `SIGTERM exit clean: ${serveCleanExit}`}`)
  return figures
}
