/**
 * Memory of `stats2 serve` under issue 14's reproduction 7: a store of `docs` documents of about
 * 50 kB (600 history entries each), and `parallel` anonymous `/api/fetch` of the whole store at once
 * (each answer is every document, up to the limits of docs/service-limits.md). The serve process's
 * resident memory is sampled every 50 ms from /proc (Linux); the figures are its RSS when idle and
 * its peak during the answers. The per-client limit of expensive answers is raised to `parallel`, so
 * that all of them run at once (the instance's limit, STATS2_SERVE_HEAVY, still applies).
 *
 *   npm run bench -- --serve-limits-only [--fetch-docs 3000] [--fetch-parallel 6]
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { request } from 'undici'
import { CouchStore } from '../src/main/store/couch-store'
import type { WorkflowDoc } from '../src/shared/stats2-doc'

const REPO_ROOT = resolve(__dirname, '..')

export interface ServeLimitsResult {
  docs: number
  parallel: number
  /** MB received per answer, and whether the service said it cut the answer. */
  answerMb: number
  truncated: string | null
  seconds: number
  idleRssMb: number
  /** servePeakRssMb: the serve process's peak RSS while answering. */
  peakRssMb: number
}

function bigDoc(index: number): WorkflowDoc {
  const name = `bench_${String(index).padStart(6, '0')}_230101_000000_1`
  const history = Array.from({ length: 600 }, (_, entry) => ({ Time: 1_700_000_000 + entry * 600, Datasets: { '/Bench/Run-v1/AODSIM': { Type: 'PRODUCTION', Events: entry * 10, Size: entry * 1000 } } }))
  return {
    _id: name, RequestName: name, PrepID: 'BENCH-00001', Campaigns: ['Bench'], EventNumberHistory: history, OutputDatasets: ['/Bench/Run-v1/AODSIM'],
    RequestPriority: 1, RequestTransition: [], Requests: [], TotalEvents: 10_000, TotalInputLumis: -1
  }
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

export async function benchServeLimits(options: { docs: number; parallel: number; quiet?: boolean }): Promise<ServeLimitsResult> {
  const say = (text: string): void => void (options.quiet || console.log(text))
  const work = await mkdtemp(join(tmpdir(), 'stats2-bench-serve-limits-'))
  try {
    const dataDir = join(work, 'store')
    const store = await CouchStore.open({ dataDir }, { batchSize: 100 })
    for (let start = 0; start < options.docs; start += 100) {
      await store.saveWorkflows(Array.from({ length: Math.min(100, options.docs - start) }, (_, offset) => bigDoc(start + offset)))
    }
    await store.close()
    say(`stored ${options.docs} documents of about 50 kB`)
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'serve', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', HOME: work, STATS2_DATA_DIR: dataDir, STATS2_LOG_LEVEL: 'warn', STATS2_SERVE_CLIENT_HEAVY: String(options.parallel) },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    try {
      const line = await new Promise<string>((done) => createInterface({ input: child.stdout! }).once('line', done))
      const url = (JSON.parse(line) as { url: string }).url
      // Warm: the views and the first read.
      await (await request(`${url}/api/fetch?prepid=none`)).body.dump()
      await (await request(`${url}/healthz`)).body.dump()
      const idle = await rssMb(child.pid!)
      let peak = idle
      const sampler = setInterval(() => void rssMb(child.pid!).then((mb) => (peak = Math.max(peak, mb)), () => undefined), 50)
      const started = performance.now()
      const answers = await Promise.all(Array.from({ length: options.parallel }, async () => {
        const answer = await request(`${url}/api/fetch`)
        let bytes = 0
        for await (const chunk of answer.body) bytes += (chunk as Buffer).length
        return { status: answer.statusCode, bytes, truncated: (answer.headers['x-stats2-truncated'] as string | undefined) ?? (answer.trailers['x-stats2-truncated'] as string | undefined) ?? null }
      }))
      const seconds = (performance.now() - started) / 1000
      clearInterval(sampler)
      peak = Math.max(peak, await rssMb(child.pid!))
      const statuses = answers.map((answer) => answer.status)
      if (statuses.some((status) => status !== 200)) throw new Error(`fetch answered ${statuses.join(', ')}`)
      const result: ServeLimitsResult = {
        docs: options.docs,
        parallel: options.parallel,
        answerMb: Math.round(answers[0]!.bytes / 1e5) / 10,
        truncated: answers[0]!.truncated,
        seconds: Math.round(seconds * 10) / 10,
        idleRssMb: Math.round(idle),
        peakRssMb: Math.round(peak)
      }
      say(`${options.parallel} × /api/fetch of ${result.answerMb} MB in ${result.seconds} s: serve RSS ${result.idleRssMb} MB idle, ${result.peakRssMb} MB at peak`)
      return result
    } finally {
      child.kill('SIGTERM')
      await new Promise((done) => child.once('exit', done))
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
