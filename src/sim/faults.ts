/**
 * Seeded randomness and fault injection for the cmsweb routes of the simulator.
 */

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface FaultOptions {
  /** Probability of a 503 with the service's error shape. */
  error5xx?: number
  /** Probability of destroying the connection before answering. */
  reset?: number
  /** Probability of a cut JSON body. */
  truncated?: number
  /** Probability of an extra `slowMs` delay. */
  slow?: number
  slowMs?: number
  seed?: number
}

export type Fault =
  | { kind: 'none'; extraDelayMs: 0 }
  | { kind: 'error5xx'; extraDelayMs: number }
  | { kind: 'reset'; extraDelayMs: number }
  /** `lying`: declare the full Content-Length, send a part, close; otherwise a short but consistent body. */
  | { kind: 'truncated'; lying: boolean; extraDelayMs: number }
  | { kind: 'slow'; extraDelayMs: number }

const NONE: Fault = { kind: 'none', extraDelayMs: 0 }

function probability(value: number | undefined, name: string): number {
  if (value === undefined) return 0
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`fault probability ${name} must be within [0, 1], got ${value}`)
  return value
}

export class FaultInjector {
  private readonly rng: () => number
  private readonly error5xx: number
  private readonly reset: number
  private readonly truncated: number
  private readonly slow: number
  private readonly slowMs: number
  readonly active: boolean

  constructor(options: FaultOptions = {}) {
    this.rng = createRng(options.seed ?? 1)
    this.error5xx = probability(options.error5xx, 'error5xx')
    this.reset = probability(options.reset, 'reset')
    this.truncated = probability(options.truncated, 'truncated')
    this.slow = probability(options.slow, 'slow')
    this.slowMs = Math.max(0, options.slowMs ?? 2000)
    this.active = this.error5xx + this.reset + this.truncated + this.slow > 0
  }

  /** One draw per cmsweb call: a slow call can also fail; the failures exclude each other. */
  next(): Fault {
    if (!this.active) return NONE
    const extraDelayMs = this.slow > 0 && this.rng() < this.slow ? this.slowMs : 0
    if (this.error5xx > 0 && this.rng() < this.error5xx) return { kind: 'error5xx', extraDelayMs }
    if (this.reset > 0 && this.rng() < this.reset) return { kind: 'reset', extraDelayMs }
    if (this.truncated > 0 && this.rng() < this.truncated) return { kind: 'truncated', lying: this.rng() < 0.5, extraDelayMs }
    return extraDelayMs > 0 ? { kind: 'slow', extraDelayMs } : NONE
  }
}
