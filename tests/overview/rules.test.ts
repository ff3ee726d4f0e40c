/**
 * The overview's pure rules: McM's priority blocks at their boundaries, WMCore's life-cycle order,
 * order statistics against a sort, the facts table reusing slots, the board's ETA, the slow tail,
 * the selection in an address, and the drill orders.
 */
import { describe, expect, it } from 'vitest'
import { blockKey, priorityBlock } from '../../src/shared/overview/priority-blocks'
import { NO_STATUS, byLifecycle, pairKey, splitPair } from '../../src/shared/overview/lifecycle'
import { quantilesInPlace } from '../../src/shared/overview/quantiles'
import { FactsTable } from '../../src/shared/overview/facts-table'
import { factsOf } from '../../src/shared/overview/facts'
import { computeBoard } from '../../src/shared/overview/board'
import { computeSlowTail, computeDurations } from '../../src/shared/overview/durations'
import { drillSlots } from '../../src/shared/overview/drill'
import { selectionFromParams, selectionParams, type OverviewSelection } from '../../src/shared/overview/selection'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { boundedNames } from '../../src/shared/overview/compute'
import { orderByKey } from '../../src/shared/overview/order'
import { overviewLookSchema } from '../../src/shared/overview/types'

const H = 3600

function doc(name: string, over: Partial<WorkflowDoc> = {}): WorkflowDoc {
  return {
    _id: name, PrepID: `P-${name}`, RequestType: 'TaskChain', Campaigns: ['C'], Requests: [], RequestPriority: 85_000,
    RequestTransition: [{ Status: 'new', UpdateTime: 0 }, { Status: 'running-open', UpdateTime: 10 * H }],
    OutputDatasets: ['/A/B/AODSIM'], TotalEvents: 1000, TotalInputLumis: -1, EventNumberHistory: [], ...over
  }
}

function table(docs: WorkflowDoc[]): FactsTable {
  const t = new FactsTable()
  for (const d of docs) t.set(factsOf(d, d._id))
  return t
}

describe('priority blocks', () => {
  it('follow McM\'s boundaries (pMp\'s priority → block)', () => {
    const cases: Array<[number, number]> = [
      [200_000, 0], [130_000, 0], [129_999, 1], [110_000, 1], [109_999, 2], [90_000, 2], [85_000, 3], [84_999, 4],
      [80_000, 4], [70_000, 5], [63_000, 6], [62_999, 7], [0, 7], [-5, 7], [Number.NaN, 7]
    ]
    for (const [priority, block] of cases) expect(priorityBlock(priority), String(priority)).toBe(block)
    expect(blockKey(3)).toBe('block 3')
  })
})

describe('life-cycle order', () => {
  it('is WMCore\'s, unknown statuses after by name, no status last', () => {
    const sorted = [NO_STATUS, 'zz-custom', 'announced', 'new', 'aa-custom', 'rejected-archived', 'running-open', 'failed'].sort(byLifecycle)
    expect(sorted).toEqual(['new', 'running-open', 'failed', 'announced', 'rejected-archived', 'aa-custom', 'zz-custom', NO_STATUS])
    expect(splitPair(pairKey('assigned', 'acquired'))).toEqual(['assigned', 'acquired'])
    expect(splitPair('assigned')).toBeUndefined()
  })
})

describe('order statistics', () => {
  it('equal a sort\'s median, nearest-rank 90th percentile and maximum', () => {
    let seed = 7
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    for (const n of [1, 2, 3, 4, 5, 9, 10, 11, 100, 1001, 5000]) {
      for (const duplicates of [false, true]) {
        const values = Float64Array.from({ length: n }, () => (duplicates ? Math.floor(random() * 5) : random() * 1000))
        const sorted = [...values].sort((a, b) => a - b)
        const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
        expect(quantilesInPlace(values, n), `${n} ${duplicates}`).toEqual({ n, median, p90: sorted[Math.ceil(0.9 * n) - 1]!, max: sorted[n - 1]! })
      }
    }
    expect(quantilesInPlace(new Float64Array(4), 0)).toEqual({ n: 0, median: 0, p90: 0, max: 0 })
  })
})

describe('the facts table', () => {
  it('replaces, deletes and reuses slots; a deleted workflow leaves no trace', () => {
    const t = table([doc('a'), doc('b', { Campaigns: ['C', 'D'] })])
    const slotA = t.slotOf('a')!
    t.delete('a')
    expect(t.size).toBe(1)
    t.set(factsOf(doc('c', { RequestTransition: [] }), 'c'))
    expect(t.slotOf('c')).toBe(slotA)
    expect(t.statusOf(slotA)).toBe(NO_STATUS)
    expect(Number.isNaN(t.num.statusSince[slotA]!)).toBe(true)
    expect(t.campaignsOf(t.slotOf('b')!).map((id) => t.strings.values[id])).toEqual(['C', 'D'])
    t.set(factsOf(doc('b', { Campaigns: [] }), 'b'))
    expect(t.campaignsOf(t.slotOf('b')!)).toEqual([])
    expect(t.allSlots().length).toBe(2)
  })

  it('keeps every workflow\'s transition times right through replacements and the compaction of their array', () => {
    const transitions = (i: number, round: number): WorkflowDoc['RequestTransition'] =>
      ['new', 'assigned', 'running-open', 'completed'].slice(0, 2 + ((i + round) % 3)).map((Status, k) => ({ Status, UpdateTime: round * 1000 + i * 10 + k * (i + 1) * H }))
    const t = new FactsTable()
    const docs = Array.from({ length: 300 }, (_, i) => doc(`w${i}`, { RequestTransition: transitions(i, 0) }))
    for (const d of docs) t.set(factsOf(d, d._id))
    // Enough replacements for old times to outweigh the live ones several times over; checked after each round.
    let arrays = 0
    let times = t.times
    for (let round = 1; round <= 150; round++) {
      for (let i = round % 3; i < 300; i += 3) {
        docs[i] = doc(`w${i}`, { RequestTransition: transitions(i, round) })
        t.set(factsOf(docs[i]!, docs[i]!._id))
        if (t.times !== times) [arrays, times] = [arrays + 1, t.times]
      }
      const fresh = table(docs)
      expect(computeDurations(t, t.allSlots()), `round ${round}`).toEqual(computeDurations(fresh, fresh.allSlots()))
    }
    for (let i = 0; i < 30; i++) t.delete(`w${i}`)
    const fresh = table(docs.slice(30))
    expect(computeDurations(t, t.allSlots())).toEqual(computeDurations(fresh, fresh.allSlots()))
    // 45 000 times were stored in all: the old ones were dropped on the way, many times.
    expect(arrays).toBeGreaterThan(10)
    expect(t.times.length).toBeLessThanOrEqual(8192)
  })
})

describe('the board', () => {
  it('gives a cell the ETA of its producing workflows\' summed trend, and none when done or flat', () => {
    const rising = (name: string, start: number, perHour: number, total = 1000): WorkflowDoc => doc(name, {
      TotalEvents: total,
      EventNumberHistory: [0, 1, 2].map((k) => ({ Time: start + k * H, Datasets: { '/A/B/AODSIM': { Type: 'PRODUCTION', Events: k * perHour, Size: 1 } } }))
    })
    const t = table([
      rising('a', 100 * H, 100), // 200 of 1000 at 102 h, 100/h
      rising('b', 101 * H, 300), // 600 of 1000 at 103 h, 300/h
      rising('done', 50 * H, 600, 1000), // 1200 ≥ 1000: adds nothing to go
      doc('flat', { RequestTransition: [{ Status: 'completed', UpdateTime: 5 }] })
    ])
    const { board } = computeBoard(t, t.allSlots())
    // Remaining 800 + 400 = 1200 at 400/h from the newest point (103 h): 3 h later.
    expect(board.byStatus['running-open']!.eta).toBe(106 * H)
    expect(board.byStatus.completed!.eta).toBeUndefined()
    expect(board.byPriorityBlock.map((row) => row.key)).toEqual(['block 3'])
  })
})

describe('durations and the slow tail', () => {
  it('sum a pair made twice, and leave resting statuses out of the slow tail', () => {
    const t = table([
      doc('twice', { RequestTransition: [['new', 0], ['failed', 2 * H], ['new', 3 * H], ['failed', 7 * H]].map(([Status, UpdateTime]) => ({ Status: String(Status), UpdateTime: Number(UpdateTime) })) }),
      doc('announced', { RequestTransition: [{ Status: 'new', UpdateTime: 0 }, { Status: 'announced', UpdateTime: H }] }),
      doc('stuck', { RequestTransition: [{ Status: 'new', UpdateTime: 0 }, { Status: 'assigned', UpdateTime: 5 * H }] })
    ])
    const durations = computeDurations(t, t.allSlots())
    expect(durations.pairs.find((row) => row.pair === pairKey('new', 'failed'))).toMatchObject({ n: 1, medianH: 6, maxH: 6 })
    expect(durations.pairs.find((row) => row.pair === pairKey('failed', 'new'))).toMatchObject({ n: 1, medianH: 1 })
    const tail = computeSlowTail(t, t.allSlots(), 10 * H)
    expect(tail.map((entry) => [entry.workflow, entry.hours])).toEqual([['stuck', 5], ['twice', 3]])
    expect(drillSlots(t, t.allSlots(), { pair: pairKey('new', 'failed') }).map((slot) => t.names[slot])).toEqual(['twice'])
    expect(drillSlots(t, t.allSlots(), { pair: 'no→pair' })).toEqual([])
  })
})

describe('ordering by time', () => {
  it('gives the comparator\'s order, packed or not, fractions and ties included', () => {
    let seed = 3
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const n = 5000
    const keys = Float64Array.from({ length: n }, () => 1_700_000_000 + Math.floor(random() * 500) + (random() < 0.3 ? random() : 0))
    const names = Array.from({ length: n }, () => `w${Math.floor(random() * 50)}`)
    const exact = (a: number, b: number): number => keys[a]! - keys[b]! || (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0) || a - b
    const expected = Int32Array.from({ length: n }, (_, i) => i).sort(exact)
    expect(orderByKey(keys, n, exact)).toEqual(expected)
    const negated = keys.map((key) => -key)
    const descending = (a: number, b: number): number => exact(b, a)
    expect(orderByKey(negated, n, descending)).toEqual(Int32Array.from({ length: n }, (_, i) => i).sort(descending))
    // Out of the packable range (a time in milliseconds by mistake): the comparator alone, same order.
    keys[7] = 1.7e12
    expect(orderByKey(keys, n, exact)).toEqual(Int32Array.from({ length: n }, (_, i) => i).sort(exact))
  })
})

describe('what a look remembers', () => {
  it('keeps the failed names that fit, in order, so a look always travels back', () => {
    const names = Array.from({ length: 100 }, (_, i) => `workflow_${String(i).padStart(3, '0')}`)
    expect(boundedNames(names, 10_000)).toEqual(names)
    expect(boundedNames(names, 150)).toEqual(names.slice(0, 10))
    expect(boundedNames(names, 10_000, 5)).toEqual(names.slice(0, 5))
    expect(overviewLookSchema.safeParse({ time: 1, failed: Array.from({ length: 500 }, () => 'x'.repeat(900)) }).success).toBe(false)
  })
})

describe('the selection in an address', () => {
  it('goes there and back', () => {
    const selections: OverviewSelection[] = [
      { kind: 'all' }, { kind: 'field', field: 'campaign', value: 'Run3 & co=1' }, { kind: 'field', field: 'output_dataset', value: '/A/B/C' },
      { kind: 'search', text: 'HIG-Run3' }, { kind: 'scope' }, { kind: 'watchlist' }
    ]
    for (const selection of selections) expect(selectionFromParams(new URLSearchParams(selectionParams(selection).toString()))).toEqual(selection)
  })
})
