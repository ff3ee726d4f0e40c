import type { ReactNode } from 'react'
import type { UpdaterState } from '../../../shared/ipc-contract'
import { groupDigits } from '../../../shared/rules/size'
import { formatUtc, timeAgo } from '../../../shared/rules/time-ago'
import { toSeconds } from '../lib/format'
import { JOB_STATE_LABELS } from '../lib/updater-view'
import { FailureList } from './FailureList'
import { Modal } from './Modal'

/** The final report of an update: counts, failures with reasons, warnings. */
export function ReportDialog({ state, onClose }: { state: UpdaterState; onClose: () => void }): ReactNode {
  const report = state.report
  const failures = report?.failed ?? state.recentFailures ?? []
  return (
    <Modal title={`${state.scope === 'names' ? 'Update selected' : 'Update all'}: ${JOB_STATE_LABELS[state.state].toLowerCase()}`} onClose={onClose} testId="update-report" className="modal-wide">
      {state.error ? <p className="alert alert-error">{state.error}</p> : null}
      {report ? (
        <dl className="report-grid">
          <dt>Started</dt><dd>{formatUtc(toSeconds(report.startedAt))} UTC</dd>
          <dt>Took</dt><dd>{timeAgo(toSeconds(report.startedAt), toSeconds(report.finishedAt))}</dd>
          <dt>Changed in ReqMgr2</dt><dd>{groupDigits(report.changed)}</dd>
          <dt>Deleted</dt><dd>{groupDigits(report.deleted)}</dd>
          <dt>Written</dt><dd>{groupDigits(report.written)}</dd>
          <dt>Unchanged</dt><dd>{groupDigits(report.unchanged)}</dd>
          <dt>History recalculated</dt><dd>{groupDigits(report.recalculated)}</dd>
          <dt>History entries added</dt><dd>{groupDigits(report.historyAdded)}</dd>
          <dt>Failed</dt><dd className={report.failed.length > 0 ? 'status-error' : undefined}>{groupDigits(report.failed.length)}</dd>
          <dt>Notifications</dt><dd>{groupDigits(report.notifications.sent)} sent, {groupDigits(report.notifications.failed)} failed</dd>
          {report.lastSequence !== undefined ? <><dt>Changes-feed position</dt><dd className="mono wrap">{String(report.lastSequence).slice(0, 80)}</dd></> : null}
          {report.cancelled ? <><dt>Cancelled</dt><dd>yes: the counts cover what was done before the cancel</dd></> : null}
        </dl>
      ) : null}
      {failures.length > 0 ? (
        <>
          <h3>Failed workflows</h3>
          <FailureList failures={failures} onNavigate={onClose} />
        </>
      ) : null}
      {report && report.warnings.length > 0 ? (
        <>
          <h3>Warnings</h3>
          <ul className="warning-list">{report.warnings.map((warning, index) => <li key={index}>{warning}</li>)}</ul>
        </>
      ) : null}
    </Modal>
  )
}
