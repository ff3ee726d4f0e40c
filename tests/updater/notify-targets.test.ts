import { describe, expect, it } from 'vitest'
import { notificationFor } from '../../src/main/notify/targets'

describe('notification targets (spec §7)', () => {
  it('sends ReReco by type or PrepID, RelVal by name, everything else to McM', () => {
    expect(notificationFor({ _id: 'a', RequestType: 'ReReco', PrepID: 'X-1' })).toEqual({
      service: 'rereco', method: 'POST', path: '/rereco/api/requests/update_workflows', body: { prepid: 'X-1' }
    })
    expect(notificationFor({ _id: 'a', RequestType: 'TaskChain', PrepID: 'ReReco-2022-00001' }).service).toBe('rereco')
    expect(notificationFor({ _id: 'x_RVCMSSW_13_0_y', RequestType: 'TaskChain', PrepID: 'CMSSW_13-00001' })).toEqual({
      service: 'relval', method: 'POST', path: '/relval/api/relvals/update_workflows', body: { prepid: 'CMSSW_13-00001' }
    })
    expect(notificationFor({ _id: 'pdmvserv_task_X', RequestType: 'StepChain' })).toEqual({
      service: 'mcm', method: 'GET', path: '/mcm/restapi/requests/fetch_stats_by_wf/pdmvserv_task_X'
    })
  })
})
