import { useState, type ReactNode } from 'react'
import type { UpdaterState } from '../../../shared/ipc-contract'
import { groupDigits } from '../../../shared/rules/size'
import { formatUtc } from '../../../shared/rules/time-ago'
import { toSeconds } from '../lib/format'
import { JOB_STATE_LABELS, PHASE_LABELS, isRunning, percentDone, reportSummary } from '../lib/updater-view'
import { ReportDialog } from './ReportDialog'
import '../styles/updater.css'

interface Props {
  state: UpdaterState | undefined
  error: string | undefined
  onCancel: () => void
  onDismissError: () => void
}

/** The strip under the header: the running update (phase, done/total, current workflow, Cancel), then its report. */
export function UpdaterBar({ state, error, onCancel, onDismissError }: Props): ReactNode {
  const [showReport, setShowReport] = useState(false)
  const [dismissedJob, setDismissedJob] = useState<number>()
  const running = isRunning(state)
  const progress = state?.progress
  const report = state?.report
  const finished = state && !running && state.state !== 'idle' && dismissedJob !== state.jobId

  if (!running && !finished && !error) return null
  return (
    <section className="updater" aria-label="Update" data-testid="updater" data-state={state?.state ?? 'unknown'}>
      {running ? (
        <div className="updater-progress">
          {/* Announced when the phase changes, not at every workflow. */}
          <span className="updater-phase" role="status">
            <strong>{state?.scope === 'names' ? 'Update selected' : 'Update all'}</strong> · {progress ? PHASE_LABELS[progress.phase] : 'Starting'}
          </span>
          {progress && progress.total > 0 ? (
            <progress data-testid="update-progress" max={progress.total} value={progress.done} aria-label={`Update progress: ${percentDone(progress.done, progress.total)} %`} />
          ) : (
            <progress data-testid="update-progress" aria-label="Update starting" />
          )}
          <span className="updater-count">
            {progress && progress.total > 0 ? `${groupDigits(progress.done)} / ${groupDigits(progress.total)} (${percentDone(progress.done, progress.total)} %)` : ''}
          </span>
          {progress?.current ? <span className="updater-current mono" title={progress.current}>{progress.current}</span> : <span className="spacer-flex" />}
          {state?.recentFailures && state.recentFailures.length > 0 ? (
            <button type="button" className="button small failed-button" onClick={() => setShowReport(true)} data-testid="update-failures-so-far">
              {state.recentFailures.length} failed so far
            </button>
          ) : null}
          <button type="button" className="button small danger" onClick={onCancel} data-testid="update-cancel">Cancel</button>
        </div>
      ) : finished ? (
        <div className={`updater-result state-${state.state}`} data-testid="update-result" role="status">
          <span>
            <strong>{state.scope === 'names' ? 'Update selected' : 'Update all'}: {JOB_STATE_LABELS[state.state].toLowerCase()}</strong>
            {state.finishedAt ? <span className="muted"> {formatUtc(toSeconds(state.finishedAt))} UTC</span> : null}
            {report ? ` · ${reportSummary(report)}` : state.error ? ` · ${state.error}` : ''}
          </span>
          {report || state.error ? <button type="button" className="button small" onClick={() => setShowReport(true)} data-testid="update-report-open">Report</button> : null}
          <button type="button" className="button small ghost" onClick={() => setDismissedJob(state.jobId)} aria-label="Dismiss the update result">×</button>
        </div>
      ) : null}
      {error ? (
        <div className="updater-result state-failed" role="alert">
          <span>{error}</span>
          <button type="button" className="button small ghost" onClick={onDismissError} aria-label="Dismiss">×</button>
        </div>
      ) : null}
      {showReport && state ? <ReportDialog state={state} onClose={() => setShowReport(false)} /> : null}
    </section>
  )
}
