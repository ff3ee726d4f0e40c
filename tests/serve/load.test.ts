/**
 * A very short, bounded run of the load test of `npm run bench` (bench/serve.ts): two real
 * `stats2 serve` processes on one store through DB_URL answer every request, identically, and stop
 * cleanly. The throughput figures themselves belong to the benchmark, not to this test.
 */
import { describe, expect, it } from 'vitest'
import { benchServe } from '../../bench/serve'

describe('two serve processes on one store under load', () => {
  it('answers every request without error, from both processes', async () => {
    const result = await benchServe({ clients: 8, seconds: 2, quiet: true })
    expect(result.errors).toBe(0)
    expect(result.requests).toBeGreaterThan(0)
    expect(result.perProcess).toHaveLength(2)
    for (const count of result.perProcess) expect(count).toBeGreaterThan(0)
    expect(result.sameAnswers).toBe(true)
    expect(result.cleanExit).toBe(true)
  }, 120_000)
})
