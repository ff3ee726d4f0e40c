/**
 * The `all_settings` document (stats2-doc.ts `SettingsDoc`, plus the updater's own checkpoint keys)
 * as a schema: checked where it enters (a backup being loaded) and where the updater and the
 * status read it, so that a wrongly typed field is named instead of becoming `since=[object Object]`
 * in a ReqMgr2 query. Unknown keys are kept (the old Stats2 and other tools may add their own).
 */
import { z } from 'zod'
import { SETTINGS_DOC_ID, type SettingsDoc } from './stats2-doc'

const names = z.array(z.string())

export const settingsDocSchema = z.looseObject({
  _id: z.literal(SETTINGS_DOC_ID),
  _rev: z.string().optional(),
  /** ReqMgr2's changes-feed position: opaque text on CouchDB 3, a number on older servers. */
  last_reqmgr_sequence: z.union([z.string(), z.number().int().nonnegative()]).optional(),
  last_dbs_update_date: z.number().nonnegative().optional(),
  failed_workflows: names.optional(),
  failed_reasons: z.record(z.string(), z.string()).optional(),
  pending_recalculation: names.optional(),
  sync_scope: z.record(z.string(), z.unknown()).optional(),
  sync_scope_pending: z.record(z.string(), z.unknown()).optional(),
  scope_excluded: names.optional(),
  scope_followed: names.optional()
})

/** `path: what is wrong` for each problem (at most five), or none. */
export function settingsIssues(doc: unknown): string[] {
  const parsed = settingsDocSchema.safeParse(doc)
  if (parsed.success) return []
  return parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : 'document'}: ${issue.message}`)
}

/** The settings as the status shows them: each field only when it has its documented type. */
export function settingsFigures(doc: unknown): { lastUpdate?: number; lastSequence?: string | number; failed: Array<{ name: string; reason: string }> } {
  const record = (typeof doc === 'object' && doc !== null ? doc : {}) as Partial<Record<keyof SettingsDoc, unknown>>
  const lastUpdate = typeof record.last_dbs_update_date === 'number' && Number.isFinite(record.last_dbs_update_date) ? record.last_dbs_update_date : undefined
  const sequence = record.last_reqmgr_sequence
  const lastSequence = typeof sequence === 'string' || (typeof sequence === 'number' && Number.isFinite(sequence)) ? sequence : undefined
  const reasons = typeof record.failed_reasons === 'object' && record.failed_reasons !== null ? (record.failed_reasons as Record<string, unknown>) : {}
  const failed = (Array.isArray(record.failed_workflows) ? record.failed_workflows : [])
    .filter((name): name is string => typeof name === 'string')
    .map((name) => {
      const reason = Object.prototype.hasOwnProperty.call(reasons, name) ? reasons[name] : undefined
      return { name, reason: typeof reason === 'string' ? reason : 'failed in an earlier run' }
    })
  return { lastUpdate, lastSequence, failed }
}
