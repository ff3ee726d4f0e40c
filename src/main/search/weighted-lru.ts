/**
 * A map bounded by the summed weight of its values, least recently used out: the row cache and the
 * chart cache weigh what they hold (rows, history points) rather than counting entries, since one
 * workflow's answer can be a hundred times another's.
 */
export class WeightedLru<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>()
  private total = 0

  constructor(private readonly maxWeight: number, private readonly weightOf: (value: V) => number) {}

  get size(): number {
    return this.entries.size
  }

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.value
  }

  /** Keeps `value` unless it alone weighs more than the bound; the least recently used go until the rest fits. */
  set(key: string, value: V): void {
    const weight = this.weightOf(value)
    if (weight > this.maxWeight) return
    this.delete(key)
    this.entries.set(key, { value, weight })
    this.total += weight
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxWeight) break
      this.entries.delete(oldest)
      this.total -= entry.weight
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key)
    if (!entry) return
    this.entries.delete(key)
    this.total -= entry.weight
  }

  clear(): void {
    this.entries.clear()
    this.total = 0
  }
}
