/**
 * The updater as a long job: idle → running(progress) → done | failed | cancelled. One job at a
 * time; the desktop asks for the state, then follows `state` events (throttled, the final state
 * always delivered). Electron-free.
 */
import { EventEmitter, setMaxListeners } from 'node:events'
import type { UpdaterState, WorkflowProgress } from '../../shared/ipc-contract'
import type { UpdateProgress, UpdateReport, UpdateScope, WorkflowFailure } from '../../shared/update-types'
import { createLogger } from '../log/logger'
import type { RunOptions, WorkflowEvent } from './update-run'
import { BusyError } from '../core/errors'

const log = createLogger('update-job')

export interface JobHooks {
  signal: AbortSignal
  onProgress: (progress: UpdateProgress) => void
  onWorkflow: (event: WorkflowEvent) => void
}

export type JobRunner = (scope: UpdateScope, options: RunOptions, hooks: JobHooks) => Promise<UpdateReport>

const MAX_RECENT_FAILURES = 50

export class UpdateJob extends EventEmitter<{ state: [UpdaterState] }> {
  private current: UpdaterState = { state: 'idle', jobId: 0 }
  private abort: AbortController | undefined
  private running: Promise<UpdaterState> | undefined
  private emitTimer: NodeJS.Timeout | undefined
  private lastEmit = 0

  constructor(private readonly runner: JobRunner, private readonly emitIntervalMs = 100) {
    super()
  }

  state(): UpdaterState {
    return structuredClone(this.current)
  }

  get isRunning(): boolean {
    return this.current.state === 'running'
  }

  /** Starts a run; refuses (BusyError) while one is running. */
  start(scope: UpdateScope, options: RunOptions = {}): UpdaterState {
    if (this.isRunning) throw new BusyError('An update is already running; wait for it or cancel it.')
    const abort = new AbortController()
    // Every in-flight cmsweb request listens on this one signal.
    setMaxListeners(0, abort.signal)
    this.abort = abort
    const jobId = this.current.jobId + 1
    const workflows: WorkflowProgress[] | undefined =
      scope.kind === 'names' ? [...new Set(scope.names)].map((name) => ({ name, stage: 'queued' })) : undefined
    this.current = {
      state: 'running',
      jobId,
      scope: scope.kind,
      startedAt: Date.now(),
      progress: { phase: 'starting', done: 0, total: 0 },
      ...(workflows ? { workflows } : {}),
      recentFailures: []
    }
    this.emitNow()
    const byName = new Map(workflows?.map((entry) => [entry.name, entry]))
    const hooks: JobHooks = {
      signal: abort.signal,
      onProgress: (progress) => {
        this.current.progress = progress
        this.emitSoon()
      },
      onWorkflow: (event) => {
        const entry = byName.get(event.name)
        if (entry) {
          entry.stage = event.stage
          if (event.outcome !== 'unchanged' || entry.outcome === undefined) entry.outcome = event.outcome
          if (event.reason) entry.reason = event.reason
        }
        if (event.outcome === 'failed') this.recordFailure({ name: event.name, reason: event.reason ?? 'failed' })
        this.emitSoon()
      }
    }
    this.running = this.runner(scope, options, hooks).then(
      (report) => this.finish(jobId, report.cancelled ? 'cancelled' : 'done', report),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error)
        log.error(`update job ${jobId} failed: ${message}`)
        return this.finish(jobId, abort.signal.aborted ? 'cancelled' : 'failed', undefined, message)
      }
    )
    return this.state()
  }

  private recordFailure(failure: WorkflowFailure): void {
    const list = this.current.recentFailures ?? (this.current.recentFailures = [])
    list.push(failure)
    if (list.length > MAX_RECENT_FAILURES) list.splice(0, list.length - MAX_RECENT_FAILURES)
  }

  private finish(jobId: number, state: 'done' | 'failed' | 'cancelled', report?: UpdateReport, error?: string): UpdaterState {
    if (this.current.jobId !== jobId) return this.state()
    for (const entry of this.current.workflows ?? []) {
      if (entry.outcome === undefined && state !== 'done') entry.reason = entry.reason ?? state
      if (state === 'done') entry.stage = 'done'
    }
    this.current = { ...this.current, state, finishedAt: Date.now(), ...(report ? { report } : {}), ...(error ? { error } : {}) }
    this.abort = undefined
    this.emitNow()
    return this.state()
  }

  /** Asks the running job to stop; it ends as `cancelled` at its next step. */
  cancel(): UpdaterState {
    if (this.isRunning) {
      log.info(`cancelling update job ${this.current.jobId}`)
      this.abort?.abort()
    }
    return this.state()
  }

  /** Resolves with the final state of the running job (or the current state when idle). */
  async wait(): Promise<UpdaterState> {
    return this.running && this.isRunning ? this.running : this.state()
  }

  private emitSoon(): void {
    const due = this.lastEmit + this.emitIntervalMs - Date.now()
    if (due <= 0) return this.emitNow()
    this.emitTimer ??= setTimeout(() => this.emitNow(), due)
  }

  private emitNow(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer)
    this.emitTimer = undefined
    this.lastEmit = Date.now()
    this.emit('state', this.state())
  }
}
