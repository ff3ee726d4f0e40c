/**
 * The watchlist service, Electron-free: pinned items (stored in the desktop settings folder), the
 * workflows they stand for, updates that take the pinned workflows first, and notifications derived
 * from each pinned workflow's document before and after every update. The desktop core wires it to
 * its update job and forwards `events` to the window (Electron notifications) or the browser (Web
 * Notifications).
 */
import type { CouchStore } from '../store/couch-store'
import { createLogger } from '../log/logger'
import type { WorkflowDoc } from '../../shared/stats2-doc'
import type { UpdateReport, UpdateScope } from '../../shared/update-types'
import type { WatchEvent, WatchItem, WatchlistView } from '../../shared/watchlist'
import { toWorkflowView } from '../../shared/stats2-doc-schema'
import { isInvalidWorkflow } from '../../shared/workflow-view'
import { listView } from '../core/workflow-boundary'
import { byRequestDateTime } from '../../shared/rules/request-name'
import { detectWatchEvents } from './detect'
import { mergeReports } from './reports'
import { WatchlistFile } from './watchlist-file'

const log = createLogger('watchlist')

/** Workflows listed per item in the view (the item's total says how many there are). */
export const VIEW_WORKFLOWS_PER_ITEM = 100
/** The pseudo-workflow under which a failure of a whole watchlist update is remembered. */
const WHOLE_RUN = '(watchlist)'

export interface WatchlistDeps {
  store: () => Promise<CouchStore>
  /** Unix seconds. */
  now?: () => number
  /** Called with new notifications (never twice for the same fact). */
  onEvents: (events: WatchEvent[]) => void
}

export type RunFn = (scope: UpdateScope) => Promise<UpdateReport>

/** A stored document fit for detection; one that does not fit the schema is treated as absent. */
function checked(doc: WorkflowDoc | undefined): WorkflowDoc | undefined {
  if (doc === undefined) return undefined
  const view = toWorkflowView(doc)
  return isInvalidWorkflow(view) ? undefined : view
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR')
}

export class Watchlist {
  private readonly now: () => number

  private constructor(private readonly file: WatchlistFile, private readonly deps: WatchlistDeps) {
    this.now = deps.now ?? (() => Math.floor(Date.now() / 1000))
  }

  static async open(userDataDir: string, deps: WatchlistDeps): Promise<Watchlist> {
    return new Watchlist(await WatchlistFile.open(userDataDir), deps)
  }

  /** The pinned items as `{kind, value}` (what a scoped sync can be fed with). */
  items(): WatchItem[] {
    return this.file.items
  }

  get stallHours(): number {
    return this.file.current.stallHours
  }

  add(item: WatchItem): Promise<void> {
    return this.file.add(item)
  }

  remove(item: WatchItem): Promise<void> {
    return this.file.remove(item)
  }

  setStallHours(hours: number): Promise<void> {
    return this.file.setStallHours(hours)
  }

  /** The stored workflows one item stands for, oldest request first. */
  private async namesOf(store: CouchStore, item: WatchItem): Promise<string[]> {
    switch (item.kind) {
      case 'workflow':
        return [item.value]
      case 'prepid':
        return (await store.namesByViewKey('prepids', item.value)).sort(byRequestDateTime)
      case 'campaign':
        return (await store.namesByViewKey('campaigns', item.value)).sort(byRequestDateTime)
    }
  }

  /** Every pinned workflow name (a pinned workflow even before it is stored: the update fetches it). */
  async pinnedNames(): Promise<string[]> {
    const items = this.file.items
    if (items.length === 0) return []
    const store = await this.deps.store()
    const names = new Set<string>()
    for (const item of items) for (const name of await this.namesOf(store, item)) names.add(name)
    return [...names]
  }

  async view(): Promise<WatchlistView> {
    const data = this.file.current
    if (data.items.length === 0) return { items: [], stallHours: data.stallHours, recent: data.recent }
    const store = await this.deps.store()
    const items = await Promise.all(
      data.items.map(async (item) => {
        try {
          const names = await this.namesOf(store, item)
          const docs = await store.getWorkflows(names.slice(0, VIEW_WORKFLOWS_PER_ITEM))
          const workflows = names.flatMap((name) => {
            const doc = docs.get(name)
            return doc ? [listView(doc)] : []
          })
          const total = item.kind === 'workflow' ? workflows.length : names.length
          return { item, total, workflows }
        } catch (error) {
          return { item, total: 0, workflows: [], error: (error as Error).message }
        }
      })
    )
    return { items, stallHours: data.stallHours, recent: data.recent }
  }

  /**
   * Runs an update with the watchlist around it: an update-all updates the pinned workflows first
   * (as a named update), then everything else; afterwards each pinned workflow's document is
   * compared with its state before the run and what is new is notified.
   */
  async runWatched(scope: UpdateScope, run: RunFn): Promise<UpdateReport> {
    let names: string[] = []
    let before = new Map<string, WorkflowDoc>()
    try {
      names = await this.pinnedNames()
      if (names.length > 0) before = await (await this.deps.store()).getWorkflows(names)
    } catch (error) {
      log.warn(`watchlist not read before the update: ${(error as Error).message}`)
    }
    let report: UpdateReport
    try {
      if (scope.kind === 'all' && names.length > 0) {
        const pinned = await run({ kind: 'names', names })
        if (pinned.cancelled) return pinned
        await this.evaluate({ kind: 'names', names }, names, before, pinned)
        report = mergeReports(pinned, await run(scope))
      } else {
        report = await run(scope)
      }
    } catch (error) {
      if (names.length > 0 && !isAbort(error)) await this.evaluate(scope, names, before, undefined, (error as Error).message)
      throw error
    }
    if (names.length > 0 && !report.cancelled) await this.evaluate(scope, names, before, report)
    return report
  }

  /** Compares, notifies and records; never throws (a notification problem must not fail an update). */
  private async evaluate(scope: UpdateScope, names: string[], before: Map<string, WorkflowDoc>, report: UpdateReport | undefined, runError?: string): Promise<void> {
    const scopeNames = scope.kind === 'names' ? new Set(scope.names) : undefined
    const ran = (name: string): boolean => !scopeNames || scopeNames.has(name)
    try {
      const data = this.file.current
      const now = this.now()
      const stallSeconds = data.stallHours * 3600
      const failures = new Map(report?.failed.map((failure) => [failure.name, failure.reason]))
      const after = runError === undefined ? await (await this.deps.store()).getWorkflows(names) : before
      const notified: Record<string, string[]> = {}
      const events: WatchEvent[] = []
      for (const name of names) {
        const result = detectWatchEvents({
          workflow: name,
          previous: checked(before.get(name)),
          next: checked(after.get(name)),
          notified: data.notified[name] ?? [],
          now,
          stallSeconds,
          ...(failures.has(name) ? { failure: failures.get(name)! } : {})
        })
        // Not part of this run (a named update of other workflows): its earlier failure still stands.
        if (!ran(name) && (data.notified[name] ?? []).includes('update-failed')) result.notified.push('update-failed')
        if (result.notified.length > 0) notified[name] = result.notified
        events.push(...result.events)
      }
      const whole = detectWatchEvents({
        workflow: WHOLE_RUN, previous: undefined, next: undefined, notified: data.notified[WHOLE_RUN] ?? [], now, stallSeconds,
        ...(runError !== undefined ? { failure: runError } : {})
      })
      for (const event of whole.events) events.push({ ...event, workflow: '', title: 'Watchlist update failed', body: runError?.slice(0, 300) ?? '' })
      if (whole.notified.length > 0) notified[WHOLE_RUN] = whole.notified
      await this.file.record(notified, events)
      if (events.length > 0) {
        log.info(`${events.length} watchlist notification(s): ${events.map((event) => `${event.title} ${event.workflow}`).join('; ').slice(0, 500)}`)
        this.deps.onEvents(events)
      }
    } catch (error) {
      log.warn(`watchlist notifications skipped: ${(error as Error).message}`)
    }
  }
}
