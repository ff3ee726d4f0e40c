/**
 * Links to the services around a workflow (spec §9) and the allow-list external links must pass.
 * Hosts are those of production CMS; the renderer never opens anything else.
 */

export const SERVICE_HOSTS = {
  cmsweb: 'https://cmsweb.cern.ch',
  pdmv: 'https://cms-pdmv-prod.web.cern.ch',
  unified: 'https://cms-unified.web.cern.ch'
} as const

/** encodeURIComponent that never throws: a lone UTF-16 surrogate (not text) becomes U+FFFD. */
const enc = (value: string): string =>
  encodeURIComponent(String(value).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'))

export function dasDatasetLink(dataset: string): string {
  return `${SERVICE_HOSTS.cmsweb}/das/request?view=list&limit=50&instance=prod%2Fglobal&input=dataset%3D${enc(dataset)}`
}

export function reqmgrLink(name: string): string {
  return `${SERVICE_HOSTS.cmsweb}/reqmgr2/fetch?rid=${enc(name)}`
}

export function unifiedLink(name: string): string {
  return `${SERVICE_HOSTS.unified}/unified/report/${enc(name)}`
}

/** The computing (WMStats) status page of a workflow. */
export function wmstatsLink(name: string): string {
  return `${SERVICE_HOSTS.cmsweb}/wmstatsserver/data/request/${enc(name)}`
}

export function rawJsonLink(name: string): string {
  return `${SERVICE_HOSTS.cmsweb}/couchdb/reqmgr_workload_cache/${enc(name)}`
}

/** DQMIO outputs are harvested by a job named after the workflow: its page on the DQM GUI. */
export function harvestingLink(name: string): string {
  return `${SERVICE_HOSTS.cmsweb}/dqm/relval/?workflow=${enc(name)}`
}

export type PdmvService = 'mcm' | 'rereco' | 'relval'

/** Which PdmV service owns a PrepID: `ReReco-…-NNNNN`, `CMSSW_…-NNNNN` (RelVal), `(task_)XXX-…-NNNNN` (McM). */
export function serviceOfPrepId(prepId: string): PdmvService | undefined {
  if (/^ReReco-.+-\d{5}$/.test(prepId)) return 'rereco'
  if (/^CMSSW_.+-\d{5}$/.test(prepId)) return 'relval'
  if (/^(task_)?[A-Za-z0-9]+-.+-\d{5}$/.test(prepId)) return 'mcm'
  return undefined
}

export function pdmvLink(prepId: string): string | undefined {
  switch (serviceOfPrepId(prepId)) {
    case 'rereco':
      return `${SERVICE_HOSTS.pdmv}/rereco/requests?prepid=${enc(prepId)}`
    case 'relval':
      return `${SERVICE_HOSTS.pdmv}/relval/relvals?prepid=${enc(prepId)}`
    case 'mcm':
      return prepId.startsWith('task_')
        ? `${SERVICE_HOSTS.pdmv}/mcm/chained_requests?prepid=${enc(prepId.slice(5))}`
        : `${SERVICE_HOSTS.pdmv}/mcm/requests?prepid=${enc(prepId)}`
    default:
      return undefined
  }
}

export function campaignLink(campaign: string): string {
  return `${SERVICE_HOSTS.pdmv}/mcm/campaigns?prepid=${enc(campaign)}`
}

/** pMp's historical view of a PrepID or campaign. */
export function pmpLink(value: string): string {
  return `${SERVICE_HOSTS.pdmv}/pmp/historical?r=${enc(value)}`
}

/** Hosts the desktop may open in the operator's browser; everything else is refused. */
export const EXTERNAL_LINK_ALLOW_LIST: readonly string[] = [
  'cmsweb.cern.ch',
  'cmsweb-prod.cern.ch',
  'cmsweb-testbed.cern.ch',
  'cms-pdmv.cern.ch',
  'cms-pdmv-dev.cern.ch',
  'cms-pdmv-prod.web.cern.ch',
  'cms-pdmv-dev.web.cern.ch',
  'cms-unified.web.cern.ch',
  'cmsoms.cern.ch'
]

/**
 * The normalised `href` of an https URL on an allowed host (exact host match; no userinfo), or
 * undefined. Callers open this `href`, never the string they were given: the URL parser forgives
 * leading spaces, tabs and backslashes that an OS opener would read differently.
 */
export function allowedExternalUrl(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' || url.username || url.password) return undefined
  if (!EXTERNAL_LINK_ALLOW_LIST.includes(url.hostname)) return undefined
  return url.href
}

/** True for https URLs on an allowed host (exact host match; no userinfo tricks). */
export function isAllowedExternalUrl(value: string): boolean {
  return allowedExternalUrl(value) !== undefined
}
