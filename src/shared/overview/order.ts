/**
 * Ordering many entries by a time quickly: whole seconds and the entry's index packed into one
 * number and sorted natively (no comparator: 200 000 entries in a few ms), then each run of one
 * second put in exact order by `exact`. Keys that do not pack (far out of range, or too many
 * entries) are ordered by `exact` alone. The result is the same either way.
 */

const INDEX_BITS = 2 ** 19
/** Seconds of either sign up to this fit with 19 bits of index below 2^53 (the year 2223 and back). */
const PACKABLE = 8e9

/** The indexes 0..n-1 ordered by `keys` (ascending), ties and fractions by `exact`. */
export function orderByKey(keys: Float64Array, n: number, exact: (a: number, b: number) => number): Int32Array {
  let packable = n < INDEX_BITS
  for (let i = 0; packable && i < n; i++) packable = Math.abs(keys[i]!) < PACKABLE
  if (!packable) return Int32Array.from({ length: n }, (_, i) => i).sort(exact)
  const packed = new Float64Array(n)
  for (let i = 0; i < n; i++) packed[i] = (Math.floor(keys[i]!) + PACKABLE) * INDEX_BITS + i
  packed.sort()
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = packed[i]! % INDEX_BITS
  for (let start = 0; start < n;) {
    const second = Math.floor(keys[order[start]!]!)
    let end = start + 1
    while (end < n && Math.floor(keys[order[end]!]!) === second) end++
    if (end - start > 1) order.subarray(start, end).sort(exact)
    start = end
  }
  return order
}
