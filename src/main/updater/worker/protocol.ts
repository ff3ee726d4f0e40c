/**
 * The messages between the desktop's update job (the main thread: UpdateJob, the watchlist, the
 * demo's replay) and the worker thread that runs its updates (update-worker.ts), one run at a time,
 * each with its id. Everything is structured-cloned; the worker checks what it gets before it runs.
 */
import type { Stats2Config } from '../../config/config'
import type { LogLevel } from '../../log/logger'
import type { StoreConnection } from '../../store/couch-store'
import type { SyncScope } from '../../../shared/sync-scope'
import type { UpdateProgress, UpdateReport, UpdateScope } from '../../../shared/update-types'
import type { RunOptions, WorkflowEvent } from '../update-run'

/** One update run, as the main thread resolved it: the worker reads no environment, settings or secrets itself. */
export interface WorkerRunRequest {
  scope: UpdateScope
  runOptions: RunOptions
  config: Stats2Config
  /** The store the main thread opened (embedded or DB_URL), reached by a client of the worker's own. */
  store: StoreConnection
  syncScope?: SyncScope
  /** The updater's clock, Unix seconds, when not the real one (the demo's replay of its earlier steps). */
  now?: number
  logLevel: LogLevel
}

export type ToWorker = { type: 'run'; id: number; request: WorkerRunRequest } | { type: 'cancel'; id: number }

export type FromWorker =
  | { type: 'progress'; id: number; progress: UpdateProgress }
  | { type: 'workflow'; id: number; event: WorkflowEvent }
  | { type: 'done'; id: number; report: UpdateReport }
  /** The run failed: the error's class name and message (AbortError for a cancelled one). */
  | { type: 'failed'; id: number; error: { name: string; message: string } }

const TYPES = new Set(['progress', 'workflow', 'done', 'failed'])

export function isFromWorker(message: unknown): message is FromWorker {
  if (typeof message !== 'object' || message === null) return false
  const { type, id } = message as { type?: unknown; id?: unknown }
  return TYPES.has(type as string) && typeof id === 'number'
}

export function isToWorker(message: unknown): message is ToWorker {
  if (typeof message !== 'object' || message === null) return false
  const { type, id, request } = message as { type?: unknown; id?: unknown; request?: Partial<WorkerRunRequest> }
  if (typeof id !== 'number') return false
  if (type === 'cancel') return true
  return type === 'run' && typeof request === 'object' && request !== null && typeof request.store?.url === 'string' && typeof request.config === 'object' && typeof request.scope === 'object'
}
