/**
 * The Stats2 CouchDB documents. McM, RelVal, ReReco and pMp read these directly, so the shape
 * (field names, optional fields, value types) must stay exactly what the old Stats2 wrote.
 */

/** One output dataset in one history entry. `Lumis` only for lumi-based workflows. */
export interface DatasetStat {
  Type: string
  Events: number
  Size: number
  Lumis?: number
}

export interface HistoryEntry {
  /** Unix seconds. */
  Time: number
  Datasets: Record<string, DatasetStat>
}

export interface Transition {
  Status: string
  UpdateTime: number
}

/** A document of the `requests` database; `_id` is the ReqMgr2 RequestName. */
export interface WorkflowDoc {
  _id: string
  _rev?: string
  AcquisitionEra?: unknown
  CMSSWVersion?: string
  Campaigns: unknown[]
  EventNumberHistory: HistoryEntry[]
  InputDataset?: string
  LastUpdate?: number
  LumiList?: Record<string, [number, number][]>
  OutputDatasets: string[]
  PrepID?: string
  ProcessingString?: string
  RequestName?: string
  RequestPriority: number
  RequestTransition: Transition[]
  RequestType?: string
  Requests: unknown[]
  SizePerEvent?: number
  TimePerEvent?: number
  TotalEvents: number
  /** -1 when unknown; null when ReqMgr2 gave null (not yet estimated). */
  TotalInputLumis: number | null
}

/** The `all_settings` document of the `settings` database. */
export interface SettingsDoc {
  _id: 'all_settings'
  _rev?: string
  last_reqmgr_sequence?: string | number
  last_dbs_update_date?: number
  failed_workflows?: string[]
  /** Not in the old Stats2: why each failed workflow failed (name → reason). Extra key, ignored by readers. */
  failed_reasons?: Record<string, string>
}

export const REQUESTS_DB = 'requests'
export const SETTINGS_DB = 'settings'

/**
 * The design documents of the old Stats2 (src/main/store/design-docs.ts holds their functions):
 * the seven search views of `requests`, and the admin-only write validation of both databases.
 * Here because the embedded store opens exactly these views to readers.
 */
export const DESIGN_DOC_ID = '_design/_designDoc'
export const VALIDATE_WRITE_ID = '_design/validate_write'
export const VIEW_NAMES = [
  'campaigns', 'inputDatasets', 'outputDatasets', 'prepids', 'types', 'processingStrings', 'requests'
] as const
export type ViewName = (typeof VIEW_NAMES)[number]
/** `validate_write`'s function, verbatim from the old Stats2 (the embedded store runs this exact text as trusted code). */
export const VALIDATE_WRITE_FUNCTION =
  "function (newDoc, oldDoc, userCtx) { if (userCtx.roles.indexOf('_admin') === -1) throw( { forbidden : 'Only admins can modify the database.'} ); }"
export const SETTINGS_DOC_ID = 'all_settings'
