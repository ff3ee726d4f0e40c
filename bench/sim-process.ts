/**
 * The simulator in its own process for the benchmarks (`stats2 sim --generate N`, as cmsweb is
 * another machine): the updater's process only does the updater's work, and each side's memory is
 * measured on its own.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Agent } from 'undici'

export interface SimProcess {
  url: string
  ca: string
  cert: string
  key: string
  child: ChildProcess
  dispatcher: Agent
  /** From spawn to the simulator's first line (generation included), seconds. */
  readyS: number
  /** Peak resident set of the simulator process so far (Linux VmHWM), MB; null where unknown. */
  peakRssMb(): Promise<number | null>
  stop(): Promise<void>
}

export async function startSimProcess(options: { work: string; workflows: number; seed: string; latencyMs: number; steps?: number }): Promise<SimProcess> {
  const started = performance.now()
  const child = spawn(process.execPath, [join(__dirname, '..', 'bin', 'stats2.cjs'), 'sim', '--generate', String(options.workflows), '--steps', String(options.steps ?? 1),
    '--seed', options.seed, '--latency-ms', String(options.latencyMs), '--tls-dir', join(options.work, 'tls')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, STATS2_LOG_LEVEL: 'warn' }
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)))
    createInterface({ input: child.stdout! }).once('line', resolve)
  })
  const readyS = (performance.now() - started) / 1000
  const info = JSON.parse(line) as { url: string; ca: string; cert: string; key: string }
  const dispatcher = new Agent({ connect: { ca: await readFile(info.ca, 'utf8'), cert: await readFile(info.cert, 'utf8'), key: await readFile(info.key, 'utf8') } })
  return {
    ...info,
    child,
    dispatcher,
    readyS,
    async peakRssMb() {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
        const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]
        return kb ? Math.round(Number(kb) / 1024) : null
      } catch {
        return null
      }
    },
    async stop() {
      await dispatcher.close()
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        await exited
      }
    }
  }
}
