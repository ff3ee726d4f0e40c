/**
 * `stats2 update --metrics-file PATH`: the run's metrics in Prometheus' text format, for
 * node_exporter's textfile collector (`--collector.textfile.directory`), written atomically (a
 * temporary file in the same folder, then renamed over the old one: the collector never reads half
 * a file). Written also when the run fails, with `stats2_update_success 0`, so that an alert can
 * fire on it. Every name starts with `stats2_update_`; the values are the last run's.
 */
import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { Gauge, Registry } from 'prom-client'
import type { CallObserver } from '../cmsweb/client'
import type { UpdateReport } from '../../shared/update-types'
import { cmswebMetrics } from './cmsweb-metrics'
import { OptionalGauge } from './optional-gauge'

export class MetricsFileError extends Error {
  override name = 'MetricsFileError'
}

export interface UpdateMetrics {
  registry: Registry
  /** Feeds the cmsweb metrics of this run. */
  cmsweb: CallObserver
  /** Sets the run's outcome: its report, or the error that stopped it. */
  finish(outcome: { report: UpdateReport; behind?: number } | { error: unknown; startedAt: number }): void
}

export function updateMetrics(): UpdateMetrics {
  const registry = new Registry()
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge<string> => new Gauge({ name, help, labelNames, registers: [registry] })
  const success = gauge('stats2_update_success', '1 when the last run completed (failed workflows do not count), 0 when it could not proceed or was stopped', ['scope'])
  const finished = gauge('stats2_update_last_run_timestamp_seconds', 'When the last run ended (unix seconds)', ['scope'])
  const duration = gauge('stats2_update_duration_seconds', 'How long the last run took', ['scope'])
  const workflows = gauge('stats2_update_workflows', 'Workflows of the last run by outcome: changed (to update), written, unchanged, failed, deleted, recalculated', ['scope', 'outcome'])
  const history = gauge('stats2_update_history_entries_added', 'History entries the last run added', ['scope'])
  let behindValue: number | undefined
  new OptionalGauge({
    name: 'stats2_update_reqmgr_changes_behind', help: 'Changes the ReqMgr2 feed held after the stored sequence when the last update-all ended (update-all only)',
    registers: [registry], read: () => behindValue
  })
  const cmsweb = cmswebMetrics(registry, 'stats2_update_cmsweb')
  return {
    registry,
    cmsweb,
    finish(outcome) {
      const now = Date.now()
      if ('report' in outcome) {
        const { report } = outcome
        const scope = report.scope
        success.set({ scope }, report.cancelled ? 0 : 1)
        finished.set({ scope }, Math.floor(report.finishedAt / 1000))
        duration.set({ scope }, (report.finishedAt - report.startedAt) / 1000)
        const counts: Record<string, number> = {
          changed: report.changed, written: report.written, unchanged: report.unchanged, failed: report.failed.length, deleted: report.deleted, recalculated: report.recalculated
        }
        for (const [name, value] of Object.entries(counts)) workflows.set({ scope, outcome: name }, value)
        history.set({ scope }, report.historyAdded)
        behindValue = outcome.behind
      } else {
        success.set({ scope: 'unknown' }, 0)
        finished.set({ scope: 'unknown' }, Math.floor(now / 1000))
        duration.set({ scope: 'unknown' }, (now - outcome.startedAt) / 1000)
      }
    }
  }
}

/** Writes `text` to `path` atomically: a temporary file beside it (same file system), then a rename. */
export async function writeMetricsFile(path: string, text: string): Promise<void> {
  const folder = dirname(path)
  const temp = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await fs.writeFile(temp, text, { mode: 0o644 })
    await fs.rename(temp, path)
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined)
    const code = (error as NodeJS.ErrnoException).code
    throw new MetricsFileError(`Cannot write the metrics file ${path}: ${code === 'ENOENT' ? `the folder ${folder} does not exist` : code === 'EACCES' ? 'permission denied' : (error as Error).message}`)
  }
}
