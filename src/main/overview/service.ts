/**
 * The overview of one store, as the desktop, `stats2 ui`, `stats2 serve` and `stats2 overview` ask
 * for it: resolves a selection to the engine's slots (in memory where the facts hold the key the
 * view would use — campaign, PrepID, type, processing string —, through the store's views or the
 * search box otherwise), computes the overview (src/shared/overview/compute.ts) and names the
 * datasets its "since my last look" list shows.
 *
 * An answer is computed for the current minute (`now` is whole minutes: stalls and ETAs are a matter
 * of hours), so every door — the CLI, the API, the dashboards — gives the same object within a
 * minute, and an answer is reused within its minute while nothing was written: repeated calls cost
 * a lookup. The parts that do not depend on the time (board, durations, families) are kept per
 * selection until the facts change: after the first answer, a new minute recomputes only what
 * needs attention, the slow tail and what changed since the last look.
 */
import type { CouchStore } from '../store/couch-store'
import { WorkflowSearch, VIEW_OF } from '../search/search'
import { ScopeMembership } from '../updater/scope-membership'
import { SETTINGS_DB, type SettingsDoc } from '../../shared/stats2-doc'
import { normaliseScope, isScoped, type SyncScope } from '../../shared/sync-scope'
import { DEFAULT_STALL_HOURS } from '../../shared/watchlist'
import type { FactsTable } from '../../shared/overview/facts-table'
import { computeOverview, computeStable, overviewJson, type OverviewComputation, type StableParts } from '../../shared/overview/compute'
import { computeAttention } from '../../shared/overview/attention'
import { drillSlots, type OverviewDrill } from '../../shared/overview/drill'
import { BoundedCache } from '../util/pool'
import { selectionKey, type OverviewSelection } from '../../shared/overview/selection'
import type { OverviewJson, OverviewLook, OverviewView } from '../../shared/overview/types'
import { OverviewEngine } from './engine'

/** The overview's clock ticks once a minute. */
export const CLOCK_SECONDS = 60
const REUSED_ANSWERS = 16
/** Workflows a search selection may hold (the search box's own bound is for pages of documents). */
const SEARCH_LIMIT = 1_000_000

/** A selection or request the overview cannot answer (unknown selector, no watchlist here): the caller's mistake. */
export class OverviewError extends Error {
  override name = 'OverviewError'
}

export interface OverviewServiceOptions {
  /** Unix seconds. */
  now?: () => number
  /** The stall time (hours): the watchlist's setting on the desktop, 24 elsewhere. */
  stallHours?: () => number
  /** The pinned workflows (desktop); without it a watchlist selection is refused. */
  watchlistNames?: () => Promise<string[]>
}

export interface OverviewRequest {
  look?: OverviewLook
  /** Unix seconds; the overview's clock (whole minutes) by default. */
  now?: number
  stallHours?: number
}

export interface SettingsFacts {
  failed: Map<string, string>
  lastRun?: number
  /** The workflows the updater follows, when a sync scope is set. */
  membership?: ScopeMembership
}

type ScopeSettings = SettingsDoc & { sync_scope?: SyncScope; scope_excluded?: string[]; scope_followed?: string[] }

/** Which slots a selection holds, in short (a watchlist may change while the store does not). */
function fingerprint(slots: Int32Array): string {
  let sum = 0
  let mixed = 0
  for (const slot of slots) {
    sum = (sum + slot) | 0
    mixed = Math.imul(mixed ^ slot, 0x9e3779b1) | 0
  }
  return `${slots.length}:${sum}:${mixed}`
}

/** Names a selection needs from the store before it can be matched against the facts. */
type Resolved = { names: string[] } | undefined

export class OverviewService {
  readonly engine: OverviewEngine
  private settingsRead: { seq: string; value: SettingsFacts } | undefined
  private readonly answers = new BoundedCache<string, { version: number; settingsSeq: string; slots: string; at: number; computation: OverviewComputation }>(REUSED_ANSWERS)
  /** The time-independent parts per selection, kept until the facts change. */
  private readonly stable = new BoundedCache<string, { version: number; slots: string; parts: StableParts }>(REUSED_ANSWERS)

  constructor(private readonly store: CouchStore, private readonly options: OverviewServiceOptions = {}) {
    this.engine = new OverviewEngine(store)
  }

  private now(): number {
    return this.options.now?.() ?? Math.floor(Date.now() / 1000 / CLOCK_SECONDS) * CLOCK_SECONDS
  }

  /** The retry list and the sync scope's membership, read again only when the settings database changed. */
  private async settings(): Promise<{ seq: string; value: SettingsFacts }> {
    const info = await this.store.raw<{ update_seq: unknown }>('read the settings information', { db: SETTINGS_DB, method: 'get' })
    const seq = JSON.stringify(info.update_seq)
    if (this.settingsRead?.seq === seq) return this.settingsRead
    const doc = (await this.store.getSettings()) as ScopeSettings
    const names = Array.isArray(doc.failed_workflows) ? doc.failed_workflows.filter((name): name is string => typeof name === 'string') : []
    const reasons = typeof doc.failed_reasons === 'object' && doc.failed_reasons !== null ? doc.failed_reasons : {}
    const failed = new Map(names.map((name) => [name, typeof reasons[name] === 'string' ? reasons[name]!.slice(0, 500) : 'failed in an earlier update run']))
    const value: SettingsFacts = { failed }
    if (typeof doc.last_dbs_update_date === 'number' && Number.isFinite(doc.last_dbs_update_date)) value.lastRun = doc.last_dbs_update_date
    const scope = doc.sync_scope && typeof doc.sync_scope === 'object' ? normaliseScope(doc.sync_scope) : undefined
    if (scope?.ok && isScoped(scope.value)) value.membership = ScopeMembership.fromSettings(doc)
    this.settingsRead = { seq, value }
    return this.settingsRead
  }

  /** The failed workflows now (what a look remembers). */
  async failedNames(): Promise<string[]> {
    return [...(await this.settings()).value.failed.keys()].sort()
  }

  /** What a selection needs from the store's views or the search box (outside the engine's turn). */
  private async resolve(selection: OverviewSelection): Promise<Resolved> {
    switch (selection.kind) {
      case 'field':
        switch (selection.field) {
          case 'output_dataset':
          case 'input_dataset':
          case 'request':
            return { names: await this.store.namesByViewKey(VIEW_OF[selection.field], selection.value) }
          case 'workflow_name':
            return { names: [selection.value] }
          default:
            return undefined
        }
      case 'search':
        return { names: (await new WorkflowSearch(this.store).findAllNames({ text: selection.text }, SEARCH_LIMIT)).names }
      case 'watchlist':
        if (!this.options.watchlistNames) throw new OverviewError('There is no watchlist here: it belongs to an operator\'s desktop app or `stats2 ui`.')
        return { names: await this.options.watchlistNames() }
      default:
        return undefined
    }
  }

  /** The selection's slots, in slot order. */
  private slots(table: FactsTable, selection: OverviewSelection, resolved: Resolved, settings: SettingsFacts): Int32Array {
    if (resolved) {
      const found = new Set<number>()
      for (const name of resolved.names) {
        const slot = table.slotOf(name)
        if (slot !== undefined) found.add(slot)
      }
      return Int32Array.from([...found].sort((a, b) => a - b))
    }
    const all = table.allSlots()
    if (selection.kind === 'scope') {
      const membership = settings.membership
      return membership ? all.filter((slot) => !membership.isExcluded(table.names[slot]!)) : all
    }
    if (selection.kind !== 'field') return all
    const id = table.strings.find(selection.value)
    if (id < 0) return new Int32Array(0)
    switch (selection.field) {
      case 'campaign':
        return all.filter((slot) => table.ids.campaign[slot] === id || (table.moreCampaigns[slot]?.includes(id) ?? false))
      case 'prepid':
        return all.filter((slot) => table.ids.prepId[slot] === id)
      case 'type':
        return all.filter((slot) => table.ids.requestType[slot] === id)
      case 'processing_string':
        return all.filter((slot) => table.ids.processingString[slot] === id)
      default:
        throw new OverviewError(`internal: ${selection.field} is resolved through a view`)
    }
  }

  /** Runs `use` on the current facts, the selection's slots (slot order) and the store's settings, in the engine's turn. */
  async withSelection<T>(selection: OverviewSelection, use: (table: FactsTable, slots: Int32Array, settings: SettingsFacts & { seq: string }) => T): Promise<T> {
    const [resolved, settings] = await Promise.all([this.resolve(selection), this.settings()])
    return this.engine.run((table) => use(table, this.slots(table, selection, resolved, settings.value), { ...settings.value, seq: settings.seq }))
  }

  private async computation(selection: OverviewSelection, request: OverviewRequest): Promise<OverviewComputation> {
    const now = request.now ?? this.now()
    const stallHours = request.stallHours ?? this.options.stallHours?.() ?? DEFAULT_STALL_HOURS
    const key = JSON.stringify([selectionKey(selection), request.look ?? null, stallHours])
    const computation = await this.withSelection(selection, (table, slots, settings) => {
      const print = fingerprint(slots)
      const reused = this.answers.get(key)
      if (reused && reused.version === table.version && reused.settingsSeq === settings.seq && reused.slots === print && reused.at === now) {
        return reused.computation
      }
      const computed = computeOverview(table, slots, {
        selection,
        now,
        stallHours,
        failed: settings.failed,
        ...(settings.lastRun !== undefined ? { lastRun: settings.lastRun } : {}),
        ...(request.look ? { look: request.look } : {}),
        source: this.engine.stats.source ?? 'view'
      }, this.stableParts(table, selection, slots, print))
      this.answers.set(key, { version: table.version, settingsSeq: settings.seq, slots: print, at: now, computation: computed })
      return computed
    })
    await this.nameDatasets(computation)
    return computation
  }

  /** The board, durations and families of a selection: computed again only when the facts changed. */
  private stableParts(table: FactsTable, selection: OverviewSelection, slots: Int32Array, print: string): StableParts {
    const key = selectionKey(selection)
    const kept = this.stable.get(key)
    if (kept && kept.version === table.version && kept.slots === print) return kept.parts
    const parts = computeStable(table, slots)
    this.stable.set(key, { version: table.version, slots: print, parts })
    return parts
  }

  /** Sets the dataset name of each listed "now VALID" entry (names are not kept in memory). */
  private async nameDatasets(computation: OverviewComputation): Promise<void> {
    const pending = computation.pendingDatasets.filter((item) => item.entry.detail === '')
    if (pending.length === 0) return
    const docs = await this.engine.documents([...new Set(pending.map((item) => item.entry.workflow))])
    for (const item of pending) {
      const outputs = (docs.get(item.entry.workflow) as { OutputDatasets?: unknown } | undefined)?.OutputDatasets
      const name = Array.isArray(outputs) ? outputs[item.output] : undefined
      item.entry.detail = typeof name === 'string' ? name : `output dataset ${item.output + 1}`
    }
  }

  async overview(selection: OverviewSelection, request: OverviewRequest = {}): Promise<OverviewView> {
    return (await this.computation(selection, request)).view
  }

  /** The JSON object of `stats2 overview --json` and `GET api/overview`. */
  async json(selection: OverviewSelection, request: Omit<OverviewRequest, 'look'> = {}): Promise<OverviewJson> {
    return overviewJson(await this.computation(selection, request))
  }

  /** One page of the workflows behind a cell, in the cell's order. */
  async list(selection: OverviewSelection, drill: OverviewDrill, page: number, pageSize: number, request: Omit<OverviewRequest, 'look'> = {}): Promise<{ total: number; names: string[] }> {
    const now = request.now ?? this.now()
    const stallHours = request.stallHours ?? this.options.stallHours?.() ?? DEFAULT_STALL_HOURS
    return this.withSelection(selection, (table, slots, settings) => {
      const attention = drill.reason
        ? computeAttention(table, slots, { now, stallSeconds: stallHours * 3600, failed: settings.failed, failedFallback: settings.lastRun ?? now })
        : undefined
      const picked = drillSlots(table, slots, drill, attention)
      return { total: picked.length, names: picked.slice(page * pageSize, (page + 1) * pageSize).map((slot) => table.names[slot]!) }
    })
  }
}
