import { describe, expect, it } from 'vitest'
import { SINGLE_MOMENT_MARGIN_SECONDS, legendLabel, searchChartData, timeAxisBounds, workflowChartData } from '../../src/renderer/src/lib/chart-data'
import { TYPE_COLOURS } from '../../src/renderer/src/lib/colours'
import { aggregateHistory } from '../../src/shared/rules/series'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

const A = '/Prim/Era-PS-v1/GEN-SIM'
const B = '/Prim/Era-PS-v1/AODSIM'

function doc(overrides: Partial<WorkflowDoc> = {}): WorkflowDoc {
  return {
    _id: 'pdmvserv_task_X_v1_T_240101_101010_1234',
    Campaigns: ['Era'],
    Requests: [],
    RequestPriority: 1,
    RequestTransition: [],
    OutputDatasets: [A, B],
    TotalEvents: 1000,
    TotalInputLumis: 0,
    EventNumberHistory: [
      // deliberately out of order: the chart sorts by Time
      { Time: 3000, Datasets: { [A]: { Type: 'VALID', Events: 900, Size: 9 }, [B]: { Type: 'PRODUCTION', Events: 600, Size: 6 } } },
      { Time: 1000, Datasets: { [A]: { Type: 'PRODUCTION', Events: 100, Size: 1 } } },
      { Time: 2000, Datasets: { [A]: { Type: 'PRODUCTION', Events: 500, Size: 5 }, [B]: { Type: 'PRODUCTION', Events: 200, Size: 2 } } }
    ],
    ...overrides
  }
}

describe('workflow chart datasets', () => {
  it('has one line per output dataset with a point per stored history entry', () => {
    const input = doc()
    const data = workflowChartData(input)
    const lines = data.datasets.filter((dataset) => dataset.stats2.kind === 'dataset')
    expect(lines.map((line) => line.label)).toEqual([A, B])
    for (const line of lines) {
      const expected = [...input.EventNumberHistory]
        .sort((a, b) => a.Time - b.Time)
        .filter((entry) => entry.Datasets[line.label])
        .map((entry) => ({ x: entry.Time, y: entry.Datasets[line.label]!.Events }))
      expect(line.data).toEqual(expected)
    }
    expect(lines[0]!.stats2.types).toEqual(['PRODUCTION', 'PRODUCTION', 'VALID'])
    expect(lines[0]!.pointBackgroundColor).toEqual([TYPE_COLOURS.production, TYPE_COLOURS.production, TYPE_COLOURS.valid])
    expect(data.range).toEqual({ min: 1000, max: 3000 })
  })

  it('colours every drawn dot by its Type, and only the hovered point of a long line (options Chart.js can share)', () => {
    const history = Array.from({ length: 500 }, (_, k) => ({ Time: 1000 + k, Datasets: { [A]: { Type: k === 499 ? 'VALID' : 'PRODUCTION', Events: k, Size: 1 } } }))
    const [line] = workflowChartData(doc({ OutputDatasets: [A], EventNumberHistory: history })).datasets
    expect(line!.pointRadius).toBe(0)
    expect(line!.pointBackgroundColor).toBe(line!.borderColor)
    expect(line!.pointBorderColor).toBe(line!.borderColor)
    const hover = line!.pointHoverBackgroundColor as string[]
    expect(hover).toHaveLength(500)
    expect([hover[0], hover[499]]).toEqual([TYPE_COLOURS.production, TYPE_COLOURS.valid])
    const [short] = workflowChartData(doc({ OutputDatasets: [A], EventNumberHistory: history.slice(0, 3) })).datasets
    expect(short!.pointRadius).toBe(2.5)
    expect(short!.pointBackgroundColor).toEqual([TYPE_COLOURS.production, TYPE_COLOURS.production, TYPE_COLOURS.production])
  })

  it('draws the expected total as a horizontal line over the history range', () => {
    const data = workflowChartData(doc())
    const expected = data.datasets.find((dataset) => dataset.stats2.kind === 'expected')!
    expect(expected.data).toEqual([{ x: 1000, y: 1000 }, { x: 3000, y: 1000 }])
    expect(workflowChartData(doc({ TotalEvents: -1 })).datasets.some((dataset) => dataset.stats2.kind === 'expected')).toBe(false)
  })

  it('carries the ETA of a rising dataset and shows it in the legend', () => {
    const data = workflowChartData(doc())
    const b = data.datasets.find((dataset) => dataset.label === B)!
    expect(b.stats2.eta).toBe(4000)
    expect(legendLabel(b, (eta) => `T${eta}`, data.datasets)).toBe('AODSIM · ETA T4000')
    const twin = { ...b, stats2: { ...b.stats2, dataset: '/Prim/Other-v2/AODSIM' } }
    expect(legendLabel(b, (eta) => `T${eta}`, [b, twin])).toBe('AODSIM (Era-PS-v1) · ETA T4000')
  })

  it('plots lumis for lumi-based workflows', () => {
    const lumiDoc = doc({
      RequestType: 'ReReco',
      LumiList: { '1': [[1, 10]] },
      TotalInputLumis: 50,
      EventNumberHistory: [{ Time: 10, Datasets: { [A]: { Type: 'VALID', Events: 999, Size: 1, Lumis: 40 } } }]
    })
    const data = workflowChartData(lumiDoc)
    expect(data.unit).toBe('lumis')
    expect(data.datasets[0]!.data).toEqual([{ x: 10, y: 40 }])
    // One entry: the expected line spans the axis framed around it.
    expect(data.datasets.find((dataset) => dataset.stats2.kind === 'expected')!.data).toEqual([
      { x: 10 - SINGLE_MOMENT_MARGIN_SECONDS, y: 50 },
      { x: 10 + SINGLE_MOMENT_MARGIN_SECONDS, y: 50 }
    ])
  })

  it('is empty without history', () => {
    const data = workflowChartData(doc({ EventNumberHistory: [] }))
    expect(data.datasets).toEqual([])
    expect(data.range).toBeUndefined()
  })
})

describe('search chart datasets', () => {
  it('stacks VALID, PRODUCTION, INVALID and other, with the expected line apart', () => {
    const series = aggregateHistory([doc()])
    const datasets = searchChartData(series)
    expect(datasets.map((dataset) => dataset.stats2.type ?? dataset.stats2.kind)).toEqual(['VALID', 'PRODUCTION', 'INVALID', 'other', 'expected'])
    expect(datasets[0]!.fill).toBe('origin')
    expect(datasets[1]!.fill).toBe('-1')
    expect(datasets[0]!.stack).toBe('progress')
    expect(datasets[4]!.stack).toBe('expected')
    // final dataset is B (the last in tier order): PRODUCTION 200 at t=2000, 600 at t=3000
    expect(datasets[1]!.data).toEqual(series.times.map((time, i) => ({ x: time, y: series.production[i] })))
    expect(datasets[4]!.data.every((point) => point.y === 1000)).toBe(true)
  })
})

describe('time axis of a one-moment history', () => {
  it('frames a single history entry with an hour either side, centred on it', () => {
    const single = workflowChartData(doc({ EventNumberHistory: [{ Time: 1_750_000_000, Datasets: { [A]: { Type: 'PRODUCTION', Events: 10, Size: 1 } } }] }))
    expect(single.range).toEqual({ min: 1_750_000_000, max: 1_750_000_000 })
    const bounds = timeAxisBounds(single.range)
    expect(bounds).toEqual({ min: 1_750_000_000 - SINGLE_MOMENT_MARGIN_SECONDS, max: 1_750_000_000 + SINGLE_MOMENT_MARGIN_SECONDS })
    // Chart.js alone would pad a zero-width range by 5 % of the value (years); this is hours.
    expect(bounds!.max - bounds!.min).toBeLessThanOrEqual(2 * 3600)
  })

  it('leaves a history spanning time to the chart, and no history without bounds', () => {
    expect(timeAxisBounds(workflowChartData(doc()).range)).toBeUndefined()
    expect(timeAxisBounds(workflowChartData(doc({ EventNumberHistory: [] })).range)).toBeUndefined()
  })
})
