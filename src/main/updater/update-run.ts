/**
 * One Stats2 update (spec §6): "update all" from the ReqMgr2 changes feed, or named workflows.
 *
 * Differences from the old Stats2, all deliberate:
 * - the changes feed is read in pages and its position checkpointed after each page together with
 *   the retry list and the workflows still owed a history recalculation, so a run stopped at any
 *   moment resumes without missing or double-counting a workflow;
 * - cmsweb and CouchDB calls run concurrently and in batches (switchable off, to measure against
 *   the old one-call-at-a-time pattern);
 * - a changed workflow that cannot be read or stored goes to the retry list with its reason and the
 *   run continues (the old code crashed on it in the recalculation step);
 * - a 409 conflict with another updater is merged (history union, newer ReqMgr2 fields) and retried.
 */
import type { ChangesPage, CmswebServices } from '../cmsweb/services'
import type { CouchStore, WriteResult } from '../store/couch-store'
import type { Notifier, NotifyTargets } from '../notify/notifier'
import { createLogger, type Logger } from '../log/logger'
import type { SettingsDoc, WorkflowDoc } from '../../shared/stats2-doc'
import type { UpdatePhase, UpdateProgress, UpdateReport, UpdateScope } from '../../shared/update-types'
import { chunk, mapPool } from '../util/pool'
import { canonicalJson } from '../util/canonical-json'
import { appendIfChanged, newHistoryEntry } from './history'
import { RunLookups } from './lookups'
import { mergeWorkflowDocs } from './merge'
import { assertUsableRequest, buildWorkflowDoc, isRecord } from './reqmgr-doc'
import { usesLumis } from '../../shared/rules/completion'
import { workflowIdProblem } from '../store/doc-ids'
import { describeScope, isScoped, normaliseScope, sameScope, ScopeMatcher, type SyncScope } from '../../shared/sync-scope'
import { selectScopeNames } from './scope-select'
import { ScopeMembership } from './scope-membership'
import { settingsIssues } from '../../shared/settings-schema'

export interface UpdaterOptions {
  concurrency: number
  batching: boolean
  changesPageSize: number
  datasetListBatch: number
  dbBatch: number
}

export type WorkflowStage = 'update' | 'recalculate' | 'delete'

export interface WorkflowEvent {
  name: string
  stage: WorkflowStage
  outcome: 'written' | 'unchanged' | 'failed' | 'deleted' | 'history-added' | 'skipped'
  reason?: string
}

export interface UpdaterDeps {
  services: CmswebServices
  store: CouchStore
  notifier?: Notifier
  options: UpdaterOptions
  /** Unix seconds; injectable for tests. */
  now?: () => number
  signal?: AbortSignal
  onProgress?: (progress: UpdateProgress) => void
  onWorkflow?: (event: WorkflowEvent) => void
  logger?: Logger
  /**
   * The sync scope of update-all (see shared/sync-scope.ts); absent or empty: every workflow.
   * Named updates ignore it.
   */
  syncScope?: SyncScope
  /**
   * False: a named workflow ReqMgr2 does not know is reported as failed but never put on the retry
   * list (`stats2 serve`'s api/update: a caller's typo or guess must not be retried forever).
   */
  retryUnknown?: boolean
}

export interface RunOptions {
  triggerProd?: boolean
  triggerDev?: boolean
}

/** Extra keys of `all_settings` (ignored by the old Stats2, which reads only its own). */
interface CheckpointSettings extends SettingsDoc {
  pending_recalculation?: string[]
  /** The scope the store follows (set once its workflows were all fetched). */
  sync_scope?: SyncScope
  /** A scope being entered: its feed position is stored, its fetch not finished. */
  sync_scope_pending?: SyncScope
  /** Stored workflows outside the scope (kept as they are, no longer updated), or the followed ones: see scope-membership.ts. */
  scope_excluded?: string[]
  scope_followed?: string[]
}

/** A scope read back from `all_settings`; anything unreadable counts as a different scope. */
function storedScope(value: unknown): SyncScope | undefined {
  if (!value || typeof value !== 'object') return undefined
  const parsed = normaliseScope(value as Partial<SyncScope>)
  return parsed.ok && isScoped(parsed.value) ? parsed.value : undefined
}

/** Output dataset names of a raw ReqMgr2 document (nested lists flattened, as the stored document does). */
function rawOutputDatasets(raw: unknown): string[] {
  if (!isRecord(raw)) return []
  const out: string[] = []
  const walk = (value: unknown): void => {
    if (typeof value === 'string') out.push(value)
    else if (Array.isArray(value)) for (const item of value) walk(item)
  }
  walk(raw.OutputDatasets)
  return out
}

/**
 * The retry list (`failed_workflows`) holds at most this many names; beyond, the oldest are dropped
 * with a log line (they are no longer retried, and an update-all finds them again when they change).
 */
export const MAX_FAILED_WORKFLOWS = 10_000

/** The stored `all_settings` has a field of the wrong type: nothing is updated until it is fixed. */
export class MalformedSettingsError extends Error {
  override name = 'MalformedSettingsError'
}

/** ReqMgr2 has no request of that name: not a failure worth retrying (it never enters the retry list). */
export class UnknownWorkflowError extends Error {
  override name = 'UnknownWorkflowError'
}

/** Seconds before the last run's start that DBS modifications are asked for (spec §6.4). */
const DBS_LOOKBACK_SECONDS = 300
const MAX_CONFLICT_RETRIES = 8

/**
 * The `min_ldate` of the DBS-modified query: the last run's start minus the lookback, never
 * negative (0 on the first run, as the old Stats2 sent; spec §6.4).
 */
export function dbsModifiedSince(lastDbsUpdate: number | undefined): number {
  const last = typeof lastDbsUpdate === 'number' && Number.isFinite(lastDbsUpdate) ? lastDbsUpdate : 0
  return Math.max(0, last - DBS_LOOKBACK_SECONDS)
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

function isAbort(error: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (error instanceof Error && error.name === 'AbortError')
}

function withoutVolatile(doc: WorkflowDoc): unknown {
  const { LastUpdate: _lastUpdate, _rev: _revision, ...rest } = doc
  return rest
}

export async function runUpdate(scope: UpdateScope, options: RunOptions, deps: UpdaterDeps): Promise<UpdateReport> {
  return new UpdateRun(scope, options, deps).run()
}

class UpdateRun {
  private readonly log: Logger
  private readonly lookups: RunLookups
  private readonly now: () => number
  private readonly targets: NotifyTargets
  private readonly report: UpdateReport
  /** This run's failures (name → reason) and successes, folded into `failed_workflows` at checkpoints. */
  private readonly failures = new Map<string, string>()
  /** Named workflows ReqMgr2 does not know: reported as failed, never put on the retry list. */
  private readonly unknown = new Set<string>()
  private readonly succeeded = new Set<string>()
  private readonly deletedNames = new Set<string>()
  /** Workflows whose history was recalculated after their last update in this run. */
  private readonly recalculated = new Set<string>()
  private readonly notifiedThisPhase = new Set<string>()
  private readonly notifications: Promise<void>[] = []
  /** Sync scope of this update-all (undefined: everything), the stored workflows outside it, and what this run left alone. */
  private matcher: ScopeMatcher | undefined
  private excluded = ScopeMembership.fromSettings({})
  private readonly outOfScope = new Set<string>()
  /** Output datasets of out-of-scope workflows changed in the current feed page (their stored neighbours are recalculated). */
  private readonly outsideDatasets = new Set<string>()
  private progress: UpdateProgress = { phase: 'starting', done: 0, total: 0 }

  constructor(private readonly scope: UpdateScope, options: RunOptions, private readonly deps: UpdaterDeps) {
    this.log = deps.logger ?? createLogger('updater')
    this.lookups = new RunLookups(deps.services, {
      batching: deps.options.batching,
      datasetListBatch: deps.options.datasetListBatch
    })
    this.now = deps.now ?? (() => Math.floor(Date.now() / 1000))
    this.targets = { prod: Boolean(options.triggerProd), dev: Boolean(options.triggerDev) }
    this.report = {
      scope: scope.kind,
      startedAt: Date.now(),
      finishedAt: 0,
      changed: 0,
      deleted: 0,
      written: 0,
      unchanged: 0,
      recalculated: 0,
      historyAdded: 0,
      failed: [],
      notifications: { sent: 0, failed: 0 },
      warnings: [],
      cancelled: false
    }
  }

  private get concurrency(): number {
    return this.deps.options.batching ? this.deps.options.concurrency : 1
  }

  private setProgress(phase: UpdatePhase, done: number, total: number, current?: string): void {
    this.progress = current === undefined ? { phase, done, total } : { phase, done, total, current }
    this.deps.onProgress?.(this.progress)
  }

  private tick(current?: string): void {
    this.setProgress(this.progress.phase, this.progress.done + 1, Math.max(this.progress.total, this.progress.done + 1), current)
  }

  private emit(event: WorkflowEvent): void {
    this.deps.onWorkflow?.(event)
  }

  private fail(name: string, stage: WorkflowStage, error: unknown): void {
    const reason = reasonOf(error)
    // A name a service caller asked for that ReqMgr2 does not know is a typo or a guess: retrying it
    // forever would only cost ReqMgr2 calls.
    if (error instanceof UnknownWorkflowError && this.scope.kind === 'names' && this.deps.retryUnknown === false) this.unknown.add(name)
    if (!this.failures.has(name)) this.failures.set(name, `${stage}: ${reason}`)
    this.log.warn(`${stage} of ${name} failed: ${reason}`)
    this.emit({ name, stage, outcome: 'failed', reason })
  }

  async run(): Promise<UpdateReport> {
    if (this.notifyWanted()) {
      // missingSettings answers undefined when everything is set: only a missing notifier is "none configured".
      const missing = this.deps.notifier ? this.deps.notifier.missingSettings(this.targets) : 'no notifier configured'
      if (missing) this.report.warnings.push(`not notifying PdmV services: ${missing}`)
    }
    // A wrongly typed checkpoint would become `since=[object Object]` in a ReqMgr2 query.
    const issues = settingsIssues(await this.deps.store.getSettings())
    if (issues.length > 0) {
      throw new MalformedSettingsError(`all_settings in the settings database does not have the Stats2 shape (${issues.join('; ')}): fix or remove those fields (stats2 dump --backup shows them), then update again`)
    }
    try {
      if (this.scope.kind === 'all') await this.updateAll()
      else await this.updateNamed(this.scope.names)
    } catch (error) {
      if (!isAbort(error, this.deps.signal)) throw error
      this.report.cancelled = true
      this.log.warn('update cancelled; the next run resumes from the last checkpoint')
    } finally {
      await Promise.allSettled(this.notifications)
    }
    this.report.failed = [...this.failures].map(([name, reason]) => ({ name, reason }))
    this.report.finishedAt = Date.now()
    return this.report
  }

  private notifyWanted(): boolean {
    return this.targets.prod || this.targets.dev
  }

  // ---- update all -------------------------------------------------------------------------------

  private async updateAll(): Promise<void> {
    const { services, store, options } = this.deps
    const runStart = this.now()
    const settings = (await store.getSettings()) as CheckpointSettings
    let since: string | number = settings.last_reqmgr_sequence ?? 0
    const previouslyFailed = [...new Set(settings.failed_workflows ?? [])]
    const owed = new Set(settings.pending_recalculation ?? [])
    const scope = isScoped(this.deps.syncScope) ? this.deps.syncScope : undefined
    const followed = storedScope(settings.sync_scope)
    const entering = storedScope(settings.sync_scope_pending)
    let freshScopedStore = false
    if (!scope && (followed || entering)) {
      // Everything outside the old scope is missing: read the whole feed again, as a first run does.
      this.log.warn(`sync scope removed (was ${describeScope(followed ?? entering)}): reading the ReqMgr2 changes feed from 0`)
      since = 0
      await this.checkpoint({ last_reqmgr_sequence: 0, sync_scope: undefined, sync_scope_pending: undefined, scope_excluded: undefined, scope_followed: undefined }, owed)
    } else if (scope) {
      this.matcher = new ScopeMatcher(scope)
      this.excluded = ScopeMembership.fromSettings(settings)
      for (const name of [...owed]) if (this.excluded.isExcluded(name)) owed.delete(name)
      if (!sameScope(followed, scope)) {
        const entered = await this.enterScope(scope, followed ?? entering, settings, owed)
        since = entered.since
        freshScopedStore = entered.freshStore
      }
    }
    this.log.info(`update all since ${String(since)}; ${previouslyFailed.length} to retry, ${owed.size} owed a recalculation`)
    this.setProgress('changes', 0, 0)

    // Pipelined: the next feed page is read, DBS is asked about a chunk's datasets, and the view
    // lookup of related workflows runs while the current page is still being written.
    // A scoped run needs every changed document to decide (so it always asks for them).
    const pageOptions = options.batching
      ? { limit: options.changesPageSize, includeDocs: true }
      : this.matcher ? { includeDocs: true } : {}
    const readPage = (from: string | number): Promise<ChangesPage> => {
      const page = services.changes(from, pageOptions)
      page.catch(() => undefined)
      return page
    }
    let nextPage = readPage(since)
    let first = true
    for (;;) {
      this.deps.signal?.throwIfAborted()
      const page = await nextPage
      const more = options.batching && page.results.length >= options.changesPageSize && (page.pending ?? 1) > 0
      if (more) nextPage = readPage(page.last_seq)
      const changed = new Set<string>()
      const deleted = new Set<string>()
      const feedDocs = new Map<string, Record<string, unknown> | undefined>()
      for (const result of page.results) {
        if (result.id.includes('_design')) continue
        if (result.deleted) {
          deleted.add(result.id)
          changed.delete(result.id)
        } else {
          changed.add(result.id)
          if (result.doc !== undefined) feedDocs.set(result.id, result.doc && isRecord(result.doc) ? result.doc : undefined)
        }
      }
      if (first) {
        for (const name of previouslyFailed) if (!deleted.has(name)) changed.add(name)
        first = false
      }
      this.report.changed += changed.size
      this.log.info(`changes page: ${changed.size} to update, ${deleted.size} deleted, pending ${page.pending ?? 0}`)

      await this.deleteWorkflows([...deleted])
      for (const name of deleted) {
        owed.delete(name)
        this.excluded.include(name)
      }

      await this.updateAndRecalculate([...changed], feedDocs, owed)

      since = page.last_seq
      await this.checkpoint({ last_reqmgr_sequence: page.last_seq, ...this.scopeFields() }, owed)
      this.report.lastSequence = page.last_seq
      if (!more) break
    }

    // Workflows whose datasets DBS modified, and those WMStats lists as active (spec §6.4).
    let fromDbs = new Set<string>()
    if (freshScopedStore) {
      // Every stored workflow came in (and was recalculated) in this run: DBS's list of every dataset
      // it ever modified would only name them again.
      this.log.info('first scoped run on an empty store: the DBS modified-datasets query is not needed')
    } else {
      const minLdate = dbsModifiedSince(settings.last_dbs_update_date)
      const modified = await services.datasetsModifiedSince(minLdate)
      fromDbs = await store.namesByOutputDatasets(modified)
      this.log.info(`DBS modified ${modified.length} datasets since ${minLdate}: ${fromDbs.size} stored workflows`)
    }
    let active: string[] = []
    try {
      active = await services.activeWorkflows()
    } catch (error) {
      if (isAbort(error, this.deps.signal)) throw error
      const warning = `WMStats unreachable, skipped: ${reasonOf(error)}`
      this.log.error(warning)
      this.report.warnings.push(warning)
    }
    const targets = new Set([...owed, ...fromDbs, ...active])
    for (const name of this.recalculated) targets.delete(name)
    for (const name of this.deletedNames) targets.delete(name)
    for (const name of [...targets]) if (this.excluded.isExcluded(name)) targets.delete(name)
    await this.recalculateInChunks([...targets])

    this.setProgress('finishing', 0, 1)
    await this.checkpoint({ last_dbs_update_date: runStart, ...this.scopeFields() }, new Set(), true)
    this.setProgress('finishing', 1, 1)
  }

  /**
   * Updates changed workflows, recalculates their history, and owes a recalculation to the stored
   * workflows sharing an output dataset with them (spec §6.4). With a scope, out-of-scope ones are
   * left alone, but their stored neighbours are still owed one: an unscoped run would recalculate
   * them too, and the documents in scope must not depend on the scope.
   */
  private async updateAndRecalculate(names: string[], feedDocs: Map<string, Record<string, unknown> | undefined>, owed: Set<string>): Promise<void> {
    this.outsideDatasets.clear()
    const outsideBefore = this.outOfScope.size
    const stored = await this.updateWorkflows(names, feedDocs)
    if (this.outOfScope.size > outsideBefore) this.log.info(`${this.outOfScope.size - outsideBefore} changed workflows outside the sync scope left alone`)
    const related = this.relatedWorkflows(stored, [...this.outsideDatasets])
    related.catch(() => undefined)
    await this.recalculateWorkflows(names.filter((name) => !this.outOfScope.has(name)), stored)
    for (const name of await related) if (!this.recalculated.has(name) && !this.excluded.isExcluded(name)) owed.add(name)
  }

  /** Stored workflows sharing an output dataset with the given ones (spec §6.4). */
  private async relatedWorkflows(docs: Map<string, WorkflowDoc>, extraDatasets: string[] = []): Promise<Set<string>> {
    const datasets = new Set<string>(extraDatasets)
    for (const doc of docs.values()) for (const dataset of doc.OutputDatasets ?? []) datasets.add(dataset)
    if (datasets.size === 0) return new Set()
    const names = await this.deps.store.namesByOutputDatasets([...datasets])
    for (const name of docs.keys()) names.delete(name)
    return names
  }

  /** The scope's keys of `all_settings` at a checkpoint (none without a scope). */
  private scopeFields(): Partial<CheckpointSettings> {
    return this.matcher ? this.excluded.toSettings() : {}
  }

  /**
   * A scope the store does not follow yet (first scoped run, or the scope changed): take the feed's
   * position first when there is none (so nothing that changes meanwhile is missed), find the
   * scope's workflows by name, fetch those the store does not follow yet, and mark the stored ones
   * outside the scope as excluded — kept with their history, no longer updated.
   */
  private async enterScope(scope: SyncScope, previous: SyncScope | undefined, settings: CheckpointSettings, owed: Set<string>): Promise<{ since: string | number; freshStore: boolean }> {
    const { services, store, options } = this.deps
    let since = settings.last_reqmgr_sequence
    if (since === undefined) {
      since = await services.changesPosition()
      this.log.info(`first scoped run: following the ReqMgr2 changes feed from its current position ${String(since)}`)
    }
    await this.checkpoint({ last_reqmgr_sequence: since, sync_scope_pending: scope }, owed)
    this.setProgress('changes', 0, 0)
    const wanted = await selectScopeNames(services, scope)
    const storedNames = new Set((await store.listNames()).names)
    const following = new Set([...storedNames].filter((name) => !this.excluded.isExcluded(name)))
    const toFetch = [...wanted].filter((name) => !following.has(name)).sort()
    this.excluded = ScopeMembership.compute(storedNames, wanted)
    for (const name of [...owed]) if (this.excluded.isExcluded(name)) owed.delete(name)
    this.log.info(
      `sync scope ${describeScope(scope)}${previous ? ` (was ${describeScope(previous)})` : ''}: ${wanted.size} workflows in ReqMgr2, ` +
      `${toFetch.length} to fetch, ${wanted.size - toFetch.length} already stored`
    )
    const outside = [...storedNames].filter((name) => !wanted.has(name)).length
    if (outside > 0) {
      this.log.warn(`${outside} stored workflows are outside the sync scope: they are kept, with their history, and no longer updated`)
    }
    this.report.changed += toFetch.length
    const pageSize = options.batching ? options.changesPageSize : Math.max(1, toFetch.length)
    for (const part of chunk(toFetch, pageSize)) {
      this.deps.signal?.throwIfAborted()
      await this.updateAndRecalculate(part, new Map(), owed)
      await this.checkpoint({ ...this.scopeFields() }, owed)
    }
    await this.checkpoint({ sync_scope: scope, sync_scope_pending: undefined, ...this.scopeFields() }, owed)
    return { since, freshStore: storedNames.size === 0 && settings.last_dbs_update_date === undefined }
  }

  private async checkpoint(fields: Partial<CheckpointSettings>, owed: Set<string>, final = false): Promise<void> {
    const failures = new Map([...this.failures].filter(([name]) => !this.unknown.has(name)))
    const succeeded = new Set([...this.succeeded].filter((name) => !failures.has(name)))
    const deleted = new Set(this.deletedNames)
    await this.deps.store.updateSettings((doc) => {
      const settings = doc as CheckpointSettings
      // Oldest first: the stored list in its order, then this run's new failures.
      const failed = new Set(settings.failed_workflows ?? [])
      for (const name of failures.keys()) failed.add(name)
      for (const name of succeeded) failed.delete(name)
      for (const name of deleted) failed.delete(name)
      if (failed.size > MAX_FAILED_WORKFLOWS) {
        const dropped = [...failed].slice(0, failed.size - MAX_FAILED_WORKFLOWS)
        for (const name of dropped) failed.delete(name)
        this.log.warn(
          `the retry list (failed_workflows) holds at most ${MAX_FAILED_WORKFLOWS} names: dropped the ${dropped.length} oldest ` +
          `(${dropped.slice(0, 5).join(', ')}${dropped.length > 5 ? ', …' : ''}); they are no longer retried`
        )
      }
      const reasons = { ...(settings.failed_reasons ?? {}) }
      for (const [name, reason] of failures) reasons[name] = reason
      for (const name of Object.keys(reasons)) if (!failed.has(name)) delete reasons[name]
      const next: CheckpointSettings = { ...settings, ...fields, failed_workflows: [...failed], failed_reasons: reasons }
      if (final || owed.size === 0) delete next.pending_recalculation
      else next.pending_recalculation = [...owed]
      return next
    })
  }

  // ---- named workflows --------------------------------------------------------------------------

  private async updateNamed(names: string[]): Promise<void> {
    const unique = [...new Set(names)]
    this.report.changed = unique.length
    const stored = await this.updateWorkflows(unique, new Map())
    await this.recalculateWorkflows(unique, stored)
    await this.checkpoint({}, new Set(), true)
  }

  // ---- steps ------------------------------------------------------------------------------------

  private async deleteWorkflows(names: string[]): Promise<void> {
    if (names.length === 0) return
    this.setProgress('deleting', 0, names.length)
    const deleted = await this.deps.store.deleteWorkflows(names)
    for (const name of names) {
      this.deletedNames.add(name)
      this.recalculated.delete(name)
    }
    for (const name of deleted) this.emit({ name, stage: 'delete', outcome: 'deleted' })
    this.report.deleted += deleted.length
    this.setProgress('deleting', names.length, names.length)
  }

  private chunkSize(names: string[]): number {
    return this.deps.options.batching ? this.deps.options.dbBatch : Math.max(1, names.length)
  }

  /** Updates the workflows from ReqMgr2, chunk by chunk; returns the stored documents of those that exist. */
  private async updateWorkflows(all: string[], feedDocs: Map<string, Record<string, unknown> | undefined>): Promise<Map<string, WorkflowDoc>> {
    const current = new Map<string, WorkflowDoc>()
    this.setProgress('updating', 0, all.length)
    // A name CouchDB cannot hold as a document (`_…`, empty) fails alone, before any call.
    const names = all.filter((name) => {
      const problem = workflowIdProblem(name)
      if (!problem) return true
      this.fail(name, 'update', new Error(`cannot be stored: ${problem}`))
      this.tick(name)
      return false
    })
    for (const part of chunk(names, this.chunkSize(names))) {
      this.deps.signal?.throwIfAborted()
      const docs = await this.updateChunk(part, feedDocs)
      for (const [name, doc] of docs) current.set(name, doc)
    }
    return current
  }

  /** Recalculates the history of the workflows just updated (`current` holds their documents). */
  private async recalculateWorkflows(names: string[], current: Map<string, WorkflowDoc>): Promise<void> {
    this.setProgress('recalculating', 0, names.length)
    for (const part of chunk(names, this.chunkSize(names))) {
      this.deps.signal?.throwIfAborted()
      await this.recalculateChunk(part, current)
    }
  }

  /** Starts the DBS lookups of these documents' datasets without waiting (batching only); the per-run cache keeps the answers. */
  private prefetchDatasets(docs: Iterable<WorkflowDoc>): void {
    if (!this.deps.options.batching) return
    const datasets = new Set<string>()
    for (const doc of docs) for (const dataset of doc.OutputDatasets ?? []) datasets.add(dataset)
    if (datasets.size > 0) this.lookups.datasetInfos([...datasets]).catch(() => undefined)
  }

  private async fetchRequests(names: string[], feedDocs: Map<string, Record<string, unknown> | undefined>): Promise<Map<string, unknown>> {
    const raws = new Map<string, unknown>()
    const missing = names.filter((name) => !feedDocs.has(name))
    for (const name of names) if (feedDocs.has(name)) raws.set(name, feedDocs.get(name))
    if (this.deps.options.batching && missing.length > 1) {
      for (const part of chunk(missing, 100)) {
        try {
          const docs = await this.deps.services.requests(part)
          for (const name of part) raws.set(name, docs.get(name))
        } catch (error) {
          if (isAbort(error, this.deps.signal)) throw error
          // A bad batch answer must not fail the whole batch: fall back to one call each.
          this.log.warn(`bulk read of ${part.length} ReqMgr2 documents failed (${reasonOf(error)}); reading them one by one`)
        }
      }
    }
    return raws
  }

  private async updateChunk(names: string[], feedDocs: Map<string, Record<string, unknown> | undefined>): Promise<Map<string, WorkflowDoc>> {
    const { store } = this.deps
    const batching = this.deps.options.batching
    const raws = batching ? await this.fetchRequests(names, feedDocs) : new Map<string, unknown>()
    const stored = batching ? await store.getWorkflows(names) : new Map<string, WorkflowDoc>()
    const current = new Map<string, WorkflowDoc>()
    const toWrite: WorkflowDoc[] = []

    await mapPool(names, this.concurrency, async (name) => {
      try {
        const raw = raws.has(name) ? raws.get(name) : await this.readRequest(name)
        if (raw === undefined) throw new UnknownWorkflowError(`ReqMgr2 has no document for ${name}`)
        if (this.matcher && !this.matcher.matches(name, raw)) {
          this.leaveAlone(name, raw, batching ? stored.has(name) : (await store.getWorkflow(name)) !== undefined)
          this.tick(name)
          return
        }
        this.excluded.include(name)
        assertUsableRequest(raw, name)
        const totals = await this.lookups.expectedTotals(raw)
        const next = buildWorkflowDoc(raw, name, totals)
        const old = batching ? stored.get(name) : await store.getWorkflow(name)
        if (old) {
          next.EventNumberHistory = old.EventNumberHistory ?? []
          if (old._rev) next._rev = old._rev
          current.set(name, old)
        }
        if (old && canonicalJson(withoutVolatile(old)) === canonicalJson(withoutVolatile(next))) {
          this.succeeded.add(name)
          this.report.unchanged++
          this.emit({ name, stage: 'update', outcome: 'unchanged' })
        } else {
          next.LastUpdate = this.now()
          if (batching) toWrite.push(next)
          else await this.write([next], 'update', current)
        }
      } catch (error) {
        if (isAbort(error, this.deps.signal)) throw error
        this.fail(name, 'update', error)
      }
      this.tick(name)
    }, this.deps.signal)
    this.prefetchDatasets([...toWrite, ...current.values()])
    if (toWrite.length > 0) await this.write(toWrite, 'update', current)
    return current
  }

  /** An out-of-scope workflow: not stored, not updated, no DBS call; a stored one becomes excluded. */
  private leaveAlone(name: string, raw: unknown, isStored: boolean): void {
    this.outOfScope.add(name)
    this.report.changed = Math.max(0, this.report.changed - 1) // counted as changed in the scope only
    this.succeeded.add(name) // off the retry list: it is not this store's business any more
    for (const dataset of rawOutputDatasets(raw)) this.outsideDatasets.add(dataset)
    if (isStored && !this.excluded.isExcluded(name)) {
      this.excluded.exclude(name)
      this.log.info(`${name} left the sync scope: kept as stored, with its history, and no longer updated`)
    }
    this.emit({ name, stage: 'update', outcome: 'skipped', reason: 'outside the sync scope' })
  }

  private async readRequest(name: string): Promise<unknown> {
    try {
      return await this.deps.services.request(name)
    } catch (error) {
      const status = (error as { status?: number }).status
      if (status === 404) throw new UnknownWorkflowError(`ReqMgr2 has no document for ${name} (404)`)
      throw error
    }
  }

  /**
   * Writes documents; a conflict is re-read, merged and retried. Successful writes update `current`
   * (with their new revision), count in the report and are announced to the PdmV services.
   */
  private async write(docs: WorkflowDoc[], stage: WorkflowStage, current: Map<string, WorkflowDoc>): Promise<void> {
    let pending = docs
    for (let attempt = 1; pending.length > 0; attempt++) {
      let results: WriteResult[]
      try {
        results = await this.deps.store.saveWorkflows(pending)
      } catch (error) {
        for (const doc of pending) this.fail(doc._id, stage, error)
        return
      }
      const byId = new Map(pending.map((doc) => [doc._id, doc]))
      const conflicts: WorkflowDoc[] = []
      for (const result of results) {
        const doc = byId.get(result.id)
        if (!doc) continue
        if (result.ok) {
          doc._rev = result.rev
          current.set(doc._id, doc)
          this.written(doc, stage)
        } else if (result.error === 'conflict' && attempt < MAX_CONFLICT_RETRIES) {
          conflicts.push(doc)
        } else {
          this.fail(doc._id, stage, new Error(`CouchDB refused the write: ${result.error ?? ''} ${result.reason ?? ''}`.trim()))
        }
      }
      if (conflicts.length === 0) return
      this.log.info(`${conflicts.length} write conflicts (another updater?): merging and retrying`)
      const theirs = await this.deps.store.getWorkflows(conflicts.map((doc) => doc._id))
      pending = conflicts.map((doc) => mergeWorkflowDocs(doc, theirs.get(doc._id)))
    }
  }

  private written(doc: WorkflowDoc, stage: WorkflowStage): void {
    if (stage === 'update') {
      this.report.written++
      this.succeeded.add(doc._id)
      this.recalculated.delete(doc._id)
      this.emit({ name: doc._id, stage, outcome: 'written' })
    } else {
      this.report.historyAdded++
      this.emit({ name: doc._id, stage, outcome: 'history-added' })
    }
    this.queueNotification(doc)
  }

  private queueNotification(doc: WorkflowDoc): void {
    const notifier = this.deps.notifier
    if (!notifier || !this.notifyWanted() || notifier.missingSettings(this.targets)) return
    const key = `${doc._id}@${doc._rev ?? ''}`
    if (this.notifiedThisPhase.has(key)) return
    this.notifiedThisPhase.add(key)
    this.notifications.push(
      notifier.notify(doc, this.targets).then((outcomes) => {
        for (const outcome of outcomes) {
          if (outcome.ok) this.report.notifications.sent++
          else this.report.notifications.failed++
        }
      })
    )
  }

  private async recalculateInChunks(names: string[]): Promise<void> {
    this.setProgress('recalculating', 0, names.length)
    for (const part of chunk(names, this.chunkSize(names))) {
      this.deps.signal?.throwIfAborted()
      await this.recalculateChunk(part, new Map())
    }
  }

  /** Appends a history entry to each workflow whose DBS numbers changed (spec §4). */
  private async recalculateChunk(names: string[], known: Map<string, WorkflowDoc>): Promise<void> {
    const { store } = this.deps
    const batching = this.deps.options.batching
    const unknown = names.filter((name) => !known.has(name))
    const loaded = batching && unknown.length > 0 ? await store.getWorkflows(unknown) : new Map<string, WorkflowDoc>()
    const docOf = async (name: string): Promise<WorkflowDoc | undefined> =>
      known.get(name) ?? (batching ? loaded.get(name) : await store.getWorkflow(name))

    if (batching) {
      // One datasetlist per batch of datasets for the whole chunk, instead of one per workflow.
      const datasets = new Set<string>()
      for (const name of names) for (const dataset of (await docOf(name))?.OutputDatasets ?? []) datasets.add(dataset)
      try {
        await this.lookups.datasetInfos([...datasets])
      } catch (error) {
        if (isAbort(error, this.deps.signal)) throw error
        // Failed lookups are forgotten by the cache; each workflow below retries its own and fails alone.
      }
    }

    const toWrite: WorkflowDoc[] = []
    const current = new Map<string, WorkflowDoc>()
    await mapPool(names, this.concurrency, async (name) => {
      try {
        const doc = await docOf(name)
        if (!doc) {
          this.emit({ name, stage: 'recalculate', outcome: 'skipped', reason: 'not in the store' })
          return
        }
        const infos = await this.lookups.datasetInfos(doc.OutputDatasets ?? [])
        const entry = newHistoryEntry(doc.OutputDatasets ?? [], (dataset) => infos.get(dataset)!, usesLumis(doc), this.now())
        const history = appendIfChanged(doc.EventNumberHistory ?? [], entry)
        this.recalculated.add(name)
        this.report.recalculated++
        if (!this.failures.has(name)) this.succeeded.add(name)
        if (!history) {
          this.emit({ name, stage: 'recalculate', outcome: 'unchanged' })
          return
        }
        const next: WorkflowDoc = { ...doc, EventNumberHistory: history, LastUpdate: this.now() }
        if (batching) toWrite.push(next)
        else await this.write([next], 'recalculate', current)
      } catch (error) {
        if (isAbort(error, this.deps.signal)) throw error
        this.succeeded.delete(name)
        this.fail(name, 'recalculate', error)
      } finally {
        this.tick(name)
      }
    }, this.deps.signal)
    if (toWrite.length > 0) await this.write(toWrite, 'recalculate', current)
  }
}
