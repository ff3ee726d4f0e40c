/**
 * Fewer points for a line chart without changing its shape: a long series is cut into buckets and
 * each keeps its lowest and highest point (min-max decimation), so peaks and dips stay visible,
 * and the first and last points are always kept. A 5 000-point history drawn on a 1 000-pixel
 * chart loses nothing a reader can see. Pure.
 */
import type { WorkflowSeries } from './series'

/** At most this many points per line reach the chart (about two per horizontal pixel). */
export const CHART_MAX_POINTS = 1000

/**
 * Indices (ascending) of the points to keep out of `values.length`, at most `maxPoints` (≥ 4) of
 * them: first, last, and per bucket the minimum and maximum. Everything when short enough.
 */
export function decimateIndices(values: readonly number[], maxPoints = CHART_MAX_POINTS): number[] {
  const n = values.length
  const limit = Math.max(4, Math.floor(maxPoints))
  if (n <= limit) return Array.from({ length: n }, (_, i) => i)
  const kept: number[] = [0]
  const interior = n - 2
  const buckets = Math.floor((limit - 2) / 2)
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * interior) / buckets)
    const end = 1 + Math.floor(((b + 1) * interior) / buckets)
    if (end <= start) continue
    let min = start
    let max = start
    for (let i = start + 1; i < end; i++) {
      if (values[i]! < values[min]!) min = i
      if (values[i]! > values[max]!) max = i
    }
    if (min === max) kept.push(min)
    else kept.push(Math.min(min, max), Math.max(min, max))
  }
  kept.push(n - 1)
  return kept
}

/**
 * The same series with each dataset's points decimated (ETA and everything else untouched, so the
 * ETA stays the one computed on the whole history). Series short enough come back equal.
 */
export function decimateSeries(series: WorkflowSeries, maxPoints = CHART_MAX_POINTS): WorkflowSeries {
  return {
    ...series,
    datasets: series.datasets.map((item) => {
      if (item.points.length <= maxPoints) return item
      return { ...item, points: decimateIndices(item.points.map((point) => point.v), maxPoints).map((i) => item.points[i]!) }
    })
  }
}
