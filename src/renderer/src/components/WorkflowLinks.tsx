import type { ReactNode } from 'react'
import type { WorkflowDoc } from '../../../shared/stats2-doc'
import { dasDatasetLink, rawJsonLink, reqmgrLink, unifiedLink, wmstatsLink } from '../../../shared/rules/links'
import { ExternalLink } from './ExternalLink'

/** The services around one workflow: DAS (its input), ReqMgr2, Unified, computing status, raw JSON. */
export function WorkflowLinks({ doc, name }: { doc: WorkflowDoc; name: string }): ReactNode {
  return (
    <span className="workflow-links">
      {doc.InputDataset ? <ExternalLink url={dasDatasetLink(doc.InputDataset)} title="The input dataset in DAS">DAS</ExternalLink> : null}
      <ExternalLink url={reqmgrLink(name)} title="The request in ReqMgr2">ReqMgr2</ExternalLink>
      <ExternalLink url={unifiedLink(name)} title="The Unified report">Unified</ExternalLink>
      <ExternalLink url={wmstatsLink(name)} title="The computing status (WMStats)">Status</ExternalLink>
      <ExternalLink url={rawJsonLink(name)} title="The raw ReqMgr2 JSON">JSON</ExternalLink>
    </span>
  )
}
