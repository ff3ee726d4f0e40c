import type { ReactNode } from 'react'
import { campaignLink, pdmvLink, pmpLink, serviceOfPrepId } from '../../../shared/rules/links'
import type { SearchField } from '../../../shared/search-types'
import { ExternalLink } from './ExternalLink'
import { SearchLink } from './SearchLink'

const SERVICE_NAMES = { mcm: 'McM', rereco: 'ReReco', relval: 'RelVal' } as const

/** A PrepID or task request: search link, its PdmV service (McM / ReReco / RelVal) and pMp. */
export function PrepIdLinks({ value, field }: { value: string; field: SearchField }): ReactNode {
  const service = serviceOfPrepId(value)
  return (
    <span className="attr-value">
      <SearchLink className="mono" text={value} field={field} />
      {service ? <ExternalLink url={pdmvLink(value)} className="mini" title={`${value} in ${SERVICE_NAMES[service]}`}>{SERVICE_NAMES[service]}</ExternalLink> : null}
      <ExternalLink url={pmpLink(value)} className="mini" title={`${value} in pMp`}>pMp</ExternalLink>
    </span>
  )
}

/** A campaign: search link, McM campaign page and pMp. */
export function CampaignLinks({ value }: { value: string }): ReactNode {
  return (
    <span className="attr-value">
      <SearchLink className="mono" text={value} field="campaign" />
      <ExternalLink url={campaignLink(value)} className="mini" title={`Campaign ${value} in McM`}>McM</ExternalLink>
      <ExternalLink url={pmpLink(value)} className="mini" title={`Campaign ${value} in pMp`}>pMp</ExternalLink>
    </span>
  )
}
