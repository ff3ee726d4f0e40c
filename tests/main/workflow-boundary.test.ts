/** The main-side boundary: list rows and the summed chart never fail on what a store holds. */
import { describe, expect, it } from 'vitest'
import { chartView, listView, splitChartable } from '../../src/main/core/workflow-boundary'
import { CHART_MAX_POINTS } from '../../src/shared/rules/decimate'
import { aggregateHistory, workflowSeries } from '../../src/shared/rules/series'
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

describe('chartView (getWorkflowChart)', () => {
  it('gives the newest entry for the summary, the whole history length, and the series in time order', () => {
    const answer = chartView(good)
    if (isInvalidWorkflow(answer)) throw new Error('a good document came back invalid')
    expect(answer.view.EventNumberHistory.map((entry) => entry.Time)).toEqual([20])
    expect(answer.historyLength).toBe(2)
    expect(answer.series.datasets[0]!.points.map((point) => [point.t, point.v])).toEqual([[10, 10], [20, 50]])
  })

  it('decimates a long history but keeps the ETA computed on all of it', () => {
    const history = Array.from({ length: 5000 }, (_, k) => ({ Time: 1_000 + k * 60, Datasets: { '/a/b/AOD': { Type: 'PRODUCTION', Events: k * 10 + (k % 7), Size: 1 } } }))
    const doc = { ...good, TotalEvents: 100_000, EventNumberHistory: history }
    const answer = chartView(doc)
    if (isInvalidWorkflow(answer)) throw new Error('a good document came back invalid')
    const whole = workflowSeries(doc)
    const points = answer.series.datasets[0]!.points
    expect(answer.historyLength).toBe(5000)
    expect(points.length).toBeLessThanOrEqual(CHART_MAX_POINTS)
    expect(points[0]).toEqual(whole.datasets[0]!.points[0])
    expect(points[points.length - 1]).toEqual(whole.datasets[0]!.points[4999])
    expect(answer.series.datasets[0]!.eta).toBeDefined()
    expect(answer.series.datasets[0]!.eta).toBe(whole.datasets[0]!.eta)
  })

  it('marks hostile documents invalid, with their reasons, instead of failing', () => {
    for (const doc of hostile) {
      const answer = chartView(doc)
      expect(isInvalidWorkflow(answer), JSON.stringify(doc)).toBe(true)
      if (isInvalidWorkflow(answer)) expect(answer.issues.length).toBeGreaterThan(0)
    }
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
