/**
 * What the overview answers: the view the dashboard draws (IPC `getOverview`), and the one JSON object
 * `stats2 overview --json` and `GET <base>/api/overview` print (with its zod schema, which the tests
 * and any client can check answers against). Times are unix seconds in the view, ISO 8601 in the JSON.
 */
import { z } from 'zod'
import type { OverviewSelection } from './selection'
import type { WorkflowRow } from '../search-types'

export const ATTENTION_REASONS = ['stalled', 'past-eta', 'invalid-output', 'update-failed'] as const
export type AttentionReason = (typeof ATTENTION_REASONS)[number]

export const ATTENTION_LABELS: Record<AttentionReason, string> = {
  stalled: 'Stalled',
  'past-eta': 'Past their ETA',
  'invalid-output': 'Output INVALID or DELETED',
  'update-failed': 'Update failed'
}

/** Workflows of one board cell and the events of their final datasets. */
export interface BoardCell {
  workflows: number
  events: number
  expected: number
  /** Unix seconds when the cell's remaining events are done at its current rate (docs/overview.md). */
  eta?: number
}

/** A row of the board: one campaign or priority block, with its total and one cell per status. */
export interface BoardRow extends BoardCell {
  key: string
  label: string
  byStatus: Record<string, BoardCell>
}

export interface Board {
  /** The statuses present, in life-cycle order (the columns). */
  statuses: string[]
  byStatus: Record<string, BoardCell>
  /** Every readable workflow of the selection. */
  total: BoardCell
  /** Most workflows first. */
  byCampaign: BoardRow[]
  /** Block 0 to 7. */
  byPriorityBlock: BoardRow[]
}

export interface DurationStats {
  /** Workflows that made this transition (one value each: their time in `from` before `to`, summed if they made it twice). */
  n: number
  medianH: number
  p90H: number
  maxH: number
}

export interface DurationRow extends DurationStats {
  pair: string
  from: string
  to: string
  /** Counts per bin of DURATION_BINS. */
  histogram: number[]
}

/** Upper bounds (hours) of the distribution chart's bins; the last bin is open. */
export const DURATION_BIN_HOURS = [1, 3, 6, 12, 24, 48, 96, 168, 336, 672] as const
export const DURATION_BIN_LABELS = ['< 1 h', '1–3 h', '3–6 h', '6–12 h', '12–24 h', '1–2 d', '2–4 d', '4–7 d', '1–2 w', '2–4 w', '≥ 4 w'] as const

export interface Durations {
  /** In life-cycle order of `from`, then of `to`. */
  pairs: DurationRow[]
  /** The largest campaigns (at most DURATION_CAMPAIGNS), each with its own pairs. */
  byCampaign: Array<{ campaign: string; workflows: number; pairs: DurationRow[] }>
}

export interface SlowEntry {
  workflow: string
  status: string
  /** When it entered its status. */
  since: number
  hours: number
}

export interface AttentionItem {
  workflow: string
  reason: AttentionReason
  since: number
  /** Why, in words (the dataset, the failure's reason, how long). */
  detail: string
}

export interface AttentionSummary {
  /** Entries per reason, however many were listed. */
  counts: Record<AttentionReason, number>
  total: number
  /** By reason, then oldest first; at most the limit of the answer per reason. */
  entries: AttentionItem[]
}

export interface FamilyMember {
  workflow: string
  status: string
  resubmission: boolean
  events: number
  expected: number
}

/** An original request and its Resubmissions (ACDC), grouped by PrepID. */
export interface AcdcFamily {
  prepId: string
  /** The oldest non-Resubmission member, if the selection holds one. */
  original?: string
  members: FamilyMember[]
  /** Combined: the furthest final-dataset count of the members (they write into the same datasets). */
  events: number
  /** The original's expected events (the largest of the non-Resubmission members). */
  expected: number
  /** When the first Resubmission was created. */
  since?: number
}

export const SINCE_KINDS = ['new-workflow', 'status', 'dataset-valid', 'update-failed'] as const
export type SinceKind = (typeof SINCE_KINDS)[number]

export const SINCE_LABELS: Record<SinceKind, string> = {
  'new-workflow': 'New workflows',
  status: 'Status changes',
  'dataset-valid': 'Datasets now VALID',
  'update-failed': 'New update failures'
}

export interface SinceEntry {
  kind: SinceKind
  workflow: string
  /** When it happened (a new failure: undefined, it is known only to have happened since). */
  time?: number
  detail: string
}

export interface SinceLook {
  /** The previous look (unix seconds). */
  since: number
  counts: Record<SinceKind, number>
  total: number
  /** Newest first, at most the answer's limit. */
  entries: SinceEntry[]
}

/** What a look remembers: when, and the failed workflows then (desktop: a file; serve: the browser). */
export interface OverviewLook {
  time: number
  failed: string[]
}

export interface OverviewView {
  selection: OverviewSelection
  /** The selection in words. */
  label: string
  /** Unix seconds the answer was computed for. */
  now: number
  stallHours: number
  /** Workflows in the selection, readable or not. */
  total: number
  notReadable: { count: number; examples: Array<{ workflow: string; issue: string }> }
  board: Board
  durations: Durations
  /** The 20 workflows longest in their current status (statuses with nothing left to do but archiving left out). */
  slowest: SlowEntry[]
  attention: AttentionSummary
  families: { total: number; entries: AcdcFamily[] }
  sinceLook?: SinceLook
  /** What to remember as this look. */
  lookNow: OverviewLook
  /** How the facts were read: the store's facts view, or whole documents (a read-only CouchDB without it). */
  source: 'view' | 'documents'
}

// ---- the JSON object of `stats2 overview --json` and `api/overview` -----------------------------

const count = z.number().int().min(0)
const cellSchema = z.object({ workflows: count, events: z.number(), expected: z.number(), eta: z.string().optional() }).strict()
const groupSchema = cellSchema.extend({ byStatus: z.record(z.string(), cellSchema) }).strict()

export const overviewJsonSchema = z.object({
  total: count,
  notReadable: count,
  byStatus: z.record(z.string(), cellSchema),
  byCampaign: z.record(z.string(), groupSchema),
  byPriorityBlock: z.record(z.string(), groupSchema),
  durations: z.record(z.string().regex(/^.+\u2192.+$/), z.object({ n: count, medianH: z.number(), p90H: z.number(), maxH: z.number() }).strict()),
  attention: z.array(z.object({
    workflow: z.string(),
    reason: z.enum(ATTENTION_REASONS),
    since: z.string(),
    detail: z.string()
  }).strict()),
  attentionTotal: count,
  acdcFamilies: z.array(z.object({
    prepid: z.string(),
    original: z.string().optional(),
    workflows: z.array(z.string()),
    events: z.number(),
    expected: z.number(),
    since: z.string().optional()
  }).strict())
}).strict()

export type OverviewJson = z.infer<typeof overviewJsonSchema>

// ---- the dashboard's other answers ----------------------------------------------------------

/** A look as the renderer hands it back (from `markOverviewLook`, or the browser's storage). */
export const overviewLookSchema = z.object({
  time: z.number().min(0).max(8.64e12),
  failed: z.array(z.string().max(1000)).max(5000).refine((names) => names.reduce((sum, name) => sum + name.length, 0) <= 400_000, 'the failed names of a look are under 400 000 characters in all')
}).strict()

/**
 * Where this operator's last look is kept: by the app (desktop, `stats2 ui`: a file in the settings
 * folder, swapped for now by `markOverviewLook`), or by the browser (the read-only `stats2 serve`
 * dashboard, which keeps nothing per operator).
 */
export type LookAnswer = { where: 'app'; previous?: OverviewLook } | { where: 'browser' }

/** One page of the workflows behind an overview cell, as result rows. */
export interface OverviewListResult {
  total: number
  page: number
  pageSize: number
  rows: WorkflowRow[]
}
