/** Small display helpers for workflow documents. Pure. */
import type { Transition, WorkflowDoc } from '../../../shared/stats2-doc'
import { expectedTotal } from '../../../shared/rules/completion'
import { groupDigits } from '../../../shared/rules/size'
import { timeAgo } from '../../../shared/rules/time-ago'

/** Distinct non-empty strings of a list the documents type as `unknown[]` (Campaigns, Requests), in order. */
export function distinctStrings(values: readonly unknown[] | undefined): string[] {
  const seen = new Set<string>()
  for (const value of values ?? []) if (typeof value === 'string' && value !== '') seen.add(value)
  return [...seen]
}

export function lastTransition(doc: Pick<WorkflowDoc, 'RequestTransition'>): Transition | undefined {
  const list = doc.RequestTransition ?? []
  return list.length > 0 ? list[list.length - 1] : undefined
}

/** "1,234,567 events", "812 lumis", or "unknown" when ReqMgr2 gave none (-1). */
export function expectedLabel(doc: WorkflowDoc): string {
  return expectedText(expectedTotal(doc))
}

export function expectedText({ unit, total }: { unit: string; total: number }): string {
  return total > 0 ? `${groupDigits(total)} ${unit}` : `unknown ${unit}`
}

/** "in 2d", "in 3h 5min": the time until a future moment, in the "N ago" units. */
export function timeUntil(seconds: number, now: number): string {
  return seconds <= now ? 'now' : `in ${timeAgo(now, seconds)}`
}

export function workflowName(doc: Pick<WorkflowDoc, '_id' | 'RequestName'>): string {
  return doc.RequestName ?? doc._id
}

const HOUR = 3600
const DAY = 86_400
/** Tick steps a time axis may use, aligned to UTC hours and days. */
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 56 * DAY, 91 * DAY, 182 * DAY, 364 * DAY]

/** Round UTC times between min and max (unix seconds), at most `maxCount` of them. */
export function timeTicks(min: number, max: number, maxCount = 8): number[] {
  if (!(max > min)) return Number.isFinite(min) ? [min] : []
  const span = max - min
  const step = TICK_STEPS.find((candidate) => span / candidate <= maxCount) ?? Math.ceil(span / maxCount / DAY) * DAY
  const ticks: number[] = []
  for (let tick = Math.ceil(min / step) * step; tick <= max; tick += step) ticks.push(tick)
  return ticks
}

/** A tick label: the date when ticks are a day or more apart, else date and time, with seconds when needed (UTC). */
export function formatAxisTime(seconds: number, stepSeconds: number): string {
  const iso = new Date(seconds * 1000).toISOString()
  if (stepSeconds >= DAY) return iso.slice(0, 10)
  if (stepSeconds > 0 && stepSeconds < 60) return iso.slice(11, 19)
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`
}

/**
 * Unix seconds from a time the main process may give in seconds (history, status) or in
 * milliseconds (the updater's `startedAt` / `finishedAt` are `Date.now()`).
 */
export function toSeconds(time: number): number {
  return time > 1e11 ? time / 1000 : time
}
