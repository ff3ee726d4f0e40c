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

/** Extra key of `all_settings`: each database's file size right after its last compaction. */
interface CompactionMemory {
  compacted_file_size?: Record<string, number>
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

/**
 * Compacts what is fragmented, cleans up view indexes, warms the views. Where the server reports
 * no live-data size (the embedded store), the file is compared with its size after the previous
 * compaction instead: twice as big means mostly old revisions.
 */
export async function maintainStore(store: CouchStore, options: { ratio?: number; minBytes?: number } = {}): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { compacted: [], warmedMs: 0 }
  const info = await store.info()
  const memory = ((await store.getSettings()) as CompactionMemory).compacted_file_size ?? {}
  for (const db of [REQUESTS_DB, SETTINGS_DB]) {
    const sizes = info.databases[db]
    if (!sizes || sizes.fileSize === undefined) continue
    const baseline = sizes.activeSize ?? memory[db]
    if (baseline === undefined || !isFragmented(sizes.fileSize, baseline, options.ratio, options.minBytes)) continue
    log.info(`compacting ${db}: file ${sizes.fileSize} B for ${baseline} B ${sizes.activeSize === undefined ? 'after the last compaction' : 'of live data'}`)
    await store.raw(`compact ${db}`, { db, path: '_compact', method: 'post', body: {} })
    report.compacted.push(db)
  }
  if (report.compacted.includes(REQUESTS_DB)) {
    try {
      await store.raw('compact the views', { db: REQUESTS_DB, path: `_compact/${DESIGN_DOC_ID.slice('_design/'.length)}`, method: 'post', body: {} })
    } catch (error) {
      log.debug(`view compaction not offered by this server: ${(error as Error).message}`)
    }
    await store.raw('clean up old view indexes', { db: REQUESTS_DB, path: '_view_cleanup', method: 'post', body: {} })
  }
  const after = await store.info()
  const needsBaseline = [REQUESTS_DB, SETTINGS_DB].filter((db) => {
    const sizes = after.databases[db]
    return sizes?.activeSize === undefined && sizes?.fileSize !== undefined && (report.compacted.includes(db) || memory[db] === undefined)
  })
  if (needsBaseline.length > 0) {
    await store.updateSettings((doc) => {
      const sizes = { ...((doc as CompactionMemory).compacted_file_size ?? {}) }
      for (const db of needsBaseline) sizes[db] = after.databases[db]!.fileSize!
      return { ...doc, compacted_file_size: sizes } as typeof doc
    })
  }
  report.warmedMs = await warmViews(store)
  return report
}
