/** Words for the updater's state and report. Pure. */
import type { JobState, UpdaterState, WorkflowProgress } from '../../../shared/ipc-contract'
import type { UpdatePhase, UpdateReport } from '../../../shared/update-types'
import { groupDigits } from '../../../shared/rules/size'

/** The contract's limit for one "update selected". */
export const MAX_SELECTED = 500

export const PHASE_LABELS: Record<UpdatePhase, string> = {
  starting: 'Starting',
  changes: 'Reading the ReqMgr2 changes feed',
  deleting: 'Deleting removed workflows',
  updating: 'Updating workflows from ReqMgr2',
  recalculating: 'Recalculating event history from DBS',
  finishing: 'Finishing'
}

export function isRunning(state: UpdaterState | undefined): boolean {
  return state?.state === 'running'
}

/** Per-workflow progress of an "update selected" job, by name. */
export function progressByName(state: UpdaterState | undefined): Map<string, WorkflowProgress> {
  const map = new Map<string, WorkflowProgress>()
  for (const item of state?.workflows ?? []) map.set(item.name, item)
  return map
}

const STAGE_LABELS: Record<WorkflowProgress['stage'], string> = {
  queued: 'queued',
  update: 'updating…',
  recalculate: 'recalculating…',
  delete: 'deleting…',
  done: 'done'
}

const OUTCOME_LABELS: Record<NonNullable<WorkflowProgress['outcome']>, string> = {
  written: 'updated',
  unchanged: 'unchanged',
  failed: 'failed',
  deleted: 'deleted',
  'history-added': 'new history entry',
  skipped: 'skipped'
}

export function workflowProgressLabel(progress: WorkflowProgress): string {
  if (progress.outcome) return OUTCOME_LABELS[progress.outcome]
  return STAGE_LABELS[progress.stage]
}

/** 'busy' while working, 'ok', 'failed' or 'neutral' once done: the badge colour. */
export function workflowProgressTone(progress: WorkflowProgress): 'busy' | 'ok' | 'failed' | 'neutral' {
  if (progress.outcome === 'failed') return 'failed'
  if (progress.outcome === 'written' || progress.outcome === 'history-added' || progress.outcome === 'deleted') return 'ok'
  if (progress.outcome) return 'neutral'
  return progress.stage === 'queued' ? 'neutral' : 'busy'
}

export function percentDone(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0
}

export function reportSummary(report: UpdateReport): string {
  const parts = [
    `${groupDigits(report.written)} written`,
    `${groupDigits(report.unchanged)} unchanged`,
    `${groupDigits(report.historyAdded)} history entr${report.historyAdded === 1 ? 'y' : 'ies'} added`,
    `${groupDigits(report.failed.length)} failed`
  ]
  if (report.deleted > 0) parts.splice(2, 0, `${groupDigits(report.deleted)} deleted`)
  if (report.warnings.length > 0) parts.push(`${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}`)
  return parts.join(', ')
}

export const JOB_STATE_LABELS: Record<JobState, string> = {
  idle: 'Idle',
  running: 'Running',
  done: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled'
}

/** True when a job that was running has just ended (the rows and status should be refreshed). */
export function jobEnded(previous: UpdaterState | undefined, next: UpdaterState): boolean {
  if (next.state === 'running' || next.state === 'idle') return false
  if (!previous) return false
  return previous.state === 'running' || previous.jobId !== next.jobId
}
