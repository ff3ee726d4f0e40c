import { describe, expect, it } from 'vitest'
import { scheduleLabel } from '../../src/renderer/src/lib/schedule-view'

const NOW = Date.UTC(2026, 10, 30, 13, 0, 0) / 1000

describe('scheduled update label', () => {
  it('is absent when the schedule is off', () => {
    expect(scheduleLabel({ everyMinutes: 0 }, NOW, false)).toBeUndefined()
  })

  it('shows the next run time in UTC and how long until it', () => {
    const label = scheduleLabel({ everyMinutes: 30, nextRunAt: NOW + 25 * 60 }, NOW, false)
    expect(label?.text).toBe('Next update 13:25 UTC (in 25min)')
    expect(label?.title).toContain('every 30 min')
    expect(label?.title).toContain('2026-11-30 13:25 UTC')
  })

  it('says due now when the time has come, and waits for a running update', () => {
    expect(scheduleLabel({ everyMinutes: 30, nextRunAt: NOW - 5 }, NOW, false)?.text).toBe('Next update due now')
    expect(scheduleLabel({ everyMinutes: 30, nextRunAt: NOW }, NOW, true)?.text).toBe('Next update due now (after the running one)')
  })
})
