import { describe, expect, it } from 'vitest'
import { appendIfChanged, mergeHistories, newHistoryEntry, UNKNOWN_DATASET, type DatasetInfo } from '../../src/main/updater/history'
import { mergeWorkflowDocs } from '../../src/main/updater/merge'
import { canonicalJson } from '../../src/main/util/canonical-json'
import type { HistoryEntry, WorkflowDoc } from '../../src/shared/stats2-doc'

const info = (events: number, type = 'PRODUCTION'): DatasetInfo => ({ type, events, size: events * 10, lumis: events / 100 })

describe('history entries (spec §4)', () => {
  it('covers each distinct output dataset once, with Lumis only for lumi-based workflows', () => {
    const entry = newHistoryEntry(['/a/b/AOD', '/a/b/AOD', '/a/b/MINIAOD'], (d) => (d.endsWith('/AOD') ? info(100) : UNKNOWN_DATASET), true, 17)
    expect(entry).toEqual({
      Time: 17,
      Datasets: {
        '/a/b/AOD': { Type: 'PRODUCTION', Events: 100, Size: 1000, Lumis: 1 },
        '/a/b/MINIAOD': { Type: 'NONE', Events: 0, Size: 0, Lumis: 0 }
      }
    })
    const plain = newHistoryEntry(['/a/b/AOD'], () => info(5), false, 1)
    expect(plain?.Datasets['/a/b/AOD']).toEqual({ Type: 'PRODUCTION', Events: 5, Size: 50 })
    expect(newHistoryEntry([], () => info(1), false, 1)).toBeUndefined()
  })

  it('appends only when the Datasets differ from the newest entry by Time', () => {
    const older: HistoryEntry = { Time: 10, Datasets: { d: { Type: 'VALID', Events: 1, Size: 1 } } }
    const newer: HistoryEntry = { Time: 20, Datasets: { d: { Type: 'VALID', Events: 2, Size: 2 } } }
    // stored out of order: the newest by Time is `newer`
    expect(appendIfChanged([newer, older], { Time: 30, Datasets: { d: { Size: 2, Events: 2, Type: 'VALID' } } })).toBeUndefined()
    const appended = appendIfChanged([newer, older], { Time: 30, Datasets: { d: { Type: 'VALID', Events: 1, Size: 1 } } })
    expect(appended?.map((e) => e.Time)).toEqual([10, 20, 30])
    expect(appendIfChanged([], undefined)).toBeUndefined()
  })
})

describe('merging two updaters', () => {
  const e = (time: number, events: number): HistoryEntry => ({ Time: time, Datasets: { d: { Type: 'PRODUCTION', Events: events, Size: 0 } } })

  it('keeps every entry of both sides once, sorted, without consecutive repeats', () => {
    const merged = mergeHistories([e(1, 1), e(5, 5)], [e(1, 1), e(3, 3), e(6, 5)])
    expect(merged.map((x) => x.Time)).toEqual([1, 3, 5])
  })

  it('keeps the newer ReqMgr2 fields and the other revision', () => {
    const theirs = { _id: 'w', _rev: '2-b', RequestTransition: [{ Status: 'new', UpdateTime: 1 }, { Status: 'running', UpdateTime: 9 }], EventNumberHistory: [e(1, 1)], RequestPriority: 5 } as unknown as WorkflowDoc
    const ours = { _id: 'w', _rev: '1-a', RequestTransition: [{ Status: 'new', UpdateTime: 1 }], EventNumberHistory: [e(2, 2)], RequestPriority: 1 } as unknown as WorkflowDoc
    const merged = mergeWorkflowDocs(ours, theirs)
    expect(merged._rev).toBe('2-b')
    expect(merged.RequestPriority).toBe(5)
    expect(merged.EventNumberHistory.map((x) => x.Time)).toEqual([1, 2])
    expect(mergeWorkflowDocs(ours, undefined)._rev).toBeUndefined()
  })
})

describe('canonical JSON', () => {
  it('ignores key order at every depth but not array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }))
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]))
  })
})
