/**
 * Update runs in a worker thread (update-worker.ts), with the signature of an in-process run: the
 * desktop's UpdateJob, the watchlist's pinned-first runs and the demo's replay stay on the main
 * thread and see the same progress and workflow events, cancel through the same signal and get the
 * same report — while the runs' own CPU work happens on another thread. The thread is started for
 * the first run, kept for the next ones (its modules are loaded once) and ended after IDLE_MS
 * without a run, or by close().
 */
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { currentLogLevel } from '../../log/logger'
import { helperProgram } from '../../util/helper-program'
import type { UpdateReport } from '../../../shared/update-types'
import type { JobHooks } from '../update-job'
import { isFromWorker, type FromWorker, type WorkerRunRequest } from './protocol'

/** An idle worker thread is ended after this long (its memory back), and started again for the next run. */
const IDLE_MS = 60_000

/** A worker of the built bundle (out/main/update-worker.js, out/cli/update-worker.cjs), or the TypeScript entry through tsx. */
function startWorker(): Worker {
  const program = helperProgram('update-worker', join(__dirname, 'update-worker.ts'), __filename)
  if (program.kind === 'built') return new Worker(program.path)
  return new Worker(`require(${JSON.stringify(program.register)}).register(); require(${JSON.stringify(program.path)})`, { eval: true })
}

/** The run failed in the worker: its error's class name and message. */
export class UpdateWorkerError extends Error {
  constructor(name: string, message: string) {
    super(message)
    this.name = name
  }
}

interface Pending {
  hooks: Partial<JobHooks>
  settle: (error: Error | undefined, report?: UpdateReport) => void
}

export class UpdateWorker {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private idleTimer: NodeJS.Timeout | undefined
  private closed = false

  /** One update run in the worker thread; rejects with UpdateWorkerError when it fails there. */
  run(request: Omit<WorkerRunRequest, 'logLevel'>, hooks: Partial<JobHooks>): Promise<UpdateReport> {
    if (this.closed) return Promise.reject(new UpdateWorkerError('Error', 'The update worker is closed'))
    const worker = this.thread()
    const id = this.nextId++
    clearTimeout(this.idleTimer)
    worker.ref() // a run keeps the process alive; an idle worker does not
    return new Promise<UpdateReport>((resolve, reject) => {
      const cancel = (): void => worker.postMessage({ type: 'cancel', id })
      this.pending.set(id, {
        hooks,
        settle: (error, report) => {
          if (!this.pending.delete(id)) return
          hooks.signal?.removeEventListener('abort', cancel)
          this.idleSoon()
          if (error) reject(error)
          else resolve(report as UpdateReport)
        }
      })
      worker.postMessage({ type: 'run', id, request: { ...request, logLevel: currentLogLevel() } })
      if (hooks.signal?.aborted) cancel()
      hooks.signal?.addEventListener('abort', cancel)
    })
  }

  /** Ends the worker thread (a run in it fails); idempotent. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.idleTimer)
    const worker = this.worker
    this.worker = undefined
    this.failAll('The update worker was closed')
    await worker?.terminate()
  }

  private thread(): Worker {
    if (this.worker) return this.worker
    const worker = startWorker()
    worker.on('message', (message: unknown) => {
      if (isFromWorker(message)) this.onMessage(message)
    })
    worker.once('error', (error) => {
      if (this.worker === worker) this.worker = undefined
      this.failAll(`The update stopped: ${error.message}`)
    })
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = undefined
      this.failAll(`The update's worker thread ended (code ${code}) before the run did`)
    })
    this.worker = worker
    return worker
  }

  private onMessage(message: FromWorker): void {
    const pending = this.pending.get(message.id)
    if (!pending) return
    if (message.type === 'progress') pending.hooks.onProgress?.(message.progress)
    else if (message.type === 'workflow') pending.hooks.onWorkflow?.(message.event)
    else if (message.type === 'done') pending.settle(undefined, message.report)
    else pending.settle(new UpdateWorkerError(message.error.name, message.error.message))
  }

  private failAll(message: string): void {
    for (const pending of [...this.pending.values()]) pending.settle(new UpdateWorkerError('Error', message))
  }

  /** With no run left, the thread no longer keeps the process alive, and ends after IDLE_MS. */
  private idleSoon(): void {
    if (this.pending.size > 0 || !this.worker) return
    const worker = this.worker
    worker.unref()
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.pending.size > 0) return
      this.worker = undefined
      void worker.terminate()
    }, IDLE_MS)
    this.idleTimer.unref()
  }
}
