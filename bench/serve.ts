/**
 * Load test of `stats2 serve` on loopback (bounded): a store filled by the updater over the public
 * scenario (simulator over mTLS), two `stats2 serve` processes both on it through DB_URL (so they
 * share nothing but the CouchDB), and N concurrent clients for S seconds alternating between
 * `api/get_json/<name>` and `/?prepid=<prepid>` on both processes. Reports throughput, p50/p99 and errors.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Pool } from 'undici'
import { loadConfig } from '../src/main/config/config'
import { CmswebClient } from '../src/main/cmsweb/client'
import { CmswebServices } from '../src/main/cmsweb/services'
import { updaterOptions } from '../src/main/core/runtime'
import { loadScenario, startSimulator } from '../src/sim'
import { CouchStore } from '../src/main/store/couch-store'
import { startEmbeddedCouch } from '../src/store-server/embedded-couch'
import { runUpdate } from '../src/main/updater/update-run'

const REPO_ROOT = resolve(__dirname, '..')
const SCENARIO = resolve(process.env.STATS2_SHARED_DIR ?? resolve(REPO_ROOT, '..', 'shared'), 'conformance', 'stats2-public')
/** A workflow and a PrepID of the public scenario (the PrepID has three workflows: a date-ordered page). */
const WORKFLOW = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'
const PREPID = 'TEST-TEST-HIG-RunIISummer15wmLHEGS-00744'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  rps: number
  p50Ms: number
  p99Ms: number
  /** Requests answered per target URL. */
  byUrl: Record<string, number>
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/** `clients` loops, each sending one request at a time over keep-alive, for `seconds`; any non-200 is an error. */
export async function loadTest(urls: string[], clients: number, seconds: number): Promise<LoadResult> {
  const pools = new Map<string, Pool>()
  for (const url of urls) {
    const origin = new URL(url).origin
    if (!pools.has(origin)) pools.set(origin, new Pool(origin, { connections: clients }))
  }
  const latencies: number[] = []
  const byUrl: Record<string, number> = Object.fromEntries(urls.map((url) => [url, 0]))
  let errors = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  const client = async (index: number): Promise<void> => {
    for (let i = index; performance.now() < deadline; i++) {
      const url = new URL(urls[i % urls.length]!)
      const begin = performance.now()
      try {
        const answer = await pools.get(url.origin)!.request({ path: `${url.pathname}${url.search}`, method: 'GET' })
        await answer.body.text()
        if (answer.statusCode !== 200) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - begin)
      byUrl[url.toString()] = (byUrl[url.toString()] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)))
  const elapsed = (performance.now() - started) / 1000
  await Promise.all([...pools.values()].map((pool) => pool.close()))
  latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    errors,
    seconds: Number(elapsed.toFixed(2)),
    rps: Math.round(latencies.length / elapsed),
    p50Ms: Number(quantile(latencies, 0.5).toFixed(1)),
    p99Ms: Number(quantile(latencies, 0.99).toFixed(1)),
    byUrl
  }
}

interface ServeProcess {
  url: string
  child: ChildProcess
  exited: Promise<number | null>
}

async function startServeProcess(env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The load generator is one address standing for many clients: the per-client limits
    // (docs/service-limits.md) would refuse it, the instance's still apply.
    env: { PATH: process.env.PATH ?? '', STATS2_LOG_LEVEL: 'warn', STATS2_SERVE_CLIENT_CONCURRENCY: '10000', STATS2_SERVE_CLIENT_CONNECTIONS: '100000', ...env }
  })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  const line = await Promise.race([
    new Promise<string>((done) => createInterface({ input: child.stdout! }).once('line', done)),
    exited.then((code) => Promise.reject(new Error(`stats2 serve exited (${code})`)))
  ])
  return { url: (JSON.parse(line) as { url: string }).url, child, exited }
}

export interface ServeBenchResult extends LoadResult {
  processes: number
  /** Requests answered by each process. */
  perProcess: number[]
  /** Both processes gave the same document for the same name. */
  sameAnswers: boolean
  /** Both processes exited 0 on SIGTERM. */
  cleanExit: boolean
}

export async function benchServe(options: { clients: number; seconds: number; quiet?: boolean }): Promise<ServeBenchResult> {
  const say = (text: string): void => {
    if (!options.quiet) console.log(text)
  }
  const work = await mkdtemp(join(tmpdir(), 'stats2-bench-serve-'))
  const sim = await startSimulator({ scenario: await loadScenario(SCENARIO), tlsDir: join(work, 'tls') })
  const couch = await startEmbeddedCouch({ dataDir: join(work, 'store') })
  const processes: ServeProcess[] = []
  try {
    const env = {
      HOME: work,
      DB_URL: couch.url,
      STATS_DB_AUTH_HEADER: couch.authHeader,
      CMSWEB_URL: sim.url,
      CMSWEB_PROD_URL: sim.url,
      CMSWEB_CA: sim.tls.caCert,
      USERCRT: sim.tls.clientCert,
      USERKEY: sim.tls.clientKey
    }
    const config = loadConfig(env)
    const store = await CouchStore.open(config.db)
    const client = await CmswebClient.create(config)
    const report = await runUpdate({ kind: 'all' }, {}, { services: new CmswebServices(client), store, options: updaterOptions(config) })
    await client.close()
    await store.close()
    say(`\n# stats2 serve: ${report.written} workflows stored by the updater from the public scenario; two serve processes on one store (DB_URL)`)
    processes.push(await startServeProcess(env), await startServeProcess(env))
    const targets = processes.flatMap((p) => [`${p.url}/api/get_json/${WORKFLOW}`, `${p.url}/?prepid=${PREPID}`])
    const [a, b] = await Promise.all(processes.map(async (p) => (await fetch(`${p.url}/api/get_json/${WORKFLOW}`)).text()))
    const sameAnswers = a === b && a!.includes(WORKFLOW)
    // Warm-up (views, connections), not counted.
    await loadTest(targets, Math.min(options.clients, 8), 1)
    say(`${options.clients} clients for ${options.seconds} s over ${targets.length} URLs …`)
    const result = await loadTest(targets, options.clients, options.seconds)
    const perProcess = processes.map((p) => Object.entries(result.byUrl).filter(([url]) => url.startsWith(p.url)).reduce((sum, [, n]) => sum + n, 0))
    for (const p of processes) p.child.kill('SIGTERM')
    const codes = await Promise.all(processes.map((p) => p.exited))
    processes.length = 0
    const out: ServeBenchResult = { ...result, processes: 2, perProcess, sameAnswers, cleanExit: codes.every((code) => code === 0) }
    say(`requests ${out.requests} in ${out.seconds} s: ${out.rps} req/s, p50 ${out.p50Ms} ms, p99 ${out.p99Ms} ms, errors ${out.errors}; per process ${perProcess.join(' / ')}; identical answers ${sameAnswers}; clean SIGTERM exit ${out.cleanExit}`)
    return out
  } finally {
    for (const p of processes) p.child.kill('SIGTERM')
    await Promise.all(processes.map((p) => p.exited))
    await couch.close()
    await sim.close()
    await rm(work, { recursive: true, force: true })
  }
}
