/** The row view model: what a result row shows, from documents of any shape, never throwing. */
import { describe, expect, it } from 'vitest'
import { workflowRow } from '../../src/shared/rules/workflow-row'
import { datasetCompletions } from '../../src/shared/rules/completion'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

const A = '/Prim/Era-PS-v1/GEN-SIM'
const B = '/Prim/Era-PS-v1/AODSIM'

function doc(overrides: Partial<WorkflowDoc> = {}): WorkflowDoc {
  return {
    _id: 'pdmvserv_task_HIG-X-00001__v1_T_240101_101010_1234',
    RequestName: 'pdmvserv_task_HIG-X-00001__v1_T_240101_101010_1234',
    PrepID: 'HIG-X-00001',
    RequestType: 'TaskChain',
    Campaigns: ['Era', 'Era', 'Other'],
    Requests: ['HIG-X-00001'],
    RequestPriority: 110000,
    RequestTransition: [{ Status: 'new', UpdateTime: 100 }, { Status: 'assigned', UpdateTime: 200 }, { Status: 'running-open', UpdateTime: 300 }],
    OutputDatasets: [A, B],
    InputDataset: '/In/Era-v1/GEN',
    ProcessingString: 'PS_v1',
    TotalEvents: 1000,
    TotalInputLumis: -1,
    LastUpdate: 5000,
    EventNumberHistory: [
      { Time: 3000, Datasets: { [A]: { Type: 'VALID', Events: 900, Size: 9 }, [B]: { Type: 'PRODUCTION', Events: 600, Size: 6 } } },
      { Time: 1000, Datasets: { [A]: { Type: 'PRODUCTION', Events: 100, Size: 1 } } }
    ],
    ...overrides
  }
}

describe('workflow row', () => {
  it('carries what a row shows: fields, first and last status, the newest numbers per output dataset', () => {
    const input = doc()
    const row = workflowRow(input)
    expect(row).toEqual({
      name: input._id,
      prepId: 'HIG-X-00001',
      requestType: 'TaskChain',
      priority: 110000,
      expected: { unit: 'events', total: 1000 },
      lastUpdate: 5000,
      firstStatus: { status: 'new', time: 100 },
      lastStatus: { status: 'running-open', time: 300 },
      processingString: 'PS_v1',
      inputDataset: '/In/Era-v1/GEN',
      requests: ['HIG-X-00001'],
      campaigns: ['Era', 'Other'],
      datasets: [
        { dataset: A, type: 'VALID', events: 900, lumis: 0, size: 9, percent: 90, unit: 'events' },
        { dataset: B, type: 'PRODUCTION', events: 600, lumis: 0, size: 6, percent: 60, unit: 'events' }
      ],
      historyLength: 2
    })
    // The same completion numbers as the whole-document rule the exports use.
    expect(row.datasets).toEqual(datasetCompletions(input).map(({ percent, ...rest }) => ({ ...rest, ...(percent === undefined ? {} : { percent }) })))
  })

  it('counts lumis for a lumi-based ReReco, and shows one status when there is one', () => {
    const row = workflowRow(doc({
      RequestType: 'ReReco', LumiList: { '1': [[1, 10]] }, TotalInputLumis: 200,
      RequestTransition: [{ Status: 'new', UpdateTime: 100 }],
      EventNumberHistory: [{ Time: 1, Datasets: { [A]: { Type: 'VALID', Events: 5, Lumis: 50, Size: 1 } } }]
    }))
    expect(row.expected).toEqual({ unit: 'lumis', total: 200 })
    expect(row.datasets[0]).toMatchObject({ lumis: 50, percent: 25, unit: 'lumis' })
    expect(row.datasets[1]).toMatchObject({ type: 'NONE', events: 0 })
    expect(row.firstStatus).toEqual({ status: 'new', time: 100 })
    expect(row.lastStatus).toBeUndefined()
    expect(row.invalid).toBeUndefined()
  })

  it('never throws on hostile shapes: the row is marked invalid with the reasons', () => {
    const hostile: unknown[] = [
      null, 42, 'text', [], [1, 2],
      { _id: 'x', PrepID: { $gt: '' } },
      { _id: 'x', RequestTransition: [{ Status: 'new', UpdateTime: 'yesterday' }] },
      { _id: 'x', RequestTransition: 'new' },
      { _id: 'x', OutputDatasets: 'not-a-list', EventNumberHistory: {} },
      { _id: 'x', OutputDatasets: [A, 7, null], EventNumberHistory: [null, { Time: 'soon', Datasets: {} }, { Time: 1, Datasets: { [A]: 'lots' } }] },
      { _id: 'x', OutputDatasets: [A], EventNumberHistory: [{ Time: 1, Datasets: { [A]: { Type: 3, Events: '12', Size: {} } } }] },
      { _id: 'x', Campaigns: { a: 1 }, Requests: [{}], TotalEvents: '1000', RequestPriority: 'high', LastUpdate: [], RequestName: 12 },
      { _id: 'x', LumiList: { '1': 'x' }, RequestType: 'ReReco', TotalInputLumis: 'many' },
      Object.create(null) as unknown
    ]
    for (const raw of hostile) {
      const row = workflowRow(raw, 'fallback')
      expect(typeof row.name).toBe('string')
      expect(Array.isArray(row.datasets)).toBe(true)
      if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length > 1) {
        expect(row.invalid, JSON.stringify(raw)).toBe(true)
        expect(row.issues!.length).toBeGreaterThan(0)
      }
    }
    expect(workflowRow(null, 'fallback')).toMatchObject({ name: 'fallback', invalid: true })
    const prep = workflowRow({ _id: 'x', PrepID: { $gt: '' } })
    expect(prep.prepId).toBeUndefined()
    expect(prep.issues).toEqual(['PrepID is an object, not text'])
    const time = workflowRow({ _id: 'x', RequestTransition: [{ Status: 'new', UpdateTime: 'yesterday' }, { Status: 'done', UpdateTime: 9 }] })
    expect(time.firstStatus).toEqual({ status: 'done', time: 9 })
    expect(time.invalid).toBe(true)
    const partial = workflowRow({ _id: 'x', OutputDatasets: [A, 7], EventNumberHistory: [{ Time: 1, Datasets: { [A]: { Type: 'VALID', Events: 5, Size: 'big' } } }] })
    expect(partial.datasets).toEqual([{ dataset: A, type: 'VALID', events: 5, lumis: 0, size: 0, unit: 'events' }])
    expect(partial.issues).toEqual(['OutputDatasets holds a number', `Size of ${A} is a string, not a number`])
  })
})
