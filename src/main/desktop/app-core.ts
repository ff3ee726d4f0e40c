/**
 * Everything the desktop does, without Electron: the active store (live or demo), the update job,
 * the schedule, settings and secrets, exports. The IPC handlers are thin wrappers over this class;
 * the Electron shell and the browser-mode bridge both serve it.
 */
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { loadConfig, type Stats2Config } from '../config/config'
import { loadCredentials } from '../cmsweb/credentials'
import { createLogger } from '../log/logger'
import { CouchStore } from '../store/couch-store'
import { maintainStore } from '../store/maintenance'
import type { RunOptions } from '../updater/update-run'
import { UpdateWorker } from '../updater/worker/run-in-worker'
import { UpdateJob, type JobHooks, type JobRunner } from '../updater/update-job'
import { BusyError } from '../core/errors'
import { Watchlist } from '../watchlist/watchlist'
import { WatchlistError } from '../watchlist/watchlist-file'
import type {
  ReplicaState,
  AppStatus, ConnectionCheck, EventName, ExportFile, ExportFormat, PayloadOf, SettingsPatch, SettingsView, UpdaterState
} from '../../shared/ipc-contract'
import type { SearchField, SearchQuery, SearchRowsResult } from '../../shared/search-types'
import type { WorkflowChartAnswer, WorkflowView } from '../../shared/workflow-view'
import type { WorkflowDoc } from '../../shared/stats2-doc'
import type { UpdateReport, UpdateScope } from '../../shared/update-types'
import type { AggregateSeries } from '../../shared/rules/series'
import { ReadModel } from '../read-model/read-model'
import { OverviewService } from '../overview/service'
import { OverviewLookFile } from '../overview/look-file'
import { LOOK_FAILED_CHARS, boundedNames } from '../../shared/overview/compute'
import type { OverviewSelection } from '../../shared/overview/selection'
import type { OverviewDrill } from '../../shared/overview/drill'
import type { LookAnswer, OverviewListResult, OverviewLook, OverviewView } from '../../shared/overview/types'
import { DesktopSettingsFile, SettingsError, credentialsConfigured, effectiveConfig, settingsView, validatePatch } from './desktop-settings'
import type { SecretStore } from './secrets'
import { startDemo, type DemoSession } from './demo'
import { testConnection } from './connection-test'
import { pinnedItems } from '../../shared/watchlist'
import { withPinned } from '../../shared/sync-scope'
import { migrateStoredUrlCredentials, moveUrlCredentials } from './database-url-secret'
import { ReplicaJob } from '../replica/replica-job'
import { recordLastUpdate, summaryOf } from '../metrics/last-update'
import { replicaMarkerOf, replicaUpdateMessage, ReplicaUpdateRefusedError } from '../replica/marker'
import { describeScope } from '../../shared/sync-scope'
import { loadTrustedCAs } from '../cmsweb/trust'
import { withoutUrlCredentials } from './database-url-secret'

const log = createLogger('app')

/** The renderer's read-only notice: why, what is disabled, and what to set. */
function readOnlyExplanation(store: CouchStore): string {
  const views = store.readOnly?.missingViews ?? []
  const missing = views.length > 0 ? ` The database lacks the views ${views.join(', ')}: searches by those fields find nothing.` : ''
  return (store.readOnlyMessage('updating') ?? '') + missing
}

export interface AppCoreOptions {
  userDataDir: string
  env?: Record<string, string | undefined>
  secrets: SecretStore
  /** Demo: advance the simulated cmsweb every N ms and update after each step (0 = by hand). */
  demoStepEveryMs?: number
  /** Registers or removes the app as a login item; only the installed desktop app has it. */
  startAtLogin?: (enabled: boolean) => Promise<void>
}

type Events = { [E in EventName]: [PayloadOf<E>] }

export class AppCore extends EventEmitter<Events> {
  readonly job: UpdateJob
  /** The pull from a shared Stats2 (Settings → Source: replica). */
  readonly replica = new ReplicaJob()
  private liveStore: CouchStore | undefined
  private liveStoreOpening: Promise<CouchStore> | undefined
  private demo: DemoSession | undefined
  private demoTimer: NodeJS.Timeout | undefined
  private scheduleTimer: NodeJS.Timeout | undefined
  private nextScheduledRun: number | undefined
  private readonly env: Record<string, string | undefined>
  /** Pinned PrepIDs, campaigns and workflows (src/main/watchlist). */
  watch!: Watchlist
  /** Store maintenance after an update-all; awaited before the store is closed. */
  private maintenance: Promise<void> = Promise.resolve()
  private readonly readModels = new WeakMap<CouchStore, ReadModel>()
  /** The worker thread the updates run in (issue 14: their CPU work stays off this event loop). */
  private readonly updates = new UpdateWorker()
  /** The operator overview of each store (src/main/overview), and where this operator's last look is kept. */
  private readonly overviews = new WeakMap<CouchStore, OverviewService>()
  private readonly lookFile: OverviewLookFile

  private constructor(private readonly options: AppCoreOptions, private readonly settings: DesktopSettingsFile) {
    super()
    this.env = options.env ?? process.env
    this.lookFile = OverviewLookFile.in(options.userDataDir)
    this.job = new UpdateJob(this.runner)
    this.job.on('state', (state) => {
      this.emit('updaterState', state)
      if (state.state === 'running') return
      void this.emitStatus()
      if (state.state === 'done' && state.scope === 'all') {
        // For a service's /metrics on the same store (stats2_last_update_*), as `stats2 update` records it.
        const report = state.report
        if (report && !this.demo) void this.activeStore().then((store) => recordLastUpdate(store, summaryOf(report, undefined))).catch((error: unknown) => log.warn(`the update's summary was not recorded: ${(error as Error).message}`))
        this.maintenance = this.maintain()
      }
    })
    this.replica.on('state', (state) => {
      this.emit('replicaState', state)
      if (state.state !== 'running') void this.emitStatus()
    })
  }

  static async create(options: AppCoreOptions): Promise<AppCore> {
    const settings = await DesktopSettingsFile.open(options.userDataDir)
    if (await migrateStoredUrlCredentials(settings, options.secrets)) log.warn('moved the CouchDB password out of the URL in settings.json into the secret store')
    const core = new AppCore(options, settings)
    core.watch = await Watchlist.open(options.userDataDir, {
      store: () => core.activeStore(),
      onEvents: (events) => core.emit('watchNotifications', events)
    })
    core.reschedule()
    return core
  }

  /** The configuration the live (non-demo) mode uses. */
  liveConfig(): Stats2Config {
    return effectiveConfig(loadConfig(this.env), this.settings.current, this.options.secrets, this.env)
  }

  private activeConfig(): Stats2Config {
    return this.demo ? this.demo.config : this.liveConfig()
  }

  /** Follows a contract event (`updaterState`, `statusChanged`); returns the unsubscribe function. */
  subscribe<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): () => void {
    // EventEmitter's typing cannot follow the generic event name; the Events map above keeps them paired.
    const emitter = this as unknown as EventEmitter
    emitter.on(event, listener)
    return () => emitter.off(event, listener)
  }

  /** The demo simulator (tests drive its steps). */
  get demoSession(): DemoSession | undefined {
    return this.demo
  }

  async activeStore(): Promise<CouchStore> {
    if (this.demo) return this.demo.store
    if (this.liveStore) return this.liveStore
    this.liveStoreOpening ??= CouchStore.open(this.liveConfig().db).then(
      (store) => {
        this.liveStore = store
        this.liveStoreOpening = undefined
        return store
      },
      (error: unknown) => {
        this.liveStoreOpening = undefined
        throw error
      }
    )
    return this.liveStoreOpening
  }

  private readonly runner: JobRunner = async (scope, runOptions, hooks) => {
    const demo = this.demo
    // The demo's first run replays the scenario's earlier steps (a few runs on a simulated clock).
    if (demo && !demo.replayed) {
      const quiet = { triggerProd: false, triggerDev: false }
      const cancelled = await demo.replayHistory((now) => this.runOnce({ kind: 'all' }, quiet, { signal: hooks.signal, onProgress: hooks.onProgress }, now))
      // Cancelled half-way: the next update resumes the replay where it stopped.
      if (cancelled) return cancelled
    }
    // Pinned workflows go first, and their changes become notifications.
    return this.watch.runWatched(scope, (next) => this.runOnce(next, runOptions, hooks))
  }

  /**
   * One update run against the active cmsweb and store, in a worker thread (its CPU work never holds
   * up this event loop: issue 14); `now` is the updater's clock, read once (the demo's replay runs
   * each earlier step at that step's time).
   */
  private async runOnce(scope: UpdateScope, runOptions: RunOptions, hooks: Partial<JobHooks>, now?: () => number): Promise<UpdateReport> {
    const config = this.activeConfig()
    const store = await this.activeStore()
    store.assertWritable('updating')
    return this.updates.run({
      scope,
      runOptions,
      config,
      store: store.connection(),
      // Pinned items are always in the sync scope (issue 8: the watchlist joins the scope).
      syncScope: withPinned(config.scope, pinnedItems(this.watch.items())),
      ...(now ? { now: now() } : {})
    }, hooks)
  }

  /** Compaction when fragmented and view warming after an update-all, off the update's clock. */
  private async maintain(): Promise<void> {
    try {
      const { compacted } = await maintainStore(await this.activeStore())
      if (compacted.length > 0) log.info(`compacted ${compacted.join(', ')}`)
      await this.emitStatus()
    } catch (error) {
      log.warn(`store maintenance skipped: ${(error as Error).message}`)
    }
  }

  // ---- queries ----------------------------------------------------------------------------------

  /** The read model of the active store (one per store: the demo's and the live one differ). */
  private async reader(): Promise<ReadModel> {
    const store = await this.activeStore()
    let model = this.readModels.get(store)
    if (!model) this.readModels.set(store, (model = new ReadModel(store)))
    return model
  }

  /** A page of results for the list: a row view model per workflow (read-model.ts). */
  async search(query: SearchQuery): Promise<SearchRowsResult> {
    return (await this.reader()).search(query)
  }

  async workflowView(name: string): Promise<WorkflowView> {
    return (await this.reader()).workflowView(name)
  }

  async workflowChart(name: string): Promise<WorkflowChartAnswer> {
    return (await this.reader()).workflowChart(name)
  }

  async getWorkflow(name: string): Promise<WorkflowDoc> {
    return (await this.reader()).getWorkflow(name)
  }

  async searchHistory(text: string, field?: SearchField): Promise<AggregateSeries> {
    return (await this.reader()).searchHistory(text, field)
  }

  // ---- the operator overview (src/main/overview) ----------------------------------------------

  private overviewOf(store: CouchStore): OverviewService {
    let service = this.overviews.get(store)
    if (!service) {
      service = new OverviewService(store, { stallHours: () => this.watch.stallHours, watchlistNames: () => this.watch.pinnedNames() })
      this.overviews.set(store, service)
    }
    return service
  }

  async overview(selection: OverviewSelection, since?: OverviewLook): Promise<OverviewView> {
    return this.overviewOf(await this.activeStore()).overview(selection, since ? { look: since } : {})
  }

  /** One page of the workflows behind an overview cell, as the read model's result rows. */
  async overviewList(selection: OverviewSelection, drill: OverviewDrill, page = 0, pageSize = 100): Promise<OverviewListResult> {
    const store = await this.activeStore()
    const found = await this.overviewOf(store).list(selection, drill, page, pageSize)
    return { total: found.total, page, pageSize, rows: await (await this.reader()).rowsOf(found.names) }
  }

  /** Records this look (now, the failed workflows now) in the settings folder and answers the previous one. */
  async markOverviewLook(): Promise<LookAnswer> {
    const failed = await this.overviewOf(await this.activeStore()).failedNames()
    const previous = await this.lookFile.swap({ time: Math.floor(Date.now() / 1000), failed: boundedNames(failed, LOOK_FAILED_CHARS) })
    return previous ? { where: 'app', previous } : { where: 'app' }
  }

  async exportSearch(text: string, field: SearchField | undefined, format: ExportFormat): Promise<ExportFile> {
    return (await this.reader()).exportSearch(text, field, format)
  }

  async exportWorkflow(name: string): Promise<ExportFile> {
    return (await this.reader()).exportWorkflow(name)
  }

  async status(): Promise<AppStatus> {
    const config = this.activeConfig()
    const mode: AppStatus['mode'] = this.demo ? 'demo' : credentialsConfigured(config) ? 'live' : 'unconfigured'
    const status: AppStatus = {
      mode,
      store: { url: '', embedded: !config.db.url, workflows: 0 },
      failed: [],
      schedule: { everyMinutes: this.settings.current.scheduleMinutes, ...(this.nextScheduledRun ? { nextRunAt: this.nextScheduledRun } : {}) }
    }
    if (this.demo) {
      status.demo = { scenario: this.demo.scenarioName, step: this.demo.sim.step, steps: this.demo.steps, workflows: this.demo.workflows }
    }
    try {
      const store = await this.activeStore()
      const info = await store.info()
      const requests = info.databases.requests
      status.store = { url: info.url, embedded: info.embedded, workflows: info.workflows, fileSize: requests?.fileSize, activeSize: requests?.activeSize }
      if (store.readOnly) {
        status.store.readOnly = true
        status.store.readOnlyReason = readOnlyExplanation(store)
      }
      const figures = await (await this.reader()).settingsFigures()
      status.lastUpdate = figures.lastUpdate
      status.lastSequence = figures.lastSequence
      status.failed = figures.failed
      const marker = this.demo ? undefined : replicaMarkerOf(await store.getSettings())
      if (marker) status.replica = { source: marker.source, scope: describeScope(marker.scope ?? undefined), ...(marker.last_pull ? { lastPull: marker.last_pull } : {}) }
    } catch (error) {
      status.store.error = (error as Error).message
    }
    const source = this.demo ? undefined : this.liveConfig().replica.source
    if (!status.replica && source && this.replicaSelected()) status.replica = { source: withoutUrlCredentials(source), scope: describeScope(config.scope) }
    if (mode !== 'unconfigured') {
      try {
        const credentials = await loadCredentials(config.credentials)
        status.credentials = { kind: credentials.kind, subject: credentials.subject, notAfter: Math.floor(credentials.notAfter.getTime() / 1000) }
      } catch (error) {
        status.credentials = { error: (error as Error).message }
      }
    }
    return status
  }

  private async emitStatus(): Promise<void> {
    try {
      this.emit('statusChanged', await this.status())
    } catch (error) {
      log.warn(`status refresh failed: ${(error as Error).message}`)
    }
  }

  // ---- updates ----------------------------------------------------------------------------------

  private notifyOptions(request: RunOptions): RunOptions {
    const saved = this.settings.current.notifications
    return { triggerProd: request.triggerProd ?? saved.prod, triggerDev: request.triggerDev ?? saved.dev }
  }

  /** Settings → Source says "a shared Stats2 CouchDB, replicated here" (the environment's STATS2_REPLICA_SOURCE counts too). */
  private replicaSelected(): boolean {
    return this.settings.current.source?.kind === 'replica' || loadConfig(this.env).replica.source !== undefined
  }

  /** Pulls from the shared Stats2 into the embedded store; the pinned items join the scope, as for update-all. */
  async startReplication(): Promise<ReplicaState> {
    if (this.demo) throw new SettingsError('source.kind: the demo has its own simulated cmsweb; stop it to pull from a shared Stats2')
    const config = this.liveConfig()
    if (!config.replica.source) throw new SettingsError('source.url: choose "a shared Stats2 CouchDB, replicated here" in Settings → Source and give its URL first')
    if (config.db.url) throw new SettingsError('source.kind: a replica is kept in the embedded store; choose Embedded under Database (a CouchDB replicates with its own _replicator)')
    const store = await this.activeStore()
    store.assertWritable('replicating')
    const ca = config.replica.source.startsWith('https:') ? await loadTrustedCAs(config.cmsweb) : undefined
    return this.replica.start({
      source: { url: config.replica.source, ...(config.replica.authHeader ? { authHeader: config.replica.authHeader } : {}), ...(ca ? { ca } : {}) },
      target: store,
      scope: withPinned(config.scope, pinnedItems(this.watch.items()))
    })
  }

  stopReplication(): ReplicaState {
    return this.replica.stop()
  }

  startUpdate(scope: UpdateScope, request: RunOptions = {}): UpdaterState {
    // On a replica update-all comes from the shared Stats2 (a pull); selected workflows still update here.
    if (scope.kind === 'all' && !this.demo && this.replicaSelected()) {
      throw new ReplicaUpdateRefusedError(replicaUpdateMessage(withoutUrlCredentials(this.liveConfig().replica.source ?? 'the shared Stats2'), 'app'))
    }
    // Known at once when the store is open; otherwise the run itself stops with the same message.
    if (!this.demo && this.liveStore?.readOnly) this.liveStore.assertWritable('updating')
    return this.job.start(scope, this.notifyOptions(request))
  }

  /** Updates the pinned workflows only (the watchlist's own button). */
  async updateWatchlist(request: RunOptions = {}): Promise<UpdaterState> {
    if (this.job.isRunning) throw new BusyError('An update is already running; wait for it or cancel it.')
    const names = await this.watch.pinnedNames()
    if (names.length === 0) throw new WatchlistError('The watchlist is empty: pin a workflow, a PrepID or a campaign first.')
    return this.startUpdate({ kind: 'names', names }, request)
  }

  // ---- settings ---------------------------------------------------------------------------------

  settingsView(): SettingsView {
    return { ...settingsView(this.settings.current, this.options.secrets, this.env), startAtLoginAvailable: this.options.startAtLogin !== undefined }
  }

  async setSettings(given: SettingsPatch): Promise<SettingsView> {
    // A user:password in the CouchDB URL is a secret: it goes where the password field's value goes.
    const patch = moveUrlCredentials(given)
    const databaseChanges = patch.database !== undefined || patch.databasePassword !== undefined
    if (databaseChanges && this.replica.isRunning) throw new BusyError('The database cannot change while a pull runs; stop it or wait.')
    if ((patch.source !== undefined || patch.replicaPassword !== undefined) && this.replica.isRunning) {
      throw new BusyError('The source cannot change while a pull runs; stop it or wait.')
    }
    if (databaseChanges && this.job.isRunning) {
      throw new BusyError('The database cannot change while an update runs; cancel it or wait.')
    }
    await validatePatch(patch)
    if (patch.startAtLogin !== undefined && patch.startAtLogin !== this.settings.current.startAtLogin) {
      if (!this.options.startAtLogin) throw new SettingsError('startAtLogin: only the installed desktop app can start at login')
      await this.options.startAtLogin(patch.startAtLogin)
    }
    const remember = patch.rememberPassphrase ?? true
    if (patch.passphrase !== undefined) await this.options.secrets.set('passphrase', patch.passphrase, remember)
    if (patch.databasePassword !== undefined) await this.options.secrets.set('databasePassword', patch.databasePassword, remember)
    if (patch.replicaPassword !== undefined) await this.options.secrets.set('replicaPassword', patch.replicaPassword, remember)
    await this.settings.apply(patch)
    if (databaseChanges) {
      await this.maintenance
      await this.closeLiveStore()
    }
    this.reschedule()
    void this.emitStatus()
    return this.settingsView()
  }

  async testConnection(): Promise<ConnectionCheck[]> {
    return testConnection(this.activeConfig(), () => this.activeStore())
  }

  private async closeLiveStore(): Promise<void> {
    const store = this.liveStore ?? (await this.liveStoreOpening?.catch(() => undefined))
    this.liveStore = undefined
    this.liveStoreOpening = undefined
    await store?.close()
  }

  // ---- schedule ---------------------------------------------------------------------------------

  private reschedule(): void {
    if (this.scheduleTimer) clearInterval(this.scheduleTimer)
    this.scheduleTimer = undefined
    this.nextScheduledRun = undefined
    const minutes = this.settings.current.scheduleMinutes
    if (!minutes) return
    const period = minutes * 60_000
    this.nextScheduledRun = Math.floor((Date.now() + period) / 1000)
    this.scheduleTimer = setInterval(() => {
      this.nextScheduledRun = Math.floor((Date.now() + period) / 1000)
      // The header shows the next run time: tell it, whether this run starts or is skipped.
      void this.emitStatus()
      if (!this.demo && this.replicaSelected()) {
        // On a replica the schedule pulls from the shared Stats2.
        if (this.replica.isRunning) return log.info('scheduled pull skipped: one is already running')
        log.info('scheduled pull from the shared Stats2')
        this.startReplication().catch((error: unknown) => log.warn(`scheduled pull not started: ${(error as Error).message}`))
        return
      }
      if (this.job.isRunning) return log.info('scheduled update skipped: one is already running')
      if (!this.demo && this.liveStore?.readOnly) return log.info(`scheduled update skipped: the store is read-only (${this.liveStore.readOnly.reason})`)
      log.info('scheduled update all')
      try {
        this.startUpdate({ kind: 'all' })
      } catch (error) {
        log.warn(`scheduled update not started: ${(error as Error).message}`)
      }
    }, period)
    this.scheduleTimer.unref()
  }

  // ---- demo -------------------------------------------------------------------------------------

  async startDemo(workflows = 300): Promise<AppStatus> {
    if (this.job.isRunning) throw new BusyError('Wait for the running update to finish before starting the demo.')
    if (!this.demo) {
      this.demo = await startDemo(this.liveConfig(), {
        workflows,
        tlsDir: join(this.options.userDataDir, 'demo-tls'),
        stepEveryMs: this.options.demoStepEveryMs ?? 0
      })
      log.info(`demo started: ${workflows} generated workflows served at ${this.demo.sim.url}`)
      this.startUpdate({ kind: 'all' }, { triggerProd: false, triggerDev: false })
      const every = this.options.demoStepEveryMs ?? 0
      if (every > 0) {
        this.demoTimer = setInterval(() => {
          if (!this.demo || this.job.isRunning) return
          this.demo.sim.advance()
          this.startUpdate({ kind: 'all' }, { triggerProd: false, triggerDev: false })
        }, every)
        this.demoTimer.unref()
      }
    }
    const status = await this.status()
    this.emit('statusChanged', status)
    return status
  }

  async stopDemo(): Promise<AppStatus> {
    if (this.demoTimer) clearInterval(this.demoTimer)
    this.demoTimer = undefined
    if (this.job.isRunning) {
      this.job.cancel()
      await this.job.wait()
    }
    await this.maintenance
    const demo = this.demo
    this.demo = undefined
    await demo?.close()
    const status = await this.status()
    this.emit('statusChanged', status)
    return status
  }

  async close(): Promise<void> {
    if (this.scheduleTimer) clearInterval(this.scheduleTimer)
    if (this.demoTimer) clearInterval(this.demoTimer)
    this.job.cancel()
    this.replica.stop()
    await this.job.wait()
    await this.replica.wait()
    await this.updates.close()
    await this.maintenance
    await this.demo?.close()
    this.demo = undefined
    await this.closeLiveStore()
  }
}
