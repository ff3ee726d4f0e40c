import { memo, type ReactNode } from 'react'
import { formatPercent, typeColour } from '../../../shared/rules/completion'
import type { WorkflowRowDataset } from '../../../shared/search-types'
import { dasDatasetLink, harvestingLink } from '../../../shared/rules/links'
import { groupDigits, humanSize } from '../../../shared/rules/size'
import { tierOf } from '../../../shared/rules/tiers'
import { DatasetName } from './DatasetName'
import { ExternalLink } from './ExternalLink'
import { SearchLink } from './SearchLink'
import { TypeBadge } from './TypeBadge'
import '../styles/workflow.css'

interface Props {
  completion: WorkflowRowDataset
  /** The workflow, for the DQMIO harvesting link. */
  workflow: string
}

/** One output dataset: completion bar coloured by Type, tier, events or lumis, size, Type, links. */
export const DatasetBar = memo(function DatasetBar({ completion, workflow }: Props): ReactNode {
  const { dataset, percent, unit, type } = completion
  const tier = tierOf(dataset)
  const done = unit === 'lumis' ? completion.lumis : completion.events
  const width = percent === undefined ? 0 : Math.max(0, Math.min(100, percent))
  const label = formatPercent(percent)
  return (
    <div className="dataset-line" data-testid="dataset-line" data-dataset={dataset}>
      <div
        className={`bar type-${typeColour(type)}`}
        role="meter"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(width)}
        aria-label={`${tier}: ${label} of the expected ${unit}, ${type}`}
        title={percent === undefined ? 'No expected total to compare with' : `${label} of the expected ${unit}`}
      >
        <span className="bar-track"><span className="bar-fill" style={{ width: `${width}%` }} /></span>
        <span className="bar-label">{label}</span>
      </div>
      <span className="tier" title={`Data tier ${tier}`}>{tier}</span>
      <span className="num" title={unit === 'lumis' ? `${groupDigits(completion.events)} events` : undefined}>
        {groupDigits(done)} <span className="unit">{unit}</span>
      </span>
      <span className="size">{humanSize(completion.size)}</span>
      <TypeBadge type={type} />
      <SearchLink className="dataset-name mono" text={dataset} field="output_dataset"><DatasetName name={dataset} /></SearchLink>
      <span className="dataset-links">
        <ExternalLink url={dasDatasetLink(dataset)} title={`${dataset} in DAS`}>DAS</ExternalLink>
        {tier === 'DQMIO' ? <ExternalLink url={harvestingLink(workflow)} title="The harvesting job of this DQMIO output">Harvesting</ExternalLink> : null}
      </span>
    </div>
  )
})
