/** Chart decimation: few points, the same shape — first, last and every extreme kept. */
import { describe, expect, it } from 'vitest'
import { CHART_MAX_POINTS, decimateIndices, decimateSeries } from '../../src/shared/rules/decimate'
import { workflowChartData } from '../../src/renderer/src/lib/chart-data'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

function noisy(n: number, seed = 1): number[] {
  let x = seed
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return i * 10 + (x % 1000) - 500
  })
}

describe('min-max decimation', () => {
  it('keeps short series whole', () => {
    expect(decimateIndices([3, 1, 2], 10)).toEqual([0, 1, 2])
    expect(decimateIndices([], 10)).toEqual([])
  })

  it('keeps at most maxPoints, ascending, with first, last, global and per-bucket extremes', () => {
    for (const n of [1001, 5000, 12_345]) {
      const values = noisy(n, n)
      const kept = decimateIndices(values, 1000)
      expect(kept.length).toBeLessThanOrEqual(1000)
      expect(kept.length).toBeGreaterThan(900)
      expect(kept[0]).toBe(0)
      expect(kept[kept.length - 1]).toBe(n - 1)
      for (let i = 1; i < kept.length; i++) expect(kept[i]!).toBeGreaterThan(kept[i - 1]!)
      const keptValues = kept.map((i) => values[i]!)
      expect(Math.max(...keptValues)).toBe(Math.max(...values))
      expect(Math.min(...keptValues)).toBe(Math.min(...values))
    }
    // A single spike in a flat series survives.
    const flat = new Array<number>(5000).fill(7)
    flat[2345] = 1e6
    flat[4000] = -3
    const kept = decimateIndices(flat, 100)
    expect(kept).toContain(2345)
    expect(kept).toContain(4000)
  })

  it('draws a 5 000-entry history with at most CHART_MAX_POINTS per line, last point and type intact', () => {
    const D = '/P/E-v1/AODSIM'
    const history = Array.from({ length: 5000 }, (_, k) => ({ Time: 1000 + k, Datasets: { [D]: { Type: k === 4999 ? 'VALID' : 'PRODUCTION', Events: k * 3, Size: 0 } } }))
    const doc: WorkflowDoc = {
      _id: 'w', Campaigns: [], Requests: [], RequestPriority: 0, RequestTransition: [], OutputDatasets: [D],
      TotalEvents: 20_000, TotalInputLumis: -1, EventNumberHistory: history
    }
    const data = workflowChartData(doc)
    const line = data.datasets.find((d) => d.stats2.kind === 'dataset')!
    expect(line.data.length).toBeLessThanOrEqual(CHART_MAX_POINTS)
    expect(line.data[0]).toEqual({ x: 1000, y: 0 })
    expect(line.data[line.data.length - 1]).toEqual({ x: 5999, y: 4999 * 3 })
    expect(line.stats2.types).toHaveLength(line.data.length)
    expect(line.stats2.types![line.data.length - 1]).toBe('VALID')
    expect(data.range).toEqual({ min: 1000, max: 5999 })
    // The ETA is fitted on the whole history, not on the drawn points.
    expect(line.stats2.eta).toBe(Math.round(5999 + (20_000 - 4999 * 3) / 3))
  })
})

describe('decimateSeries', () => {
  const points = (n: number) => noisy(n).map((v, i) => ({ t: i, v, type: 'PRODUCTION' }))
  it('keeps a short series equal and cuts a long one to the limit, ETA and unit untouched', () => {
    const short = { unit: 'events' as const, expected: 10, datasets: [{ dataset: '/a/b/AOD', points: points(CHART_MAX_POINTS), eta: 5 }] }
    expect(decimateSeries(short)).toEqual(short)
    const long = { unit: 'events' as const, expected: 10, datasets: [{ dataset: '/a/b/AOD', points: points(5000), eta: 7 }, { dataset: '/a/b/MINIAOD', points: points(3) }] }
    const cut = decimateSeries(long)
    expect(cut.datasets[0]!.points.length).toBeLessThanOrEqual(CHART_MAX_POINTS)
    expect(cut.datasets[0]!.points).toEqual(decimateIndices(long.datasets[0]!.points.map((p) => p.v)).map((i) => long.datasets[0]!.points[i]))
    expect(cut.datasets[0]!.eta).toBe(7)
    expect(cut.datasets[1]).toEqual(long.datasets[1])
    expect(cut.unit).toBe('events')
    expect(cut.expected).toBe(10)
  })
})
