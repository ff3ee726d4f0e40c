import type { ReactNode } from 'react'
import type { AppStatus } from '../../../shared/ipc-contract'
import { groupDigits, humanSize } from '../../../shared/rules/size'
import { formatUtc, timeAgo } from '../../../shared/rules/time-ago'
import { scheduleLabel } from '../lib/schedule-view'

/** Store, last update "N ago", schedule and certificate, in one line. */
export function StatusLine({ status, error, now, updateRunning = false }: { status: AppStatus | undefined; error: string | undefined; now: number; updateRunning?: boolean }): ReactNode {
  if (error && !status) return <span className="status-line status-error" data-testid="status-line" role="alert">Status unavailable: {error}</span>
  if (!status) return <span className="status-line muted" data-testid="status-line">Connecting…</span>
  const { store } = status
  const credentials = status.credentials
  const schedule = scheduleLabel(status.schedule, now, updateRunning)
  const daysLeft = credentials && 'notAfter' in credentials ? Math.floor((credentials.notAfter - now) / 86_400) : undefined
  return (
    <span className="status-line" data-testid="status-line">
      <span title={`${store.embedded ? 'Embedded store' : 'CouchDB'}${store.url ? ` at ${store.url}` : ''}${store.fileSize ? `, ${humanSize(store.fileSize)} on disk` : ''}`}>
        {store.embedded ? 'Embedded store' : 'CouchDB'} · {groupDigits(store.workflows)} workflows
      </span>
      {store.error ? <span className="status-error" title={store.error}> · store error: {store.error}</span> : null}
      <span className="sep">·</span>
      <span data-testid="last-update" title={status.lastUpdate ? `${formatUtc(status.lastUpdate)} UTC` : undefined}>
        {status.lastUpdate ? <>Last update <strong>{timeAgo(status.lastUpdate, now)} ago</strong></> : 'Never updated'}
      </span>
      {status.replica ? (
        <span data-testid="replica-status" title={`Pulled from ${status.replica.source} (${status.replica.scope})`}>
          <span className="sep">·</span>
          Replica of <span className="mono">{status.replica.source}</span>
          {status.replica.lastPull ? <>, pulled <strong>{timeAgo(status.replica.lastPull, now)} ago</strong></> : ', not pulled yet'}
        </span>
      ) : null}
      {schedule ? (
        <span className="muted" data-testid="next-run" title={schedule.title}>
          <span className="sep">·</span>{schedule.text}
        </span>
      ) : null}
      {credentials ? (
        'error' in credentials ? (
          <span className="status-error" title={credentials.error}><span className="sep">·</span>certificate problem</span>
        ) : (
          <span className={daysLeft !== undefined && daysLeft < 14 ? 'status-warn' : 'muted'} title={`${credentials.subject} (${credentials.kind}), valid until ${formatUtc(credentials.notAfter)} UTC`}>
            <span className="sep">·</span>
            {daysLeft !== undefined && daysLeft < 0 ? 'certificate expired' : `certificate valid ${daysLeft}d`}
          </span>
        )
      ) : null}
    </span>
  )
}
