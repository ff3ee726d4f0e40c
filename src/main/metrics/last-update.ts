/**
 * A summary of the last update-all in `all_settings` (`stats2_last_update`, an extra key the old
 * Stats2 ignores), so that `stats2 serve`'s `/metrics` can tell when the updater (a cron job, a
 * systemd timer, another machine) last ran, how long it took and what it did.
 */
import type { CouchStore } from '../store/couch-store'
import type { SettingsDoc } from '../../shared/stats2-doc'
import type { UpdateReport } from '../../shared/update-types'

export interface LastUpdateSummary {
  /** Unix seconds. */
  started: number
  finished: number
  changed: number
  written: number
  failed: number
  deleted: number
  /** Changes the ReqMgr2 feed held after the stored sequence when the run ended, when known. */
  behind?: number
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function summaryOf(report: UpdateReport, behind: number | undefined): LastUpdateSummary {
  return {
    started: Math.floor(report.startedAt / 1000),
    finished: Math.floor(report.finishedAt / 1000),
    changed: report.changed,
    written: report.written,
    failed: report.failed.length,
    deleted: report.deleted,
    ...(behind === undefined ? {} : { behind })
  }
}

export async function recordLastUpdate(store: CouchStore, summary: LastUpdateSummary): Promise<void> {
  await store.updateSettings((doc) => ({ ...doc, stats2_last_update: summary }) as SettingsDoc)
}

export function lastUpdateOf(settings: SettingsDoc): LastUpdateSummary | undefined {
  const value = (settings as SettingsDoc & { stats2_last_update?: unknown }).stats2_last_update
  if (!isRecord(value)) return undefined
  const number = (key: string): number | undefined => (typeof value[key] === 'number' && Number.isFinite(value[key]) ? value[key] : undefined)
  const started = number('started')
  const finished = number('finished')
  if (started === undefined || finished === undefined) return undefined
  const behind = number('behind')
  return { started, finished, changed: number('changed') ?? 0, written: number('written') ?? 0, failed: number('failed') ?? 0, deleted: number('deleted') ?? 0, ...(behind === undefined ? {} : { behind }) }
}

/**
 * After an update-all: how far the stored sequence is behind ReqMgr2's feed now (one changes call
 * with `limit=1`: its row and its `pending`), kept with the run's summary in `all_settings`.
 * Undefined when ReqMgr2 does not say (`pending` absent) or cannot be asked; never fails the run.
 */
export async function recordUpdateAll(
  store: CouchStore,
  report: UpdateReport,
  changes: (since: string | number, options: { limit: number }) => Promise<{ results: unknown[]; pending?: number }>,
  warn: (message: string) => void
): Promise<number | undefined> {
  let behind: number | undefined
  if (report.lastSequence !== undefined && !report.cancelled) {
    try {
      const page = await changes(report.lastSequence, { limit: 1 })
      if (typeof page.pending === 'number') behind = page.results.length + page.pending
    } catch (error) {
      warn(`could not ask ReqMgr2 how far the store is behind: ${(error as Error).message}`)
    }
  }
  try {
    await recordLastUpdate(store, summaryOf(report, behind))
  } catch (error) {
    warn(`could not record the update's summary in all_settings: ${(error as Error).message}`)
  }
  return behind
}
