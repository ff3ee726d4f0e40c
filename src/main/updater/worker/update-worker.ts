/**
 * The update worker: update runs (runUpdate) in a worker thread of their own, so that their CPU
 * work — parsing cmsweb's pages and the store's answers, building and comparing documents, TLS,
 * the garbage collections of their heap — never holds up the event loop of the desktop's main
 * process or of `stats2 ui` (run-in-worker.ts starts it). Each `run` message brings everything
 * resolved; the run opens its own cmsweb client and store client, sends progress and per-workflow
 * events, stops at its next step on `cancel`, and answers `done` with the report or `failed` with
 * the error. One run at a time; the thread waits for the next until the main thread ends it.
 */
import { setMaxListeners } from 'node:events'
import { parentPort } from 'node:worker_threads'
import { setLogLevel } from '../../log/logger'
import { createNotifier, openCmsweb, updaterOptions } from '../../core/runtime'
import { CouchStore } from '../../store/couch-store'
import { runUpdate } from '../update-run'
import { isToWorker, type FromWorker, type WorkerRunRequest } from './protocol'

const port = parentPort
if (!port) throw new Error('update-worker.ts runs in a worker thread (run-in-worker.ts starts it)')

function send(message: FromWorker): void {
  port!.postMessage(message)
}

async function run(id: number, request: WorkerRunRequest, signal: AbortSignal): Promise<FromWorker> {
  setLogLevel(request.logLevel)
  const { config, store: connection } = request
  const store = CouchStore.connect(connection.url, connection.authHeader, connection.batchSize, connection.limits)
  try {
    const cmsweb = await openCmsweb(config)
    const notifier = request.runOptions.triggerProd || request.runOptions.triggerDev ? await createNotifier(config) : undefined
    try {
      const now = request.now
      const report = await runUpdate(request.scope, request.runOptions, {
        services: cmsweb.services(signal),
        store,
        notifier,
        options: updaterOptions(config),
        signal,
        onProgress: (progress) => send({ type: 'progress', id, progress }),
        onWorkflow: (event) => send({ type: 'workflow', id, event }),
        syncScope: request.syncScope,
        ...(now !== undefined ? { now: () => now } : {})
      })
      return { type: 'done', id, report }
    } finally {
      await notifier?.close()
      await cmsweb.close()
    }
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error))
    return { type: 'failed', id, error: { name: err.name, message: err.message } }
  } finally {
    await store.close()
  }
}

const running = new Map<number, AbortController>()
port.on('message', (message: unknown) => {
  if (!isToWorker(message)) return
  if (message.type === 'cancel') return running.get(message.id)?.abort()
  if (running.size > 0) {
    send({ type: 'failed', id: message.id, error: { name: 'BusyError', message: 'An update is already running in the update worker' } })
    return
  }
  const abort = new AbortController()
  // Every cmsweb request in flight listens on this one signal (as UpdateJob's does on the main thread).
  setMaxListeners(0, abort.signal)
  running.set(message.id, abort)
  void run(message.id, message.request, abort.signal).then((result) => {
    running.delete(message.id)
    send(result)
  })
})
