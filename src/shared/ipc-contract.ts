/**
 * The IPC contract between the desktop renderer and the main process: every channel with its
 * request schema (validated in main) and response type. The preload, the Electron registration and
 * the browser-mode bridge are all built from `CHANNELS`; nothing else crosses.
 */
import type { SyncScope } from './sync-scope'
import { z } from 'zod'
import type { Result } from './result'
import type { SearchRowsResult } from './search-types'
import { SEARCH_FIELDS } from './search-types'
import type { WorkflowChartAnswer, WorkflowView } from './workflow-view'
import type { UpdatePhase, UpdateProgress, UpdateReport, WorkflowFailure } from './update-types'
import type { AggregateSeries } from './rules/series'
import { stallHoursSchema, watchItemSchema, type WatchEvent, type WatchlistView } from './watchlist'
import { CHANNEL_NAMES, EVENT_NAMES, ipcChannel, type ChannelName, type EventName } from './ipc-channels'
import { overviewSelectionSchema } from './overview/selection'
import { overviewDrillSchema } from './overview/drill'
import { overviewLookSchema, type LookAnswer, type OverviewListResult, type OverviewView } from './overview/types'

export { CHANNEL_NAMES, EVENT_NAMES, ipcChannel, type ChannelName, type EventName }

// ---- shared pieces ----------------------------------------------------------------------------

/** A ReqMgr2 RequestName: printable, no slashes or spaces, bounded (what an update may ask ReqMgr2 for). */
export const workflowName = z
  .string()
  .min(1, 'a workflow name is needed')
  .max(300, 'a workflow name is under 300 characters')
  .regex(/^[A-Za-z0-9_.\-+]+$/, 'a workflow name has only letters, digits and _ . - +')

/**
 * The name of a stored workflow: any id the store may hold (a document written by another program
 * may carry spaces, `:`, `%`, `/` or any Unicode and must still open), bounded, without control
 * characters. Main never puts it into a URL path unencoded (store/doc-ids.ts); an update of such a
 * name fails for that workflow alone.
 */
export const storedWorkflowName = z
  .string()
  .min(1, 'a workflow name is needed')
  .max(1000, 'a workflow name is under 1000 characters')
  // eslint-disable-next-line no-control-regex
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'a workflow name has no line breaks or control characters')

/** Search text: anything printable, bounded (a 5 kB paste gets a clear message, not a slow query). */
export const searchText = z
  .string()
  .max(500, 'search for one name, PrepID or dataset at a time (under 500 characters)')
  // eslint-disable-next-line no-control-regex
  .refine((text) => !/[\u0000-\u001f\u007f]/.test(text), 'the search text contains line breaks or control characters')

export const searchQuerySchema = z.object({
  text: searchText,
  field: z.enum(SEARCH_FIELDS).optional(),
  page: z.number().int().min(0).max(100_000).optional(),
  pageSize: z.number().int().min(1).max(2000).optional()
}).strict()

const notifySchema = z.object({ triggerProd: z.boolean().optional(), triggerDev: z.boolean().optional() }).strict()

const filePath = z.string().min(1).max(4096)
const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value)
      return url.protocol === 'https:' || url.protocol === 'http:'
    } catch {
      return false
    }
  }, 'an http(s) URL is needed')

// ---- state shapes -----------------------------------------------------------------------------

export type JobState = 'idle' | 'running' | 'done' | 'failed' | 'cancelled'

export interface WorkflowProgress {
  name: string
  stage: 'queued' | 'update' | 'recalculate' | 'delete' | 'done'
  outcome?: 'written' | 'unchanged' | 'failed' | 'deleted' | 'history-added' | 'skipped'
  reason?: string
}

/** The updater job, as the renderer sees it: ask once, then follow `updaterState` events. */
export interface UpdaterState {
  state: JobState
  jobId: number
  scope?: 'all' | 'names'
  startedAt?: number
  finishedAt?: number
  progress?: UpdateProgress
  /** Per workflow for "update selected" (at most a few hundred). */
  workflows?: WorkflowProgress[]
  /** The newest failures of an update-all, at most 50. */
  recentFailures?: WorkflowFailure[]
  report?: UpdateReport
  error?: string
}

export interface AppStatus {
  mode: 'live' | 'demo' | 'unconfigured'
  demo?: { scenario: string; step: number; steps: number; workflows: number }
  store: {
    url: string; embedded: boolean; workflows: number; fileSize?: number; activeSize?: number; error?: string
    /** Opened without write rights: reading works, updates are disabled; `readOnlyReason` says why and what to set. */
    readOnly?: boolean
    readOnlyReason?: string
  }
  /** `last_dbs_update_date` (unix seconds) and `last_reqmgr_sequence` of the settings database. */
  lastUpdate?: number
  lastSequence?: string | number
  failed: WorkflowFailure[]
  credentials?: { kind: string; subject: string; notAfter: number } | { error: string }
  schedule: { everyMinutes: number; nextRunAt?: number }
  /** The store is a replica of a shared Stats2 (`stats2 replicate`, Settings → Source). */
  replica?: { source: string; scope: string; lastPull?: number }
  /**
   * The read-only dashboard of `stats2 serve` (src/main/serve/dashboard.ts): it reads only, so the
   * renderer shows no update, settings, demo or watchlist controls at all. Absent in the desktop app
   * and `stats2 ui`, where a read-only store (`store.readOnly`) only disables updates, saying why.
   */
  readOnlyService?: true
}

export type CredentialKind = 'auto' | 'pem' | 'p12' | 'proxy'

export interface DesktopSettings {
  credentials: { kind: CredentialKind; certPath?: string; keyPath?: string; p12Path?: string; proxyPath?: string }
  /** Extra CA bundle or directory for cmsweb (CMSWEB_CA). */
  caPath?: string
  database: { kind: 'embedded' | 'url'; url?: string; user?: string; dataDir?: string }
  cmsweb: { url: string; dbsUrl: string }
  concurrency: number
  notifications: { prod: boolean; dev: boolean }
  /** Update all every N minutes while the app runs; 0 = off. */
  scheduleMinutes: number
  /** Which workflows update-all follows (see sync-scope.ts); absent or empty: all of them. */
  syncScope?: SyncScope
  /** Start the installed desktop app when the operator logs in. */
  startAtLogin?: boolean
  /**
   * Where update-all comes from: ReqMgr2 and DBS with the operator's certificate (`cmsweb`), or a
   * shared Stats2 CouchDB replicated into the embedded store (`replica`: its server URL, without
   * credentials, and the user; the password is a secret). Absent: cmsweb.
   */
  source?: { kind: 'cmsweb' | 'replica'; url?: string; user?: string }
}

export interface SettingsView extends DesktopSettings {
  passphraseStored: boolean
  databasePasswordStored: boolean
  replicaPasswordStored: boolean
  /** False when the OS offers no encrypted secret storage: secrets are then kept for this session only. */
  secureStorage: boolean
  /** Settings fixed by the environment (USERCRT, DB_URL, …), shown read-only. */
  fromEnvironment: string[]
  /** True in the installed desktop app, the only one that can start at login. */
  startAtLoginAvailable?: boolean
}

export const settingsPatchSchema = z.object({
  credentials: z.object({
    kind: z.enum(['auto', 'pem', 'p12', 'proxy']),
    certPath: filePath.optional(),
    keyPath: filePath.optional(),
    p12Path: filePath.optional(),
    proxyPath: filePath.optional()
  }).strict().optional(),
  /** Write-only; '' forgets a stored one. */
  passphrase: z.string().max(1024).optional(),
  rememberPassphrase: z.boolean().optional(),
  caPath: z.union([filePath, z.literal('')]).optional(),
  database: z.object({
    kind: z.enum(['embedded', 'url']),
    url: httpUrl.optional(),
    user: z.string().max(256).optional(),
    dataDir: filePath.optional()
  }).strict().optional(),
  databasePassword: z.string().max(1024).optional(),
  cmsweb: z.object({ url: httpUrl, dbsUrl: httpUrl }).strict().optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  notifications: z.object({ prod: z.boolean(), dev: z.boolean() }).strict().optional(),
  scheduleMinutes: z.number().int().min(0).max(24 * 60).optional(),
  /** Checked in full (statuses, dates) by the main process; field issues come back as `syncScope.<field>: …`. */
  syncScope: z.object({
    campaigns: z.array(z.string().max(256)).max(2000),
    prepIds: z.array(z.string().max(256)).max(2000),
    statuses: z.array(z.string().max(64)).max(64),
    requestedFrom: z.string().max(10).optional(),
    requestedTo: z.string().max(10).optional(),
    workflows: z.array(z.string().max(512)).max(20000)
  }).strict().optional(),
  startAtLogin: z.boolean().optional(),
  source: z.object({
    kind: z.enum(['cmsweb', 'replica']),
    url: httpUrl.optional(),
    user: z.string().max(256).optional()
  }).strict().optional(),
  /** Write-only; '' forgets a stored one. */
  replicaPassword: z.string().max(1024).optional()
}).strict()
export type SettingsPatch = z.infer<typeof settingsPatchSchema>

/** The replica's pull (Settings → Source: a shared Stats2 CouchDB), as the renderer follows it. */
export interface ReplicaState {
  state: JobState
  startedAt?: number
  finishedAt?: number
  progress?: {
    phase: 'connecting' | 'pulling' | 'waiting' | 'retrying' | 'done'
    /** Documents transferred, written, outside the scope, merged with local updates, deleted. */
    fetched: number
    written: number
    skipped: number
    merged: number
    deleted: number
    /** The checkpoint (the source's sequence), shortened for display. */
    seq: string
    pending?: number
    rate: number
    message?: string
  }
  error?: string
}

export interface ConnectionCheck {
  id: 'certificate' | 'trust' | 'reqmgr2' | 'dbs' | 'wmstats' | 'database'
  label: string
  ok: boolean
  message: string
  durationMs: number
}

export type ExportFormat = 'markdown' | 'json' | 'csv'

export interface ExportFile {
  filename: string
  mimeType: string
  content: string
}

// ---- the channels -----------------------------------------------------------------------------

const empty = z.object({}).strict()

/** Phantom response type carrier: `response<T>()` keeps T at the type level only. */
const response = <T>(): T => undefined as unknown as T

export const CHANNELS = {
  /** A page of result rows (row view models, not documents; getWorkflow has the whole document). */
  search: { request: searchQuerySchema, response: response<SearchRowsResult>() },
  /** The whole document, checked: `{invalid: true, issues, raw}` when it does not fit the schema. */
  getWorkflow: { request: z.object({ name: storedWorkflowName }).strict(), response: response<WorkflowView>() },
  /** The summary and the decimated chart series of one workflow (the panel's first paint); the same marker when invalid. */
  getWorkflowChart: { request: z.object({ name: storedWorkflowName }).strict(), response: response<WorkflowChartAnswer>() },
  /** Summed progress over every workflow a search matches (pMp-like chart). */
  getSearchHistory: {
    request: z.object({ text: searchText, field: z.enum(SEARCH_FIELDS).optional() }).strict(),
    response: response<AggregateSeries>()
  },
  updateSelected: {
    request: z.object({ names: z.array(storedWorkflowName).min(1).max(500) }).merge(notifySchema).strict(),
    response: response<UpdaterState>()
  },
  updateAll: { request: notifySchema, response: response<UpdaterState>() },
  cancelUpdate: { request: empty, response: response<UpdaterState>() },
  getUpdaterState: { request: empty, response: response<UpdaterState>() },
  getStatus: { request: empty, response: response<AppStatus>() },
  getSettings: { request: empty, response: response<SettingsView>() },
  setSettings: { request: settingsPatchSchema, response: response<SettingsView>() },
  testConnection: { request: empty, response: response<ConnectionCheck[]>() },
  exportSearch: {
    request: z.object({ text: searchText, field: z.enum(SEARCH_FIELDS).optional(), format: z.enum(['markdown', 'json', 'csv']) }).strict(),
    response: response<ExportFile>()
  },
  exportWorkflow: { request: z.object({ name: storedWorkflowName }).strict(), response: response<ExportFile>() },
  openExternal: { request: z.object({ url: z.string().max(4096) }).strict(), response: response<null>() },
  startDemo: { request: z.object({ workflows: z.number().int().min(10).max(5000).optional() }).strict(), response: response<AppStatus>() },
  stopDemo: { request: empty, response: response<AppStatus>() },
  /** The pinned items with their workflows and the newest notifications (src/main/watchlist). */
  getWatchlist: { request: empty, response: response<WatchlistView>() },
  watchlistAdd: { request: z.object({ item: watchItemSchema }).strict(), response: response<WatchlistView>() },
  watchlistRemove: { request: z.object({ item: watchItemSchema }).strict(), response: response<WatchlistView>() },
  setWatchlistOptions: { request: z.object({ stallHours: stallHoursSchema }).strict(), response: response<WatchlistView>() },
  /** Updates the pinned workflows only. */
  updateWatchlist: { request: notifySchema, response: response<UpdaterState>() },
  /** Pulls from the shared Stats2 (Settings → Source); follow `replicaState` events. */
  pullReplica: { request: empty, response: response<ReplicaState>() },
  stopReplica: { request: empty, response: response<ReplicaState>() },
  getReplicaState: { request: empty, response: response<ReplicaState>() },
  /** The operator overview of a selection (src/shared/overview); `since`: the previous look, for what changed since. */
  getOverview: {
    request: z.object({ selection: overviewSelectionSchema, since: overviewLookSchema.optional() }).strict(),
    response: response<OverviewView>()
  },
  /** One page of the workflows behind an overview cell (a status, campaign, block, pair or reason), as result rows. */
  getOverviewList: {
    request: z.object({
      selection: overviewSelectionSchema,
      drill: overviewDrillSchema,
      page: z.number().int().min(0).max(100_000).optional(),
      pageSize: z.number().int().min(1).max(500).optional()
    }).strict(),
    response: response<OverviewListResult>()
  },
  /** Records this look (now, and the failed workflows now) and answers the previous one; the read-only service answers `browser`. */
  markOverviewLook: { request: empty, response: response<LookAnswer>() }
} as const

// Both lists must name the same channels: a missing or extra key fails to compile here.
type SameKeys<A, B> = [Exclude<keyof A, B>, Exclude<B, keyof A>] extends [never, never] ? true : never
const channelsAgree: SameKeys<typeof CHANNELS, ChannelName> = true
void channelsAgree

export type RequestOf<C extends ChannelName> = z.input<(typeof CHANNELS)[C]['request']>
export type ParsedRequestOf<C extends ChannelName> = z.output<(typeof CHANNELS)[C]['request']>
export type ResponseOf<C extends ChannelName> = (typeof CHANNELS)[C]['response']

/** Events main → renderer. */
export const EVENTS = {
  updaterState: response<UpdaterState>(),
  statusChanged: response<AppStatus>(),
  /** New watchlist notifications (each fact once); the renderer shows them as Web Notifications in browser mode. */
  watchNotifications: response<WatchEvent[]>(),
  replicaState: response<ReplicaState>()
} as const
const eventsAgree: SameKeys<typeof EVENTS, EventName> = true
void eventsAgree
export type PayloadOf<E extends EventName> = (typeof EVENTS)[E]

/** What the renderer gets on `window.stats2` (preload in Electron, the HTTP bridge in a browser). */
export type Stats2Api = {
  [C in ChannelName]: (request: RequestOf<C>) => Promise<Result<ResponseOf<C>>>
} & {
  on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): () => void
}

export type { UpdatePhase }
