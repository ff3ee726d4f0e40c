/**
 * One overview of a selection, from the facts table: the board, durations and slow tail, what needs
 * attention, the ACDC families and what changed since the last look; then the dashboard's view
 * (lists bounded for drawing) and the JSON object of the CLI and the API (lists bounded too).
 */
import { computeAttention, computeFamilies, type AttentionList } from './attention'
import { computeBoard } from './board'
import { computeDurations, computeSlowTail } from './durations'
import type { FactsTable } from './facts-table'
import type { OverviewSelection } from './selection'
import { selectionLabel } from './selection'
import { computeSinceLook, type PendingDataset } from './since-look'
import type { AcdcFamily, Board, BoardCell, BoardRow, Durations, OverviewJson, OverviewLook, OverviewView } from './types'

/** Entries per reason in the dashboard's answer (the counts say how many there are). */
export const VIEW_ATTENTION_PER_REASON = 200
export const VIEW_FAMILIES = 200
export const VIEW_SINCE_ENTRIES = 500
/** Entries in the JSON object (`attentionTotal` says how many there are). */
export const JSON_ATTENTION = 10_000
export const JSON_FAMILIES = 2_000
/** Failed workflows a look remembers, and their names' length in all (a look travels back with every request). */
export const LOOK_FAILED = 5_000
export const LOOK_FAILED_CHARS = 400_000

/**
 * The first names (in the given order) whose lengths add up to at most `maxChars`, at most `max`
 * of them. A retry list longer than that is remembered in part: a failure beyond it may be told
 * again as new at the next look.
 */
export function boundedNames(names: readonly string[], maxChars: number, max = LOOK_FAILED): string[] {
  const out: string[] = []
  let chars = 0
  for (const name of names) {
    if (out.length >= max || chars + name.length + 3 > maxChars) break
    out.push(name)
    chars += name.length + 3
  }
  return out
}
const NOT_READABLE_EXAMPLES = 20

export interface ComputeOptions {
  selection: OverviewSelection
  /** Unix seconds. */
  now: number
  stallHours: number
  /** The store's retry list: name → reason. */
  failed: ReadonlyMap<string, string>
  /** The store's last update run (unix seconds), for failures of workflows never written. */
  lastRun?: number
  /** The previous look, when the caller wants what changed since. */
  look?: OverviewLook
  source: OverviewView['source']
}

export interface OverviewComputation {
  view: OverviewView
  /** Every attention entry, by reason, oldest first (made when read). */
  attention: AttentionList
  families: AcdcFamily[]
  /** Dataset entries of `view.sinceLook` waiting for their dataset's name. */
  pendingDatasets: PendingDataset[]
}

/**
 * The parts that depend on the facts alone, not on the time: the board, the durations, the ACDC
 * families, what is not readable. The service keeps them per selection until the facts change.
 */
export interface StableParts {
  board: Board
  durations: Durations
  families: AcdcFamily[]
  notReadable: OverviewView['notReadable']
}

export function computeStable(table: FactsTable, slots: Int32Array): StableParts {
  const { board, unreadable } = computeBoard(table, slots)
  return {
    board,
    durations: computeDurations(table, slots),
    families: computeFamilies(table, slots),
    notReadable: {
      count: unreadable.length,
      examples: unreadable.slice(0, NOT_READABLE_EXAMPLES).map((slot) => ({ workflow: table.names[slot]!, issue: (table.issues.get(slot) ?? ['does not fit the document schema']).join('; ') }))
    }
  }
}

export function computeOverview(table: FactsTable, slots: Int32Array, options: ComputeOptions, stable: StableParts = computeStable(table, slots)): OverviewComputation {
  const slowest = computeSlowTail(table, slots, options.now)
  const attention = computeAttention(table, slots, {
    now: options.now,
    stallSeconds: options.stallHours * 3600,
    failed: options.failed,
    failedFallback: options.lastRun ?? options.now
  })
  const since = options.look ? computeSinceLook(table, slots, options.look, options.failed, VIEW_SINCE_ENTRIES) : undefined
  const view: OverviewView = {
    selection: options.selection,
    label: selectionLabel(options.selection),
    now: options.now,
    stallHours: options.stallHours,
    total: slots.length,
    notReadable: stable.notReadable,
    board: stable.board,
    durations: stable.durations,
    slowest,
    attention: { counts: attention.counts, total: attention.total, entries: attention.entries(VIEW_ATTENTION_PER_REASON) },
    families: { total: stable.families.length, entries: stable.families.slice(0, VIEW_FAMILIES) },
    lookNow: { time: options.now, failed: boundedNames([...options.failed.keys()].sort(), LOOK_FAILED_CHARS) },
    source: options.source
  }
  if (since) view.sinceLook = since.look
  return { view, attention, families: stable.families, pendingDatasets: since?.datasets ?? [] }
}

const iso = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString()

function jsonCell(cell: BoardCell): OverviewJson['byStatus'][string] {
  const out: OverviewJson['byStatus'][string] = { workflows: cell.workflows, events: cell.events, expected: cell.expected }
  if (cell.eta !== undefined) out.eta = iso(cell.eta)
  return out
}

function jsonGroups(rows: BoardRow[]): OverviewJson['byCampaign'] {
  const out: OverviewJson['byCampaign'] = {}
  for (const row of rows) {
    out[row.key] = { ...jsonCell(row), byStatus: Object.fromEntries(Object.entries(row.byStatus).map(([status, cell]) => [status, jsonCell(cell)])) }
  }
  return out
}

/** The JSON object of `stats2 overview --json` and `GET api/overview` (overviewJsonSchema). */
export function overviewJson(computation: OverviewComputation): OverviewJson {
  const { view } = computation
  return {
    total: view.total,
    notReadable: view.notReadable.count,
    byStatus: Object.fromEntries(Object.entries(view.board.byStatus).map(([status, cell]) => [status, jsonCell(cell)])),
    byCampaign: jsonGroups(view.board.byCampaign),
    byPriorityBlock: jsonGroups(view.board.byPriorityBlock),
    durations: Object.fromEntries(view.durations.pairs.map((row) => [row.pair, { n: row.n, medianH: row.medianH, p90H: row.p90H, maxH: row.maxH }])),
    attention: computation.attention.entries(Number.POSITIVE_INFINITY, JSON_ATTENTION).map((item) => ({ workflow: item.workflow, reason: item.reason, since: iso(item.since), detail: item.detail })),
    attentionTotal: computation.attention.total,
    acdcFamilies: computation.families.slice(0, JSON_FAMILIES).map((family) => {
      const out: OverviewJson['acdcFamilies'][number] = {
        prepid: family.prepId,
        workflows: family.members.map((member) => member.workflow),
        events: family.events,
        expected: family.expected
      }
      if (family.original !== undefined) out.original = family.original
      if (family.since !== undefined) out.since = iso(family.since)
      return out
    })
  }
}
