/** What an update run reports, shared by the updater, the CLI and the desktop renderer. */

export type UpdatePhase = 'starting' | 'changes' | 'deleting' | 'updating' | 'recalculating' | 'finishing'

export interface UpdateProgress {
  phase: UpdatePhase
  /** Items of the current phase finished, and known so far (the feed may grow the total). */
  done: number
  total: number
  /** The workflow being worked on, when there is one. */
  current?: string
}

export interface WorkflowFailure {
  name: string
  reason: string
}

export type UpdateScope = { kind: 'all' } | { kind: 'names'; names: string[] }

export interface UpdateReport {
  scope: 'all' | 'names'
  startedAt: number
  finishedAt: number
  /** Workflows ReqMgr2 reported changed (plus retried ones), deleted, and documents written. */
  changed: number
  deleted: number
  written: number
  unchanged: number
  /** Workflows whose history was recalculated, and how many got a new entry. */
  recalculated: number
  historyAdded: number
  failed: WorkflowFailure[]
  /** ReqMgr2 changes-feed position stored at the end (update-all only). */
  lastSequence?: string | number
  notifications: { sent: number; failed: number }
  /** Non-fatal problems (WMStats unreachable, …). */
  warnings: string[]
  cancelled: boolean
}
