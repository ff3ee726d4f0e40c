import type { ReactNode } from 'react'
import type { WorkflowDoc } from '../../../shared/stats2-doc'
import { datasetCompletions } from '../../../shared/rules/completion'
import { formatUtc, timeAgo } from '../../../shared/rules/time-ago'
import { distinctStrings, expectedLabel, firstTransition, lastTransition, workflowName } from '../lib/format'
import { CampaignLinks, PrepIdLinks } from './PdmvLinks'
import { DatasetBar } from './DatasetBar'
import { SearchLink } from './SearchLink'

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
 * completion bar per output dataset. Shared by the results rows and the detail panel.
 */
export function WorkflowSummary({ doc, now, datasets = true }: { doc: WorkflowDoc; now: number; datasets?: boolean }): ReactNode {
  const name = workflowName(doc)
  const first = firstTransition(doc)
  const last = lastTransition(doc)
  const requests = distinctStrings(doc.Requests)
  const campaigns = distinctStrings(doc.Campaigns)
  const completions = datasetCompletions(doc)
  return (
    <>
      <div className="attrs">
        {doc.PrepID ? (
          <span className="attr"><span className="attr-label">PrepID</span><PrepIdLinks value={doc.PrepID} field="prepid" /></span>
        ) : null}
        {doc.RequestType ? (
          <span className="attr"><span className="attr-label">Type</span><SearchLink text={doc.RequestType} field="type" /></span>
        ) : null}
        <span className="attr"><span className="attr-label">Expected</span>{expectedLabel(doc)}</span>
        <span className="attr"><span className="attr-label">Priority</span>{doc.RequestPriority ?? 0}</span>
        <span className="attr">
          <span className="attr-label">Updated</span>
          {doc.LastUpdate ? <span title={`${formatUtc(doc.LastUpdate)} UTC`}>{timeAgo(doc.LastUpdate, now)} ago</span> : '–'}
        </span>
      </div>
      <div className="attrs">
        <span className="attr">
          <span className="attr-label">Status</span>
          {first ? <StatusAt status={first.Status} time={first.UpdateTime} now={now} /> : '–'}
          {last && last !== first ? <><span className="arrow" aria-label="then">→</span><StatusAt status={last.Status} time={last.UpdateTime} now={now} /></> : null}
        </span>
        {doc.ProcessingString ? (
          <span className="attr"><span className="attr-label">Processing string</span><SearchLink className="mono" text={doc.ProcessingString} field="processing_string" /></span>
        ) : null}
      </div>
      {doc.InputDataset || requests.length > 0 || campaigns.length > 0 ? (
        <div className="attrs">
          {doc.InputDataset ? (
            <span className="attr"><span className="attr-label">Input</span><SearchLink className="mono" text={doc.InputDataset} field="input_dataset" /></span>
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
