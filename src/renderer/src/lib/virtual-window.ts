/**
 * Which rows of a long list to render: only those in (or near) the viewport, with spacers for the
 * rest. Rows have different heights (one line per output dataset), so measured heights are used
 * where known and estimates elsewhere. Pure.
 */

export interface WindowInput {
  /** Height of every row in px (measured or estimated). */
  heights: readonly number[]
  /** Scroll position relative to the top of the list (may be negative when the list starts lower). */
  scrollTop: number
  viewportHeight: number
  /** Extra px rendered above and below the viewport. */
  overscan: number
}

export interface ListWindow {
  start: number
  /** Exclusive. */
  end: number
  /** Spacer heights above and below the rendered rows. */
  before: number
  after: number
  total: number
}

export function prefixSums(heights: readonly number[]): number[] {
  const sums = new Array<number>(heights.length + 1)
  sums[0] = 0
  for (let i = 0; i < heights.length; i++) sums[i + 1] = sums[i]! + Math.max(0, heights[i]!)
  return sums
}

/** The last index i with sums[i] <= value (0 ≤ i ≤ n). */
function lastAtOrBelow(sums: readonly number[], value: number): number {
  let low = 0
  let high = sums.length - 1
  while (low < high) {
    const middle = (low + high + 1) >> 1
    if (sums[middle]! <= value) low = middle
    else high = middle - 1
  }
  return low
}

export function computeWindow(input: WindowInput): ListWindow {
  const count = input.heights.length
  const sums = prefixSums(input.heights)
  const total = sums[count]!
  if (count === 0) return { start: 0, end: 0, before: 0, after: 0, total }
  const top = Math.max(0, input.scrollTop - input.overscan)
  const bottom = Math.max(top, input.scrollTop + Math.max(0, input.viewportHeight) + input.overscan)
  const start = Math.min(count - 1, lastAtOrBelow(sums, top))
  let end = lastAtOrBelow(sums, bottom)
  if (end < count && sums[end]! < bottom) end++
  end = Math.min(count, Math.max(start + 1, end))
  return { start, end, before: sums[start]!, after: total - sums[end]!, total }
}

/** A first guess of a workflow row's height before it is measured. */
export function estimateRowHeight(outputDatasets: number): number {
  return 104 + 24 * Math.max(1, outputDatasets)
}
