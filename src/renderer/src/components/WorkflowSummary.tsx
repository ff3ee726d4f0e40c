import type { ReactNode } from 'react'
import type { WorkflowRow } from '../../../shared/search-types'
import { formatUtc, timeAgo } from '../../../shared/rules/time-ago'
import { expectedText } from '../lib/format'
import { CampaignLinks, PrepIdLinks } from './PdmvLinks'
import { DatasetBar } from './DatasetBar'
import { SearchLink } from './SearchLink'
import '../styles/workflow.css'

function StatusAt({ status, time, now }: { status: string; time: number; now: number }): ReactNode {
  return (
    <span className="status-at" title={`${formatUtc(time)} UTC`}>
      <span className="status-name">{status}</span> <span className="muted">{formatUtc(time)} ({timeAgo(time, now)} ago)</span>
    </span>
  )
}

/**
 * The fields of one workflow (spec §9) below its name: PrepID, type, expected, priority, last
 * update, first and last status, processing string, input dataset, requests, campaigns, and a
 * completion bar per output dataset. Shared by the results rows and the detail panel; drawn from
 * the row view model (src/shared/rules/workflow-row.ts), never from the raw document.
 */
export function WorkflowSummary({ row, now, datasets = true }: { row: WorkflowRow; now: number; datasets?: boolean }): ReactNode {
  const { name, requests, campaigns } = row
  const first = row.firstStatus
  const last = row.lastStatus
  const completions = row.datasets
  return (
    <>
      {row.invalid ? (
        <div className="alert alert-warning invalid-note" role="note" data-testid="invalid-row">
          The stored document does not have the Stats2 shape; what could be read is shown. {(row.issues ?? []).slice(0, 3).join('; ')}
        </div>
      ) : null}
      <div className="attrs">
        {row.prepId ? (
          <span className="attr"><span className="attr-label">PrepID</span><PrepIdLinks value={row.prepId} field="prepid" /></span>
        ) : null}
        {row.requestType ? (
          <span className="attr"><span className="attr-label">Type</span><SearchLink text={row.requestType} field="type" /></span>
        ) : null}
        <span className="attr"><span className="attr-label">Expected</span>{expectedText(row.expected)}</span>
        <span className="attr"><span className="attr-label">Priority</span>{row.priority}</span>
        <span className="attr">
          <span className="attr-label">Updated</span>
          {row.lastUpdate ? <span title={`${formatUtc(row.lastUpdate)} UTC`}>{timeAgo(row.lastUpdate, now)} ago</span> : '–'}
        </span>
      </div>
      <div className="attrs">
        <span className="attr">
          <span className="attr-label">Status</span>
          {first ? <StatusAt status={first.status} time={first.time} now={now} /> : '–'}
          {last ? <><span className="arrow" aria-label="then">→</span><StatusAt status={last.status} time={last.time} now={now} /></> : null}
        </span>
        {row.processingString ? (
          <span className="attr"><span className="attr-label">Processing string</span><SearchLink className="mono" text={row.processingString} field="processing_string" /></span>
        ) : null}
      </div>
      {row.inputDataset || requests.length > 0 || campaigns.length > 0 ? (
        <div className="attrs">
          {row.inputDataset ? (
            <span className="attr"><span className="attr-label">Input</span><SearchLink className="mono" text={row.inputDataset} field="input_dataset" /></span>
          ) : null}
          {requests.length > 0 ? (
            <span className="attr">
              <span className="attr-label">{requests.length === 1 ? 'Request' : 'Requests'}</span>
              {requests.map((request) => <PrepIdLinks key={request} value={request} field="request" />)}
            </span>
          ) : null}
          {campaigns.length > 0 ? (
            <span className="attr">
              <span className="attr-label">{campaigns.length === 1 ? 'Campaign' : 'Campaigns'}</span>
              {campaigns.map((campaign) => <CampaignLinks key={campaign} value={campaign} />)}
            </span>
          ) : null}
        </div>
      ) : null}
      {!datasets ? null : completions.length > 0 ? (
        <div className="datasets">
          {completions.map((completion) => <DatasetBar key={completion.dataset} completion={completion} workflow={name} />)}
        </div>
      ) : (
        <div className="datasets muted">No output datasets.</div>
      )}
    </>
  )
}
