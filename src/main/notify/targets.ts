/** Which PdmV service hears about a written workflow (spec §7). Pure. */
import type { WorkflowDoc } from '../../shared/stats2-doc'
import { docPathSegment } from '../store/doc-ids'

export type PdmvService = 'rereco' | 'relval' | 'mcm'

export interface NotificationCall {
  service: PdmvService
  method: 'GET' | 'POST'
  path: string
  body?: { prepid: string }
}

export function notificationFor(doc: Pick<WorkflowDoc, '_id' | 'RequestType' | 'PrepID'>): NotificationCall {
  const prepid = doc.PrepID ?? ''
  if (doc.RequestType === 'ReReco' || prepid.startsWith('ReReco-')) {
    return { service: 'rereco', method: 'POST', path: '/rereco/api/requests/update_workflows', body: { prepid } }
  }
  if (doc._id.includes('RVCMSSW')) {
    return { service: 'relval', method: 'POST', path: '/relval/api/relvals/update_workflows', body: { prepid } }
  }
  return { service: 'mcm', method: 'GET', path: `/mcm/restapi/requests/fetch_stats_by_wf/${docPathSegment(doc._id)}` }
}
