/**
 * Order statistics without sorting: the durations of 200 000 workflows are a few million numbers,
 * and a median, a 90th percentile and a maximum need three selections (linear time each), not a sort.
 *
 * Definitions (docs/overview.md): the median is the middle value, or the mean of the two middle
 * values of an even count; the 90th percentile is the nearest-rank one, the ⌈0.9·n⌉-th smallest.
 */

/** A growable list of numbers (no boxing). */
export class NumberBuffer {
  values: Float64Array
  length = 0

  constructor(capacity = 16) {
    this.values = new Float64Array(capacity)
  }

  push(value: number): void {
    if (this.length === this.values.length) {
      const next = new Float64Array(this.values.length * 2)
      next.set(this.values)
      this.values = next
    }
    this.values[this.length++] = value
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!
  a[i] = a[j]!
  a[j] = t
}

/**
 * Rearranges `a[lo..hi]` so that `a[k]` holds the value it would hold sorted, everything before it
 * is ≤ and everything after is ≥ (Hoare's selection with a median-of-three pivot).
 */
export function selectInPlace(a: Float64Array, k: number, lo = 0, hi = a.length - 1): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! < a[lo]!) swap(a, mid, lo)
    if (a[hi]! < a[lo]!) swap(a, hi, lo)
    if (a[hi]! < a[mid]!) swap(a, hi, mid)
    const pivot = a[mid]!
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        swap(a, i, j)
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else break
  }
  return a[k]!
}

export interface Quantiles {
  n: number
  median: number
  p90: number
  max: number
}

/** Median, nearest-rank 90th percentile and maximum of the first `n` values (reordered in place). */
export function quantilesInPlace(values: Float64Array, n: number): Quantiles {
  if (n === 0) return { n: 0, median: 0, p90: 0, max: 0 }
  const a = n === values.length ? values : values.subarray(0, n)
  let max = a[0]!
  for (let i = 1; i < n; i++) if (a[i]! > max) max = a[i]!
  const upper = n >>> 1
  const p90Rank = Math.ceil(0.9 * n) - 1
  // Selections from the lowest rank up, each within what the previous one left above it.
  const lowerMid = (n - 1) >>> 1
  const low = selectInPlace(a, lowerMid)
  const high = upper === lowerMid ? low : selectInPlace(a, upper, lowerMid + 1)
  const p90 = p90Rank <= upper ? (p90Rank === lowerMid ? low : high) : selectInPlace(a, p90Rank, upper + 1)
  return { n, median: (low + high) / 2, p90, max }
}
