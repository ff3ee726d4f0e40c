import { describe, expect, it } from 'vitest'
import { pullSummary } from '../../src/renderer/src/lib/replica-view'

describe('the pull, in words', () => {
  it('says what arrived, what was left out, merged and deleted, and the rate while running', () => {
    const progress = { phase: 'pulling' as const, fetched: 12345, written: 12000, skipped: 345, merged: 2, deleted: 1, seq: '12-abc', pending: 500, rate: 812.4 }
    expect(pullSummary({ state: 'running', progress })).toBe(
      '12,345 documents pulled, 12,000 written, 345 outside the scope, 2 merged with updates made here, 1 deleted, 500 changes to go, 812 documents/s'
    )
    expect(pullSummary({ state: 'done', progress: { ...progress, skipped: 0, merged: 0, deleted: 0, pending: 0 } })).toBe('12,345 documents pulled, 12,000 written')
    expect(pullSummary({ state: 'running' })).toBe('connecting…')
  })
})
