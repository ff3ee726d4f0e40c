/**
 * The desktop's pull (Settings → Source: a shared Stats2 CouchDB, replicated here): one at a time,
 * stoppable, its progress told as `ReplicaState` (what the renderer shows), at most a few times a
 * second. The pull itself is pull.ts; its HTTP calls are asynchronous I/O, and its CPU per page
 * (parsing a page of documents) is a few milliseconds, so it runs in the process that asks for it.
 */
import { EventEmitter } from 'node:events'
import type { ReplicaState } from '../../shared/ipc-contract'
import type { CouchStore } from '../store/couch-store'
import type { SyncScope } from '../../shared/sync-scope'
import { BusyError } from '../core/errors'
import { createLogger } from '../log/logger'
import { pullReplica, type ReplicaProgress } from './pull'
import { SourceCouch } from './source'

const log = createLogger('replica')

/** Progress events sent at most this often (the last one always). */
const PROGRESS_EVERY_MS = 250

export interface PullRequest {
  source: { url: string; authHeader?: string; ca?: string[] }
  target: CouchStore
  scope?: SyncScope
}

function seqText(seq: unknown): string {
  const text = typeof seq === 'string' ? seq : JSON.stringify(seq) ?? ''
  return text.length > 24 ? `${text.slice(0, 21)}…` : text
}

export function progressView(p: ReplicaProgress): NonNullable<ReplicaState['progress']> {
  return {
    phase: p.phase, fetched: p.fetched, written: p.written, skipped: p.skipped, merged: p.merged, deleted: p.deleted,
    seq: seqText(p.seq), rate: p.rate, ...(p.pending !== undefined ? { pending: p.pending } : {}), ...(p.message ? { message: p.message } : {})
  }
}

export class ReplicaJob extends EventEmitter<{ state: [ReplicaState] }> {
  private current: ReplicaState = { state: 'idle' }
  private abort: AbortController | undefined
  private running: Promise<void> | undefined

  state(): ReplicaState {
    return structuredClone(this.current)
  }

  get isRunning(): boolean {
    return this.running !== undefined
  }

  private set(state: ReplicaState): void {
    this.current = state
    this.emit('state', this.state())
  }

  /** Starts a pull; a second one while one runs is refused. */
  start(request: PullRequest): ReplicaState {
    if (this.running) throw new BusyError('A pull is already running; wait for it or stop it.')
    const abort = new AbortController()
    this.abort = abort
    const startedAt = Date.now()
    this.set({ state: 'running', startedAt })
    let lastSent = 0
    const source = new SourceCouch({ url: request.source.url, authHeader: request.source.authHeader, ca: request.source.ca })
    this.running = pullReplica({
      source, target: request.target, scope: request.scope, signal: abort.signal,
      onProgress: (progress) => {
        const now = Date.now()
        if (now - lastSent < PROGRESS_EVERY_MS && progress.phase === 'pulling') return
        lastSent = now
        this.set({ state: 'running', startedAt, progress: progressView(progress) })
      }
    }).then(
      (summary) => this.set({ state: summary.cancelled ? 'cancelled' : 'done', startedAt, finishedAt: Date.now(), progress: progressView(summary) }),
      (error: unknown) => {
        log.warn(`pull failed: ${(error as Error).message}`)
        this.set({ state: 'failed', startedAt, finishedAt: Date.now(), ...(this.current.progress ? { progress: this.current.progress } : {}), error: (error as Error).message })
      }
    ).finally(async () => {
      this.running = undefined
      this.abort = undefined
      await source.close()
    })
    return this.state()
  }

  /** Stops the pull at its next step (the checkpoint keeps what arrived). */
  stop(): ReplicaState {
    this.abort?.abort()
    return this.state()
  }

  async wait(): Promise<void> {
    await this.running
  }
}
