/**
 * Keeping the store healthy after a run, instead of the old Stats2's cron of `_compact` and
 * `_view_cleanup` calls: compact a database when most of its file is garbage, clean up old view
 * indexes, and warm the views so the next search does not pay for the index update.
 */
import { createLogger } from '../log/logger'
import { REQUESTS_DB, SETTINGS_DB } from '../../shared/stats2-doc'
import type { CouchStore } from './couch-store'
import { DESIGN_DOC_ID, VIEW_NAMES } from './design-docs'

const log = createLogger('store')

export interface MaintenanceReport {
  compacted: string[]
  warmedMs: number
}

/** Fragmented = the file is at least `ratio` times the live data and bigger than `minBytes`. */
export function isFragmented(fileSize: number | undefined, activeSize: number | undefined, ratio = 2, minBytes = 16 * 1024 * 1024): boolean {
  if (fileSize === undefined || activeSize === undefined) return false
  return fileSize >= minBytes && fileSize >= ratio * Math.max(activeSize, 1)
}

/** Queries every view with limit=0: the index catches up with the writes of the run. */
export async function warmViews(store: CouchStore): Promise<number> {
  const started = Date.now()
  for (const view of VIEW_NAMES) await store.queryView(view, { limit: 0 })
  return Date.now() - started
}

export async function maintainStore(store: CouchStore): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { compacted: [], warmedMs: 0 }
  const info = await store.info()
  for (const db of [REQUESTS_DB, SETTINGS_DB]) {
    const sizes = info.databases[db]
    if (!sizes || !isFragmented(sizes.fileSize, sizes.activeSize)) continue
    log.info(`compacting ${db}: file ${sizes.fileSize} B for ${sizes.activeSize} B of live data`)
    await store.raw(`compact ${db}`, { db, path: '_compact', method: 'post', body: {} })
    report.compacted.push(db)
  }
  if (report.compacted.includes(REQUESTS_DB)) {
    await store.raw('compact the views', { db: REQUESTS_DB, path: `_compact/${DESIGN_DOC_ID.slice('_design/'.length)}`, method: 'post', body: {} })
    await store.raw('clean up old view indexes', { db: REQUESTS_DB, path: '_view_cleanup', method: 'post', body: {} })
  }
  report.warmedMs = await warmViews(store)
  return report
}
