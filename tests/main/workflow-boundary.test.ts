/** The main-side boundary: list rows and the summed chart never fail on what a store holds. */
import { describe, expect, it } from 'vitest'
import { listView, splitChartable } from '../../src/main/desktop/workflow-boundary'
import { aggregateHistory } from '../../src/shared/rules/series'
import { isInvalidWorkflow } from '../../src/shared/workflow-view'

const good = {
  _id: 'wf', Campaigns: [], OutputDatasets: ['/a/b/AOD'], RequestPriority: 1, RequestTransition: [], Requests: [], TotalEvents: 100, TotalInputLumis: -1,
  EventNumberHistory: [
    { Time: 20, Datasets: { '/a/b/AOD': { Type: 'VALID', Events: 50, Size: 1 } } },
    { Time: 10, Datasets: { '/a/b/AOD': { Type: 'PRODUCTION', Events: 10, Size: 1 } } }
  ]
}

const hostile: unknown[] = [
  null, 'text', [], { ...good, EventNumberHistory: { Time: 1 } }, { ...good, EventNumberHistory: [null] },
  { ...good, EventNumberHistory: [{ Time: 'now', Datasets: {} }] }, { ...good, EventNumberHistory: [{ Time: 1e20, Datasets: {} }] },
  { ...good, EventNumberHistory: [{ Time: 1, Datasets: { '/a/b/AOD': { Type: {}, Events: 1 } } }] },
  { ...good, EventNumberHistory: [{ Time: 1, Datasets: { '/a/b/AOD': { Type: 'VALID', Events: '1' } } }] },
  { ...good, OutputDatasets: 'x' }, { ...good, OutputDatasets: [{}] }, { ...good, TotalEvents: '100' }
]

describe('listView', () => {
  it('keeps only the newest history entry of a good document', () => {
    const view = listView(good)
    expect(isInvalidWorkflow(view)).toBe(false)
    if (!isInvalidWorkflow(view)) expect(view.EventNumberHistory.map((entry) => entry.Time)).toEqual([20])
  })

  it('marks hostile documents invalid instead of failing', () => {
    for (const doc of hostile) expect(isInvalidWorkflow(listView(doc)), JSON.stringify(doc)).toBe(true)
  })
})

describe('splitChartable', () => {
  it('counts what the summed chart cannot read as left out, and the chart never fails', () => {
    const { usable, unusable } = splitChartable([good, ...hostile, { ...good, _id: 'other', PrepID: { object: true } }])
    expect(unusable).toBe(hostile.length)
    expect(usable).toHaveLength(2)
    const series = aggregateHistory(usable)
    expect(series.workflows).toBe(2)
    expect(series.times).toEqual([10, 20])
  })
})
