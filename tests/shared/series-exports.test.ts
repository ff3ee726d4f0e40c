import { describe, expect, it } from 'vitest'
import { aggregateHistory, etaFromTrend, workflowSeries } from '../../src/shared/rules/series'
import { toCsv, toMarkdown } from '../../src/shared/rules/exports'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

const doc = (over: Partial<WorkflowDoc>): WorkflowDoc => ({
  _id: 'w', Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0, RequestTransition: [],
  Requests: [], TotalEvents: 1000, TotalInputLumis: -1, ...over
})

describe('workflow series', () => {
  it('gives one series per output dataset over time, and an ETA from the recent trend', () => {
    const w = doc({
      OutputDatasets: ['/a/b/GEN-SIM', '/a/b/AODSIM'],
      EventNumberHistory: [
        { Time: 3600, Datasets: { '/a/b/GEN-SIM': { Type: 'PRODUCTION', Events: 200, Size: 1 } } },
        { Time: 0, Datasets: { '/a/b/GEN-SIM': { Type: 'PRODUCTION', Events: 100, Size: 1 }, '/a/b/AODSIM': { Type: 'NONE', Events: 0, Size: 0 } } }
      ]
    })
    const series = workflowSeries(w)
    expect(series.unit).toBe('events')
    expect(series.expected).toBe(1000)
    expect(series.datasets[0]).toEqual({
      dataset: '/a/b/GEN-SIM',
      points: [{ t: 0, v: 100, type: 'PRODUCTION' }, { t: 3600, v: 200, type: 'PRODUCTION' }],
      eta: 3600 + 8 * 3600
    })
    expect(series.datasets[1]?.eta).toBeUndefined()
    expect(etaFromTrend([{ t: 0, v: 10, type: 'x' }, { t: 10, v: 10, type: 'x' }], 100)).toBeUndefined()
    expect(etaFromTrend([{ t: 0, v: 10, type: 'x' }, { t: 10, v: 200, type: 'x' }], 100)).toBeUndefined()
  })
})

describe('summed search history', () => {
  it('sums each workflow’s final dataset as of each time, split by Type', () => {
    const a = doc({ _id: 'a', TotalEvents: 100, OutputDatasets: ['/a/x/GEN-SIM', '/a/x/AODSIM'], EventNumberHistory: [
      { Time: 10, Datasets: { '/a/x/AODSIM': { Type: 'PRODUCTION', Events: 10, Size: 0 }, '/a/x/GEN-SIM': { Type: 'PRODUCTION', Events: 99, Size: 0 } } },
      { Time: 30, Datasets: { '/a/x/AODSIM': { Type: 'VALID', Events: 100, Size: 0 } } }
    ] })
    const b = doc({ _id: 'b', TotalEvents: 50, OutputDatasets: ['/b/x/AODSIM'], EventNumberHistory: [
      { Time: 20, Datasets: { '/b/x/AODSIM': { Type: 'INVALID', Events: 5, Size: 0 } } }
    ] })
    const none = doc({ _id: 'c', TotalEvents: -1 })
    const series = aggregateHistory([a, b, none])
    expect(series).toEqual({
      times: [10, 20, 30], valid: [0, 0, 100], production: [10, 10, 0], invalid: [0, 5, 5], other: [0, 0, 0],
      expected: 150, workflows: 2, skipped: 1
    })
  })
})

describe('exports', () => {
  const w = doc({ _id: 'pdmvserv_X_230627_101500_1111', PrepID: 'HIG-X-00001', RequestType: 'TaskChain', InputDataset: '/in/put/RAW',
    OutputDatasets: ['/o|ut/x/AODSIM'], RequestTransition: [{ Status: 'new', UpdateTime: 1 }, { Status: 'running-open', UpdateTime: 2 }],
    EventNumberHistory: [{ Time: 1, Datasets: { '/o|ut/x/AODSIM': { Type: 'PRODUCTION', Events: 250, Size: 9 } } }] })

  it('writes the seed’s Markdown table with links, escaping table syntax', () => {
    const md = toMarkdown([w])
    expect(md.split('\n')[0]).toBe('| RequestName | InputDataset | OutputDatasets |')
    expect(md).toContain('[pdmvserv_X_230627_101500_1111](https://cmsweb.cern.ch/reqmgr2/fetch?rid=pdmvserv_X_230627_101500_1111)')
    expect(md).toContain('[/o\\|ut/x/AODSIM](https://cmsweb.cern.ch/das/')
  })

  it('writes one CSV row per output dataset with quoting', () => {
    const csv = toCsv([w, doc({ _id: 'empty', PrepID: '=cmd()' })]).trim().split('\r\n')
    expect(csv).toHaveLength(3)
    expect(csv[1]).toBe('pdmvserv_X_230627_101500_1111,HIG-X-00001,TaskChain,running-open,0,,events,1000,/o|ut/x/AODSIM,PRODUCTION,250,0,9,25.00,')
    expect(csv[2]!.startsWith(`empty,"'=cmd()",`)).toBe(true)
  })
})
