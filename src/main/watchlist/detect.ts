/**
 * What deserves a notification, decided from a pinned workflow's document before and after an
 * update. Pure: the caller keeps, per workflow, the keys of facts already notified, so the same
 * fact (this dataset VALID, this final status, this stall, this failure) is told once.
 *
 * - a dataset whose Type became VALID (it was not VALID in the previous document);
 * - a status reached among completed, announced, rejected, failed (and not the previous status);
 * - progress stalled: running, and no new history entry for `stallSeconds`;
 * - the update of the workflow failed (told again only after a successful update in between).
 *
 * A workflow seen for the first time (no previous document: just pinned, or new in a pinned PrepID)
 * sets a baseline: what is already true is recorded without a notification. A stall or a failure
 * is told even then, since it is a present problem rather than news.
 */
import type { WorkflowDoc } from '../../shared/stats2-doc'
import type { WatchEvent } from '../../shared/watchlist'
import { newestEntry } from '../../shared/rules/completion'
import { groupDigits } from '../../shared/rules/size'
import { elapsedHoursText } from '../../shared/rules/time-ago'

export const FINAL_STATUSES = ['completed', 'announced', 'rejected', 'failed'] as const
export const RUNNING_STATUSES = ['running-open', 'running-closed'] as const

export interface DetectInput {
  workflow: string
  previous: WorkflowDoc | undefined
  /** The document after the update; undefined when it is not (or no longer) in the store. */
  next: WorkflowDoc | undefined
  /** Keys already notified for this workflow. */
  notified: readonly string[]
  /** Unix seconds. */
  now: number
  stallSeconds: number
  /** Why this workflow's update failed in this run, if it did. */
  failure?: string
}

export interface DetectOutput {
  events: WatchEvent[]
  /** The keys to keep for next time (only what is still true, so the state stays small). */
  notified: string[]
}

/** The newest status by UpdateTime (the later one of equal times). */
export function currentStatus(doc: WorkflowDoc | undefined): { status: string; time: number } | undefined {
  let best: { status: string; time: number } | undefined
  for (const transition of doc?.RequestTransition ?? []) {
    if (typeof transition?.Status !== 'string' || typeof transition.UpdateTime !== 'number') continue
    if (!best || transition.UpdateTime >= best.time) best = { status: transition.Status, time: transition.UpdateTime }
  }
  return best
}

function validDatasets(doc: WorkflowDoc | undefined): Map<string, number> {
  const valid = new Map<string, number>()
  const newest = doc ? newestEntry(doc.EventNumberHistory) : undefined
  for (const [dataset, stat] of Object.entries(newest?.Datasets ?? {})) {
    if (stat?.Type === 'VALID') valid.set(dataset, stat.Events)
  }
  return valid
}

export function detectWatchEvents(input: DetectInput): DetectOutput {
  const { workflow, previous, next, now } = input
  const told = new Set(input.notified)
  const keep = new Set<string>()
  const events: WatchEvent[] = []
  const firstSight = previous === undefined
  const tell = (key: string, event: Omit<WatchEvent, 'id' | 'workflow' | 'time'>, quietly = false): void => {
    keep.add(key)
    if (told.has(key) || quietly) return
    events.push({ id: `${workflow}|${key}`, workflow, time: now, ...event })
  }

  if (input.failure !== undefined) {
    tell('update-failed', { kind: 'update-failed', title: 'Update failed', body: `${workflow}: ${input.failure.slice(0, 300)}` })
  }
  if (!next) return { events, notified: [...keep] }

  const status = currentStatus(next)
  const before = currentStatus(previous)
  if (status && (FINAL_STATUSES as readonly string[]).includes(status.status)) {
    tell(`status:${status.status}`, { kind: 'status', title: `Workflow ${status.status}`, body: workflow }, firstSight || before?.status === status.status)
  }

  const wasValid = validDatasets(previous)
  for (const [dataset, events_] of validDatasets(next)) {
    tell(
      `valid:${dataset}`,
      { kind: 'dataset-valid', title: 'Dataset VALID', body: `${dataset} is VALID (${groupDigits(events_)} events) — ${workflow}` },
      firstSight || wasValid.has(dataset)
    )
  }

  if (status && (RUNNING_STATUSES as readonly string[]).includes(status.status)) {
    // Progress is measured from the newest history entry, or from when it started running.
    const since = Math.max(newestEntry(next.EventNumberHistory)?.Time ?? 0, status.time)
    if (now - since >= input.stallSeconds) {
      tell(`stalled:${since}`, { kind: 'stalled', title: 'Progress stalled', body: `${workflow}: no new events for ${elapsedHoursText(now - since)} while ${status.status}` })
    }
  }
  return { events, notified: [...keep] }
}
