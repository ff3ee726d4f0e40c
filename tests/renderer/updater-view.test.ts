import { describe, expect, it } from 'vitest'
import type { UpdaterState } from '../../src/shared/ipc-contract'
import { jobEnded, percentDone, progressByName, reportSummary, workflowProgressLabel, workflowProgressTone } from '../../src/renderer/src/lib/updater-view'
import { formatAxisTime, timeTicks, timeUntil, distinctStrings, expectedLabel, toSeconds } from '../../src/renderer/src/lib/format'
import { compactNumber } from '../../src/renderer/src/lib/numbers'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

describe('updater words', () => {
  it('notices when a running job ends', () => {
    const running: UpdaterState = { state: 'running', jobId: 3 }
    expect(jobEnded(running, { state: 'done', jobId: 3 })).toBe(true)
    expect(jobEnded(undefined, { state: 'done', jobId: 3 })).toBe(false)
    expect(jobEnded({ state: 'done', jobId: 3 }, { state: 'done', jobId: 3 })).toBe(false)
    expect(jobEnded({ state: 'done', jobId: 2 }, { state: 'done', jobId: 3 })).toBe(true)
    expect(jobEnded(running, { state: 'running', jobId: 3 })).toBe(false)
  })

  it('labels per-workflow progress', () => {
    const map = progressByName({ state: 'running', jobId: 1, workflows: [{ name: 'a', stage: 'update' }, { name: 'b', stage: 'done', outcome: 'failed', reason: 'x' }] })
    expect(workflowProgressLabel(map.get('a')!)).toBe('updating…')
    expect(workflowProgressTone(map.get('a')!)).toBe('busy')
    expect(workflowProgressLabel(map.get('b')!)).toBe('failed')
    expect(workflowProgressTone(map.get('b')!)).toBe('failed')
  })

  it('summarises a report', () => {
    const summary = reportSummary({
      scope: 'all', startedAt: 0, finishedAt: 10, changed: 5, deleted: 0, written: 3, unchanged: 2, recalculated: 9, historyAdded: 1,
      failed: [{ name: 'w', reason: 'r' }], notifications: { sent: 0, failed: 0 }, warnings: ['w'], cancelled: false
    })
    expect(summary).toBe('3 written, 2 unchanged, 1 history entry added, 1 failed, 1 warning')
    expect(percentDone(1, 3)).toBe(33)
    expect(percentDone(1, 0)).toBe(0)
  })
})

describe('display helpers', () => {
  it('puts axis ticks on round UTC hours and days', () => {
    const day = 86_400
    const ticks = timeTicks(10 * day + 5000, 20 * day, 8)
    expect(ticks.every((tick) => tick % day === 0)).toBe(true)
    expect(ticks.length).toBeLessThanOrEqual(8)
    const hours = timeTicks(1000, 1000 + 10 * 3600, 6)
    expect(hours.every((tick) => tick % 7200 === 0)).toBe(true)
    expect(formatAxisTime(0, day)).toBe('1970-01-01')
    expect(formatAxisTime(3600, 3600)).toBe('01-01 01:00')
    const seconds = timeTicks(1_795_820_298, 1_795_820_399, 8)
    expect(seconds.length).toBeGreaterThanOrEqual(4)
    expect(seconds.every((tick) => tick % 15 === 0)).toBe(true)
    expect(formatAxisTime(1_795_820_310, 15)).toBe('22:58:30')
  })

  it('formats numbers, lists and expectations', () => {
    expect(toSeconds(1_795_820_298_123)).toBeCloseTo(1_795_820_298.123)
    expect(toSeconds(1_795_820_298)).toBe(1_795_820_298)
    expect(compactNumber(1_500_000)).toBe('1.5M')
    expect(compactNumber(900)).toBe('900')
    expect(compactNumber(2_000_000_000)).toBe('2G')
    expect(timeUntil(100 + 2 * 86_400, 100)).toBe('in 2d')
    expect(distinctStrings(['a', 'a', 3, null, 'b', ''])).toEqual(['a', 'b'])
    const doc = { TotalEvents: -1, TotalInputLumis: 0 } as WorkflowDoc
    expect(expectedLabel(doc)).toBe('unknown events')
    expect(expectedLabel({ ...doc, TotalEvents: 1234 })).toBe('1,234 events')
  })
})
