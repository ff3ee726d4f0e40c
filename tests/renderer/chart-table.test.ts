import { describe, expect, it } from 'vitest'
import { chartSummary, dailyTable } from '../../src/renderer/src/lib/chart-table'

const DAY = 86_400
const D0 = 20_000 * DAY // 2024-10-04 00:00 UTC

describe('the table alternative of a chart', () => {
  it('has a row per day with history, newest first, each line at its last value by the end of that day', () => {
    const table = dailyTable([
      { label: 'GEN-SIM', data: [{ x: D0 + 3600, y: 10 }, { x: D0 + 7200, y: 20 }, { x: D0 + 2 * DAY + 60, y: 50 }] },
      // Starts a day later: no value before its first point.
      { label: 'AODSIM', data: [{ x: D0 + DAY + 10, y: 5 }] }
    ])
    expect(table.columns).toEqual(['GEN-SIM', 'AODSIM'])
    expect(table.rows).toEqual([
      { day: '2024-10-06', values: [50, 5] },
      { day: '2024-10-05', values: [20, 5] },
      { day: '2024-10-04', values: [20, undefined] }
    ])
    expect(table.omitted).toBe(0)
  })

  it('stays bounded: the newest days only, and how many were left out', () => {
    const data = Array.from({ length: 5000 }, (_, i) => ({ x: D0 + i * 3600, y: i }))
    const table = dailyTable([{ label: 'A', data }], 30)
    expect(table.rows).toHaveLength(30)
    expect(table.rows[0]!.values).toEqual([4999])
    expect(table.omitted).toBe(Math.ceil(5000 / 24) - 30)
    expect(dailyTable([]).rows).toEqual([])
  })

  it('labels the canvas with what it draws', () => {
    expect(chartSummary('Events of W', [{ label: 'GEN-SIM', data: [{ x: D0, y: 1000 }, { x: D0 + DAY, y: 2500 }] }, { label: 'AODSIM', data: [] }], 'events'))
      .toBe('Events of W, from 2024-10-04 to 2024-10-05 UTC. Latest: GEN-SIM 2,500 events. The Table button shows the values by day.')
    expect(chartSummary('Events of W', [], 'events')).toBe('Events of W: no history yet.')
    const many = Array.from({ length: 8 }, (_, i) => ({ label: `T${i}`, data: [{ x: D0, y: i }] }))
    expect(chartSummary('S', many, 'lumis', 2)).toBe('S, on 2024-10-04 UTC. Latest: T0 0 lumis, T1 1 lumis, and 6 more. The Table button shows the values by day.')
  })
})
