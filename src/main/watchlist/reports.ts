/** Two update runs told as one (the watchlist's pinned workflows first, then the rest). Pure. */
import type { UpdateReport } from '../../shared/update-types'

export function mergeReports(first: UpdateReport, second: UpdateReport): UpdateReport {
  const failed = new Map(first.failed.map((failure) => [failure.name, failure]))
  // The later run's verdict on a workflow wins: updated fine in the second run means not failed.
  for (const failure of second.failed) failed.set(failure.name, failure)
  return {
    scope: second.scope,
    startedAt: first.startedAt,
    finishedAt: second.finishedAt,
    changed: first.changed + second.changed,
    deleted: first.deleted + second.deleted,
    written: first.written + second.written,
    unchanged: first.unchanged + second.unchanged,
    recalculated: first.recalculated + second.recalculated,
    historyAdded: first.historyAdded + second.historyAdded,
    failed: [...failed.values()],
    ...(second.lastSequence !== undefined ? { lastSequence: second.lastSequence } : first.lastSequence !== undefined ? { lastSequence: first.lastSequence } : {}),
    notifications: { sent: first.notifications.sent + second.notifications.sent, failed: first.notifications.failed + second.notifications.failed },
    warnings: [...first.warnings, ...second.warnings],
    cancelled: first.cancelled || second.cancelled
  }
}
