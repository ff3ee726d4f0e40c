import type { ReactNode } from 'react'
import { dasDatasetLink, rawJsonLink, reqmgrLink, unifiedLink, wmstatsLink } from '../../../shared/rules/links'
import { ExternalLink } from './ExternalLink'

/** The services around one workflow: DAS (its input), ReqMgr2, Unified, computing status, raw JSON. */
export function WorkflowLinks({ inputDataset, name }: { inputDataset: string | undefined; name: string }): ReactNode {
  return (
    <span className="workflow-links">
      {inputDataset ? <ExternalLink url={dasDatasetLink(inputDataset)} title="The input dataset in DAS">DAS</ExternalLink> : null}
      <ExternalLink url={reqmgrLink(name)} title="The request in ReqMgr2">ReqMgr2</ExternalLink>
      <ExternalLink url={unifiedLink(name)} title="The Unified report">Unified</ExternalLink>
      <ExternalLink url={wmstatsLink(name)} title="The computing status (WMStats)">Status</ExternalLink>
      <ExternalLink url={rawJsonLink(name)} title="The raw ReqMgr2 JSON">JSON</ExternalLink>
    </span>
  )
}
