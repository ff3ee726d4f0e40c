/**
 * The watchlist: PrepIDs, campaigns and single workflows an operator pins. Pinned workflows are
 * updated first and raise notifications (a dataset VALID, a final status, stalled progress, a failed
 * update). Shared by main (storage, detection) and the renderer (view, Web Notifications).
 */
import type { PinnedItems } from './sync-scope'
import { z } from 'zod'
import type { WorkflowView } from './workflow-view'

export const WATCH_KINDS = ['prepid', 'campaign', 'workflow'] as const
export type WatchKind = (typeof WATCH_KINDS)[number]

export const WATCH_KIND_LABELS: Record<WatchKind, string> = { prepid: 'PrepID', campaign: 'Campaign', workflow: 'Workflow' }

/** At most this many pinned items (each PrepID or campaign may stand for many workflows). */
export const MAX_WATCH_ITEMS = 200
/** Default and bounds of "no new events for this long while running" (hours). */
export const DEFAULT_STALL_HOURS = 24
export const MIN_STALL_HOURS = 1
export const MAX_STALL_HOURS = 24 * 30

export const watchItemSchema = z.object({
  kind: z.enum(WATCH_KINDS),
  value: z
    .string()
    .trim()
    .min(1, 'a PrepID, campaign or workflow name is needed')
    .max(300, 'a pinned name is under 300 characters')
    .regex(/^[A-Za-z0-9_.\-+]+$/, 'a pinned name has only letters, digits and _ . - +')
}).strict()
export type WatchItem = z.infer<typeof watchItemSchema>

export const stallHoursSchema = z.number().int().min(MIN_STALL_HOURS).max(MAX_STALL_HOURS)

export type WatchEventKind = 'dataset-valid' | 'status' | 'stalled' | 'update-failed'

/** One notification: what happened to which pinned workflow. */
export interface WatchEvent {
  /** Unique per fact (workflow + what), so the same fact is never notified twice. */
  id: string
  kind: WatchEventKind
  /** The workflow; empty for a failure of the whole watchlist update. */
  workflow: string
  title: string
  body: string
  /** Unix seconds it was detected. */
  time: number
}

export interface WatchedItemView {
  item: WatchItem
  /**
   * How many stored workflows it stands for, and the first of them: each checked at the contract
   * boundary and with its newest history entry only (a document that does not fit is shown raw).
   */
  total: number
  workflows: WorkflowView[]
  error?: string
}

export interface WatchlistView {
  items: WatchedItemView[]
  stallHours: number
  /** The newest notifications, newest first. */
  recent: WatchEvent[]
}

export const sameWatchItem = (a: WatchItem, b: WatchItem): boolean => a.kind === b.kind && a.value === b.value

/** One notification as shown by the system (Electron's Notification, or the Web Notifications API). */
export interface ShownNotification {
  title: string
  body: string
  /** Same tag, same notification slot (a repeat replaces rather than piles up). */
  tag: string
}

/**
 * The notifications to show for a batch of events: each one up to `max`, then one summary, so that
 * forty datasets turning VALID in one update do not flood the desktop.
 */
export function notificationsToShow(events: readonly WatchEvent[], max = 4): ShownNotification[] {
  const shown = events.slice(0, events.length > max ? max - 1 : max).map((event) => ({ title: `Stats2: ${event.title}`, body: event.body, tag: event.id }))
  const rest = events.length - shown.length
  if (rest > 0) shown.push({ title: `Stats2: ${rest} more watchlist events`, body: 'Open the Watchlist to see them all.', tag: 'stats2-watchlist-more' })
  return shown
}

/** The watchlist as sync-scope additions: pinned items are always synced, whatever the scope. */
export function pinnedItems(items: readonly WatchItem[]): PinnedItems {
  const of = (kind: WatchItem['kind']): string[] => items.filter((item) => item.kind === kind).map((item) => item.value)
  return { campaigns: of('campaign'), prepIds: of('prepid'), workflows: of('workflow') }
}
