/**
 * The embedded store in a process of its own, supervised. `startStoreProcess` starts the store
 * process (launch.ts, src/store-server/main.ts) and returns a handle like startEmbeddedCouch's
 * (url, admin, close) that stays valid while the supervisor replaces the process:
 *
 * - Liveness: the store process is pinged over its IPC channel every PROBE_EVERY_MS (answered by
 *   its event loop). Silent for `hangMs / 2`, it is reported unavailable: requests in flight are
 *   aborted (`signal`) and new ones fail at once with the reason (`unavailable()`), so that a
 *   blocked store costs its callers a clear error, not a wait. Silent for `hangMs`, it is killed
 *   (SIGKILL) and a new one started. A silence is judged only after this process has read what
 *   arrived meanwhile (it may have been held up itself, the answers waiting unread).
 * - Exits: a store process that exits without being asked to (crash, kill -9, out of memory) fails
 *   the requests in flight and is started again, on the same port when it is free.
 * - Bounded: at most MAX_RESTARTS restarts within RESTART_WINDOW_MS; one more stop and the store
 *   stays down, every request failing with the reason. A restart that meets a damaged or taken
 *   folder stays down too.
 * Each event is logged once.
 */
import type { ChildProcess } from 'node:child_process'
import { DEFAULT_STORE_HANG_MS } from '../../main/config/config'
import { currentLogLevel, createLogger, type LogLevel } from '../../main/log/logger'
import type { AnonymousAccess } from '../couch-access'
import { StoreDamagedError } from '../check/damage'
import { EmbeddedCouchError } from '../errors'
import { StoreInUseError } from '../store-lock'
import { describeExit, launchStore } from './launch'
import type { FromStore, StartedInfo, StoreProcessOptions, StoreUsage } from './protocol'

const log = createLogger('store-process')

const PROBE_EVERY_MS = 1_000
export const MAX_RESTARTS = 3
export const RESTART_WINDOW_MS = 60_000
/** A store process starting longer than this (a huge folder's check under load) is given up. */
const START_TIMEOUT_MS = 180_000
/** How long close() waits for the store process to close its databases before it kills it. */
const CLOSE_WAIT_MS = 30_000
const USAGE_TIMEOUT_MS = 5_000

export interface StoreProcessSettings {
  dataDir: string
  inMemory?: boolean
  /** What anonymous callers may do (STATS2_STORE_ANONYMOUS, resolved by the caller). */
  anonymous: AnonymousAccess
  /** Deadline of each design-document function call and `_find` (STATS2_STORE_FUNCTION_TIMEOUT_MS, resolved by the caller; default the server's). */
  functionTimeoutMs?: number
  /** Every this many ms, the store verifies its tables' checksums again while it serves (STATS2_STORE_SCRUB_MINUTES, resolved by the caller); 0 or absent: never. */
  scrubEveryMs?: number
  /** Liveness deadline (STATS2_STORE_HANG_MS): reported unavailable after half of it, killed and restarted after it. */
  hangMs?: number
  /** Default: this process's level. */
  logLevel?: LogLevel
}

export type StoreProcessState = 'up' | 'unresponsive' | 'restarting' | 'down' | 'closed'

/** The embedded store served by a supervised process of its own. */
export interface StoreProcess {
  /** http://127.0.0.1:<port> of the store process serving now (a restart may change the port). */
  readonly url: string
  readonly adminUser: string
  readonly adminPassword: string
  /** 'Basic ' + base64(user:password) */
  readonly authHeader: string
  /** '' for in-memory. */
  readonly dataDir: string
  /** The store process serving now; undefined between two. */
  readonly pid: number | undefined
  readonly state: StoreProcessState
  /** Why requests cannot be served now (not answering, restarting, down, closed); undefined when it serves. */
  unavailable(): string | undefined
  /** Aborted, with the reason, when the store process serving now stops answering or exits: a new signal per process. */
  readonly signal: AbortSignal
  /** Called after a new store process took over (an in-memory store starts empty again). */
  onRestart(listener: () => void): () => void
  /** The store process's memory, CPU time and event-loop delay (`resetLoopDelay` starts a new measurement). */
  usage(resetLoopDelay?: boolean): Promise<StoreUsage>
  /** Closes the store process (databases closed, lock released) and stops supervising; idempotent. */
  close(): Promise<void>
}

/** Starts the store process and returns once it serves; its start errors are thrown as their own classes. */
export async function startStoreProcess(settings: StoreProcessSettings): Promise<StoreProcess> {
  const hangMs = settings.hangMs ?? DEFAULT_STORE_HANG_MS
  if (!Number.isInteger(hangMs) || hangMs < 1000) throw new EmbeddedCouchError(`The store's liveness deadline must be at least 1000 ms, not ${String(settings.hangMs)}`)
  const store = new SupervisedStore(settings, hangMs)
  await store.start()
  return store
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`

class SupervisedStore implements StoreProcess {
  /** The store process serving now (started, not exited). */
  private child: ChildProcess | undefined
  /** A store process starting, not serving yet. */
  private launching: ChildProcess | undefined
  private info: StartedInfo | undefined
  private current: StoreProcessState = 'restarting'
  private reason: string | undefined
  private controller = new AbortController()
  private readonly restarts: number[] = []
  private readonly restartListeners = new Set<() => void>()
  private readonly usageWaiters = new Map<number, (usage: StoreUsage) => void>()
  private nextId = 1
  private probeTimer: NodeJS.Timeout | undefined
  /** When the oldest ping not answered yet was sent. */
  private silentSince: number | undefined
  /** Why the supervisor killed the store process serving now, for its exit's log line. */
  private killedBecause: string | undefined
  private closing: Promise<void> | undefined

  constructor(
    private readonly settings: StoreProcessSettings,
    private readonly hangMs: number
  ) {}

  get url(): string {
    return this.info?.url ?? ''
  }
  get adminUser(): string {
    return this.info?.adminUser ?? ''
  }
  get adminPassword(): string {
    return this.info?.adminPassword ?? ''
  }
  get authHeader(): string {
    return this.info?.authHeader ?? ''
  }
  get dataDir(): string {
    return this.info?.dataDir ?? ''
  }
  get pid(): number | undefined {
    return this.current === 'up' || this.current === 'unresponsive' ? this.child?.pid : undefined
  }
  get state(): StoreProcessState {
    return this.current
  }
  get signal(): AbortSignal {
    return this.controller.signal
  }

  unavailable(): string | undefined {
    return this.current === 'up' ? undefined : (this.reason ?? 'The store is starting')
  }

  onRestart(listener: () => void): () => void {
    this.restartListeners.add(listener)
    return () => this.restartListeners.delete(listener)
  }

  /** The first start: its failure is the caller's (thrown), not a restart. */
  async start(): Promise<void> {
    this.info = await this.launch(0)
    this.current = 'up'
    this.startProbe()
  }

  private options(port: number): StoreProcessOptions {
    const inMemory = this.settings.inMemory === true
    return {
      dataDir: inMemory ? '' : this.settings.dataDir,
      inMemory,
      port,
      anonymous: this.settings.anonymous,
      ...(this.settings.functionTimeoutMs !== undefined ? { functionTimeoutMs: this.settings.functionTimeoutMs } : {}),
      ...(this.settings.scrubEveryMs ? { scrubEveryMs: this.settings.scrubEveryMs } : {}),
      ownerPid: process.pid,
      logLevel: this.settings.logLevel ?? currentLogLevel(),
      // In memory, a new process keeps the admin the callers already hold (a folder keeps admin.json).
      ...(inMemory && this.info ? { admin: { user: this.info.adminUser, password: this.info.adminPassword } } : {})
    }
  }

  /** Starts a store process; once it serves it is the one supervised (its exit: onExit). */
  private async launch(port: number): Promise<StartedInfo> {
    const { child, started } = launchStore(this.options(port), (message) => this.onMessage(message), START_TIMEOUT_MS)
    this.launching = child
    child.once('exit', (code, signal) => this.onExit(child, code, signal))
    try {
      const info = await started
      this.child = child
      this.controller = new AbortController()
      this.silentSince = undefined
      return info
    } catch (error) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      throw error
    } finally {
      this.launching = undefined
    }
  }

  private onMessage(message: FromStore): void {
    if (message.type === 'pong') {
      this.silentSince = undefined
      if (this.current === 'unresponsive') {
        log.warn(`The store process ${this.child?.pid ?? ''} answers again`)
        this.current = 'up'
        this.reason = undefined
        this.controller = new AbortController()
      }
    } else if (message.type === 'usage') {
      const waiter = this.usageWaiters.get(message.id)
      this.usageWaiters.delete(message.id)
      waiter?.(message.usage)
    } else if (message.type === 'signal') {
      log.debug(`The store process got ${message.signal}; it closes when this process closes the store`)
    }
  }

  private startProbe(): void {
    this.probeTimer = setInterval(() => this.tick(), PROBE_EVERY_MS)
    this.probeTimer.unref()
  }

  private tick(): void {
    const child = this.child
    if (!child || (this.current !== 'up' && this.current !== 'unresponsive')) return
    if (this.silentSince !== undefined && Date.now() - this.silentSince >= this.hangMs / 2) {
      // Judged after this loop's poll phase: answers that arrived while this process was held up
      // itself are read first (timers run before I/O in a turn of the event loop).
      setImmediate(() => this.judge(child))
      return
    }
    this.silentSince ??= Date.now()
    child.send({ type: 'ping', id: this.nextId++ }, () => undefined)
  }

  /** The store process has not answered for a while: unavailable, or killed (and replaced). */
  private judge(child: ChildProcess): void {
    if (child !== this.child || this.silentSince === undefined) return
    const silent = Date.now() - this.silentSince
    if (silent >= this.hangMs) return this.kill(child, `did not answer for ${seconds(silent)}`)
    if (this.current === 'up') {
      this.current = 'unresponsive'
      this.reason = `The store process ${child.pid ?? ''} has not answered for ${seconds(silent)} (busy or hung); it is restarted if it stays silent ${seconds(this.hangMs)}`
      log.warn(this.reason)
      this.controller.abort(this.reason)
    }
    child.send({ type: 'ping', id: this.nextId++ }, () => undefined)
  }

  private kill(child: ChildProcess, why: string): void {
    this.killedBecause = why
    log.error(`The store process ${child.pid ?? ''} ${why}: killing it (SIGKILL)`)
    child.kill('SIGKILL')
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    // A store process that never served: its start's caller is told (launch rejects).
    if (child !== this.child) return
    this.child = undefined
    const what = this.killedBecause ? `was killed: it ${this.killedBecause}` : `exited unexpectedly (${describeExit(code, signal)})`
    this.killedBecause = undefined
    this.usageWaiters.clear()
    if (this.current === 'closed') return
    const controller = this.controller
    this.restartAfter(`The store process ${child.pid ?? ''} ${what}`)
    // Calls in flight fail now, with the reason (the state says restarting or down already).
    controller.abort(this.reason)
  }

  /** Starts a new store process, within the restart budget. */
  private restartAfter(what: string): void {
    const now = Date.now()
    while (this.restarts.length > 0 && now - this.restarts[0]! >= RESTART_WINDOW_MS) this.restarts.shift()
    if (this.restarts.length >= MAX_RESTARTS) {
      return this.goDown(`${what}, the ${MAX_RESTARTS + 1}th stop within ${RESTART_WINDOW_MS / 60_000} minute: it is not started again. Restart Stats2; the log has the reasons`)
    }
    this.restarts.push(now)
    this.current = 'restarting'
    this.reason = `${what}; a new store process is starting`
    log.error(`${what}; starting a new one (restart ${this.restarts.length} of at most ${MAX_RESTARTS} within ${RESTART_WINDOW_MS / 60_000} minute)`)
    void this.restart()
  }

  private async restart(): Promise<void> {
    const previousPort = Number(new URL(this.url).port) || 0
    let info: StartedInfo
    try {
      try {
        info = await this.launch(previousPort)
      } catch (error) {
        // Someone else took the port meanwhile: any port (the store follows the new url).
        if (!(error instanceof EmbeddedCouchError) || previousPort === 0 || !error.message.includes('already in use')) throw error
        info = await this.launch(0)
      }
    } catch (error) {
      if (this.current === 'closed') return
      const message = (error as Error).message
      if (error instanceof StoreDamagedError || error instanceof StoreInUseError) return this.goDown(`The store could not be started again: ${message}`)
      return this.restartAfter(`The new store process did not start (${message})`)
    }
    if (this.current === 'closed') return void this.closeProcess(this.child)
    const moved = info.url !== this.url
    this.info = info
    this.current = 'up'
    this.reason = undefined
    log.warn(`The store serves again${moved ? ` on ${info.url} (its previous port was taken)` : ''}: store process ${info.pid}`)
    for (const listener of this.restartListeners) listener()
  }

  private goDown(reason: string): void {
    this.current = 'down'
    this.reason = reason
    log.error(reason)
  }

  usage(resetLoopDelay = false): Promise<StoreUsage> {
    const child = this.child
    if (!child || this.current === 'closed') return Promise.reject(new EmbeddedCouchError(this.unavailable() ?? 'No store process'))
    const id = this.nextId++
    return new Promise<StoreUsage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.usageWaiters.delete(id)
        reject(new EmbeddedCouchError(`The store process did not report its usage within ${seconds(USAGE_TIMEOUT_MS)}`))
      }, USAGE_TIMEOUT_MS)
      this.usageWaiters.set(id, (usage) => {
        clearTimeout(timer)
        resolve(usage)
      })
      child.send({ type: 'usage', id, reset: resetLoopDelay }, () => undefined)
    })
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.current = 'closed'
      this.reason = 'The store is closed'
      clearInterval(this.probeTimer)
      this.controller.abort(this.reason)
      await Promise.all([this.closeProcess(this.child), this.closeProcess(this.launching)])
    })()
    return this.closing
  }

  /** Asks a store process to close (it closes its databases and releases the lock), killing it after CLOSE_WAIT_MS. */
  private async closeProcess(child: ChildProcess | undefined): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.send({ type: 'close' }, (error: Error | null) => {
      if (error) child.kill('SIGKILL')
    })
    let timer: NodeJS.Timeout | undefined
    const closed = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS)))])
    clearTimeout(timer)
    if (!closed) {
      log.warn(`The store process ${child.pid ?? ''} did not close within ${seconds(CLOSE_WAIT_MS)}: killing it`)
      child.kill('SIGKILL')
      await exited
    }
  }
}
