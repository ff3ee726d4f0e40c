/**
 * Single-workflow updates requested through the service (`api/update`): identical requests that
 * arrive while one for the same workflow is waiting or running share its run and its answer; at most
 * `concurrency` runs at once, at most `queue` waiting, more are refused as busy.
 */
import { setMaxListeners } from 'node:events'
import type { Stats2Config } from '../config/config'
import { openCmsweb, updaterOptions, type CmswebConnection } from '../core/runtime'
import type { CouchStore } from '../store/couch-store'
import { runUpdate } from '../updater/update-run'
import { createLogger } from '../log/logger'
import { BusyError } from '../core/errors'

const log = createLogger('serve/update')

/** Runs the update of one workflow; resolves when it is stored, rejects with the reason otherwise. */
export type UpdateOne = (name: string, signal: AbortSignal) => Promise<void>

export interface UpdateQueueOptions {
  concurrency: number
  queue: number
}

export class UpdateQueue {
  private readonly pending = new Map<string, Promise<void>>()
  private readonly waiting: Array<() => void> = []
  private running = 0
  private readonly abort = new AbortController()

  constructor(private readonly run: UpdateOne, private readonly options: UpdateQueueOptions) {
    setMaxListeners(0, this.abort.signal)
  }

  /** Runs (or joins the run of) `name`'s update. */
  update(name: string): Promise<void> {
    const joined = this.pending.get(name)
    if (joined) {
      log.info(`update of ${name} already requested: joining it`)
      return joined
    }
    if (this.abort.signal.aborted) return Promise.reject(new BusyError('The service is stopping; try again in a moment.'))
    if (this.running >= this.options.concurrency && this.waiting.length >= this.options.queue) {
      return Promise.reject(new BusyError(`${this.running + this.waiting.length} updates are queued or running; try again in a moment.`))
    }
    const promise = this.slot()
      .then(() => this.run(name, this.abort.signal))
      .finally(() => {
        this.pending.delete(name)
        this.release()
      })
    this.pending.set(name, promise)
    return promise
  }

  get inFlight(): number {
    return this.pending.size
  }

  private slot(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()))
  }

  private release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.running--
  }

  /** Stops the runs in progress (at their next step) and refuses new ones. */
  stop(): void {
    this.abort.abort()
  }
}

/**
 * The real runner: the updater's named-workflow update with the service's certificate, as
 * `stats2 update --name NAME` runs it. The cmsweb client is opened on first use (a service without
 * a certificate still serves reads) and reused.
 */
export function updaterRunner(config: Stats2Config, store: CouchStore): { run: UpdateOne; close(): Promise<void> } {
  let connection: Promise<CmswebConnection> | undefined
  const open = (): Promise<CmswebConnection> => {
    connection ??= openCmsweb(config).catch((error: unknown) => {
      // Not kept: a certificate fixed on disk is picked up by the next request.
      connection = undefined
      throw error
    })
    return connection
  }
  return {
    async run(name, signal) {
      const cmsweb = await open()
      const started = Date.now()
      const report = await runUpdate({ kind: 'names', names: [name] }, {}, {
        services: cmsweb.services(signal),
        store,
        options: updaterOptions(config),
        signal,
        // A name ReqMgr2 does not know is the caller's mistake: answered, never retried.
        retryUnknown: false
      })
      const failure = report.failed.find((entry) => entry.name === name) ?? report.failed[0]
      if (failure) throw new Error(failure.reason)
      if (report.cancelled) throw new Error('The update was stopped: the service is shutting down.')
      log.info(`updated ${name} in ${Date.now() - started} ms (${report.written} written, ${report.historyAdded} history entries)`)
    },
    async close() {
      const open = connection
      connection = undefined
      await (await open?.catch(() => undefined))?.close()
    }
  }
}
