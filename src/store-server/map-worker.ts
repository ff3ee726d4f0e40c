/**
 * Worker threads that run design-document map functions for the native index build
 * (native-view-index.ts), one worker per index (design document): a map that never returns holds
 * its own worker only, never the store's event loop nor the build of another design document.
 *
 * - The worker compiles each map as the sandbox does (sandbox.ts: same prelude, same page caller,
 *   one VM context per function) and answers a page at a time, JSON in and out.
 * - Past the deadline (sandbox.ts' function deadline) the worker is ended — `terminate()` stops
 *   even `while (true) {}` — and the call fails with FunctionTimeoutError; the next call starts a
 *   fresh worker. The index writes nothing of a page whose call failed.
 * - A worker may use WORKER_HEAP_MB of heap: a map that allocates without end fails with
 *   `os_process_error` "ran out of memory" instead of taking the store down.
 * - An idle worker ends after WORKER_IDLE_MS and does not keep the process alive.
 */
import { Worker } from 'node:worker_threads'
import { BATCH_SCRIPT, functionScript, FunctionTimeoutError, functionTimeout } from './sandbox'

export const WORKER_HEAP_MB = 256
export const WORKER_IDLE_MS = 60_000

/**
 * The worker's program (CommonJS, run with `eval`: no file to find in a bundle). Each message
 * carries the function's script (functionScript) with its source, compiled once per source.
 */
function workerSource(): string {
  return `'use strict'
const { parentPort } = require('node:worker_threads')
const vm = require('node:vm')
const BATCH_SCRIPT = ${JSON.stringify(BATCH_SCRIPT)}
const batches = new Map()
function batchOf(source, script) {
  let batch = batches.get(source)
  if (!batch) {
    const context = vm.createContext(Object.create(null))
    new vm.Script(script, { filename: 'design-document-function.js' }).runInContext(context)
    batch = new vm.Script(BATCH_SCRIPT, { filename: 'design-document-function.js' }).runInContext(context)
    batches.set(source, batch)
  }
  return batch
}
parentPort.on('message', ({ id, source, script, json }) => {
  try {
    parentPort.postMessage({ id, result: batchOf(source, script)(json) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message !== undefined ? error.message : error), name: String((error && error.name) || 'Error') })
  }
})
`
}

/** The error a worker reports for a call: what the map (or its compilation) threw, outside any document. */
export class MapWorkerError extends Error {
  override name = 'os_process_error'
  readonly status = 500
}

interface Pending {
  resolve: (json: string) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
  what: string
}

class MapWorker {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private idle: NodeJS.Timeout | undefined

  run(source: string, json: string, what: string): Promise<string> {
    clearTimeout(this.idle)
    const worker = this.start()
    const id = this.nextId++
    const deadline = functionTimeout()
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => this.stop(new FunctionTimeoutError(what, deadline)), deadline)
      this.pending.set(id, { resolve, reject, timer, what })
      worker.postMessage({ id, source, script: functionScript(source), json })
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(workerSource(), { eval: true, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } })
    worker.unref()
    worker.on('message', (message: { id: number; result?: string; error?: string; name?: string }) => {
      const call = this.pending.get(message.id)
      if (!call) return
      this.pending.delete(message.id)
      clearTimeout(call.timer)
      if (message.result !== undefined) call.resolve(message.result)
      else call.reject(Object.assign(new MapWorkerError(`${call.what} failed: ${message.error ?? 'unknown error'}`), { cause: message.name }))
      if (this.pending.size === 0) this.idle = setTimeout(() => this.stop(), WORKER_IDLE_MS).unref()
    })
    worker.on('error', (error: Error & { code?: string }) => {
      const calls = [...this.pending.values()]
      const what = calls[0]?.what ?? 'a map function'
      this.stop(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new MapWorkerError(`${what} ran out of memory (its worker may use ${WORKER_HEAP_MB} MB) and was stopped`)
          : new MapWorkerError(`${what} failed: ${error.message}`)
      )
    })
    worker.on('exit', () => {
      if (this.worker === worker) this.stop(new MapWorkerError('the map worker stopped'))
    })
    this.worker = worker
    return worker
  }

  /** Ends the worker; calls still waiting fail with `error`. */
  private stop(error?: Error): void {
    clearTimeout(this.idle)
    const worker = this.worker
    this.worker = undefined
    for (const call of this.pending.values()) {
      clearTimeout(call.timer)
      call.reject(error ?? new MapWorkerError('the map worker stopped'))
    }
    this.pending.clear()
    if (worker) void worker.terminate()
  }
}

const workers = new Map<string, MapWorker>()

/** The runner of the index `key` (its design document's signature): a worker of its own. */
export function mapRunner(key: string): (source: string, json: string, what: string) => Promise<string> {
  let worker = workers.get(key)
  if (!worker) {
    worker = new MapWorker()
    workers.set(key, worker)
  }
  const chosen = worker
  return (source, json, what) => chosen.run(source, json, what)
}
