import { describe, expect, it } from 'vitest'
import { detectWatchEvents, type DetectInput } from '../../src/main/watchlist/detect'
import type { HistoryEntry, WorkflowDoc } from '../../src/shared/stats2-doc'

const NAME = 'pdmvserv_task_HIG-Run3Summer22GS-00042__v1_T_260101_101010_1234'
const A = '/GluGluHToGG/Run3Summer22GS-126X-v1/GEN-SIM'
const B = '/GluGluHToGG/Run3Summer22MiniAODv4-130X-v1/MINIAODSIM'
const NOW = 1_790_000_000
const DAY = 86_400

function entry(time: number, a: [string, number], b?: [string, number]): HistoryEntry {
  return {
    Time: time,
    Datasets: {
      [A]: { Type: a[0], Events: a[1], Size: a[1] * 10 },
      ...(b ? { [B]: { Type: b[0], Events: b[1], Size: b[1] } } : {})
    }
  }
}

function doc(statuses: Array<[string, number]>, history: HistoryEntry[]): WorkflowDoc {
  return {
    _id: NAME,
    Campaigns: ['Run3Summer22GS'],
    Requests: [],
    RequestPriority: 1,
    RequestTransition: statuses.map(([Status, UpdateTime]) => ({ Status, UpdateTime })),
    OutputDatasets: [A, B],
    TotalEvents: 1000,
    TotalInputLumis: null,
    EventNumberHistory: history
  }
}

const running = doc([['assigned', NOW - 3 * DAY], ['running-open', NOW - 2 * DAY]], [entry(NOW - 3600, ['PRODUCTION', 500], ['PRODUCTION', 400])])

function detect(overrides: Partial<DetectInput>): ReturnType<typeof detectWatchEvents> {
  return detectWatchEvents({ workflow: NAME, previous: running, next: running, notified: [], now: NOW, stallSeconds: DAY, ...overrides })
}

describe('watchlist notifications', () => {
  it('tells nothing when nothing changed', () => {
    expect(detect({}).events).toEqual([])
  })

  it('tells a dataset that became VALID, once', () => {
    const next = doc([['running-closed', NOW - 60]], [...running.EventNumberHistory, entry(NOW - 10, ['VALID', 1000], ['PRODUCTION', 900])])
    const first = detect({ next })
    expect(first.events).toHaveLength(1)
    expect(first.events[0]).toMatchObject({ kind: 'dataset-valid', workflow: NAME, title: 'Dataset VALID', time: NOW })
    expect(first.events[0]!.body).toContain(A)
    expect(first.events[0]!.body).toContain('1,000')
    // The same documents again (a second evaluation, or the next run without change): nothing new.
    expect(detect({ next, notified: first.notified }).events).toEqual([])
    expect(detect({ previous: next, next, notified: first.notified }).events).toEqual([])
    // The second dataset becoming VALID later is its own news.
    const later = doc([['running-closed', NOW - 60]], [...next.EventNumberHistory, entry(NOW, ['VALID', 1000], ['VALID', 1000])])
    const second = detect({ previous: next, next: later, notified: first.notified })
    expect(second.events.map((e) => e.body.split(' ')[0])).toEqual([B])
  })

  it('tells each final status reached: completed, announced, rejected, failed', () => {
    for (const status of ['completed', 'announced', 'rejected', 'failed']) {
      const next = doc([['running-open', NOW - 2 * DAY], [status, NOW - 100]], running.EventNumberHistory)
      const result = detect({ next })
      expect(result.events).toHaveLength(1)
      expect(result.events[0]).toMatchObject({ kind: 'status', title: `Workflow ${status}`, body: NAME })
      expect(detect({ next, notified: result.notified }).events).toEqual([])
      expect(detect({ previous: next, next, notified: [] }).events).toEqual([])
    }
    // A status that is not final says nothing.
    expect(detect({ next: doc([['running-closed', NOW - 5]], running.EventNumberHistory) }).events).toEqual([])
  })

  it('tells stalled progress while running, once per stall, and again after new events stall again', () => {
    const stale = doc([['running-open', NOW - 5 * DAY]], [entry(NOW - 2 * DAY, ['PRODUCTION', 500])])
    const first = detect({ previous: stale, next: stale })
    expect(first.events).toHaveLength(1)
    expect(first.events[0]).toMatchObject({ kind: 'stalled', title: 'Progress stalled' })
    expect(first.events[0]!.body).toContain('no new events for 2 days while running-open')
    expect(detect({ previous: stale, next: stale, notified: first.notified, now: NOW + 3600 }).events).toEqual([])
    // Under the configured time: nothing.
    expect(detect({ previous: stale, next: stale, stallSeconds: 3 * DAY }).events).toEqual([])
    // New events, then a stall again: a new notification.
    const moved = doc([['running-open', NOW - 5 * DAY]], [...stale.EventNumberHistory, entry(NOW - 60, ['PRODUCTION', 600])])
    const resumed = detect({ previous: stale, next: moved, notified: first.notified })
    expect(resumed.events).toEqual([])
    const again = detect({ previous: moved, next: moved, notified: resumed.notified, now: NOW + 2 * DAY })
    expect(again.events.map((e) => e.kind)).toEqual(['stalled'])
    // Not running (completed, or still assigned): no stall.
    const done = doc([['completed', NOW - 5 * DAY]], stale.EventNumberHistory)
    expect(detect({ previous: done, next: done }).events).toEqual([])
  })

  it('measures a running workflow without history from when it started running', () => {
    const empty = doc([['running-open', NOW - 2 * DAY]], [])
    expect(detect({ previous: empty, next: empty }).events.map((e) => e.kind)).toEqual(['stalled'])
    expect(detect({ previous: empty, next: empty, now: NOW - DAY - 10 }).events).toEqual([])
  })

  it('tells a failed update once, and again only after a success in between', () => {
    const first = detect({ failure: 'DBS answered 503' })
    expect(first.events).toHaveLength(1)
    expect(first.events[0]).toMatchObject({ kind: 'update-failed', title: 'Update failed' })
    expect(first.events[0]!.body).toContain('DBS answered 503')
    expect(detect({ failure: 'DBS answered 503', notified: first.notified }).events).toEqual([])
    const ok = detect({ notified: first.notified })
    expect(ok.events).toEqual([])
    expect(ok.notified).not.toContain('update-failed')
    expect(detect({ failure: 'timeout', notified: ok.notified }).events).toHaveLength(1)
    // Even for a workflow the store does not hold.
    expect(detect({ previous: undefined, next: undefined, failure: 'not in ReqMgr2' }).events).toHaveLength(1)
  })

  it('sets a baseline at first sight: what is already VALID or final is not news', () => {
    const done = doc([['announced', NOW - DAY]], [entry(NOW - DAY, ['VALID', 1000], ['VALID', 1000])])
    const first = detect({ previous: undefined, next: done })
    expect(first.events).toEqual([])
    expect(first.notified.sort()).toEqual([`status:announced`, `valid:${A}`, `valid:${B}`].sort())
  })
})
