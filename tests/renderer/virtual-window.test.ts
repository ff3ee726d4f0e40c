import { describe, expect, it } from 'vitest'
import { computeWindow, estimateRowHeight, prefixSums } from '../../src/renderer/src/lib/virtual-window'

describe('list windowing', () => {
  const heights = Array.from({ length: 2000 }, (_, i) => 100 + (i % 3) * 20)

  it('renders only the rows near the viewport, with spacers adding up to the full height', () => {
    const total = prefixSums(heights)[heights.length]!
    const window = computeWindow({ heights, scrollTop: 50_000, viewportHeight: 800, overscan: 400 })
    expect(window.end - window.start).toBeLessThan(20)
    const rendered = heights.slice(window.start, window.end).reduce((a, b) => a + b, 0)
    expect(window.before + rendered + window.after).toBe(total)
    expect(window.before).toBeLessThanOrEqual(50_000 - 400)
    expect(window.before + rendered).toBeGreaterThanOrEqual(50_000 + 800 + 400)
  })

  it('starts at the top and stops at the end', () => {
    expect(computeWindow({ heights, scrollTop: -300, viewportHeight: 800, overscan: 0 }).start).toBe(0)
    const end = computeWindow({ heights, scrollTop: 10_000_000, viewportHeight: 800, overscan: 0 })
    expect(end.end).toBe(2000)
    expect(end.after).toBe(0)
    expect(end.start).toBe(1999)
    expect(computeWindow({ heights: [], scrollTop: 0, viewportHeight: 800, overscan: 0 })).toEqual({ start: 0, end: 0, before: 0, after: 0, total: 0 })
  })

  it('estimates taller rows for more datasets', () => {
    expect(estimateRowHeight(4)).toBeGreaterThan(estimateRowHeight(1))
    expect(estimateRowHeight(0)).toBe(estimateRowHeight(1))
  })
})
