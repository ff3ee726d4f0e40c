/**
 * The facts of every stored workflow, kept compactly for the overview's computations: one slot per
 * workflow, numbers in typed columns, repeated strings (statuses, campaigns, PrepIDs, types,
 * processing strings) interned, each workflow's status sequence interned (most workflows share one
 * of a few dozen), and only its transition times kept per workflow. Slots of deleted workflows are
 * reused. Pure data structure: the engine in src/main/overview keeps it current.
 */
import type { BadOutput, WorkflowFacts } from './facts'
import { NO_STATUS, pairKey } from './lifecycle'

/** Strings ↔ small integers; never shrinks (what it holds is bounded by the store's distinct values). */
export class StringPool {
  private readonly ids = new Map<string, number>()
  readonly values: string[] = []

  id(value: string): number {
    let id = this.ids.get(value)
    if (id === undefined) {
      id = this.values.length
      this.values.push(value)
      this.ids.set(value, id)
    }
    return id
  }

  /** The id of a known value, -1 otherwise (looking up never adds). */
  find(value: string): number {
    return this.ids.get(value) ?? -1
  }

  get size(): number {
    return this.values.length
  }
}

/** One interned status sequence: its statuses, and the pair of each consecutive two. */
export interface StatusSequence {
  statuses: Int32Array
  /** `pairs[k]` = pair id of (statuses[k], statuses[k+1]). */
  pairs: Int32Array
  /** No pair occurs twice (the usual case: each pair's time is one difference). */
  unique: boolean
}

export const SLOT_FREE = 0
export const SLOT_READABLE = 1
export const SLOT_UNREADABLE = 2

const NONE = -1

/** Interned ids per slot (and where its transition times start in `times`). */
export const ID_COLUMNS = ['status', 'prepId', 'requestType', 'processingString', 'campaign', 'sequence', 'times'] as const
export type IdColumn = (typeof ID_COLUMNS)[number]

/**
 * Numbers per slot, and their value when unknown: the current status's time, the creation (first
 * transition) time, RequestPriority, expected and done events of the final dataset, the time of its
 * newest point, its two-day trend (events/s), the workflow's own ETA, the newest history entry's
 * time, LastUpdate.
 */
export const NUMBER_DEFAULTS = {
  statusSince: Number.NaN,
  created: Number.NaN,
  priority: 0,
  expected: 0,
  events: 0,
  finalTime: Number.NaN,
  slope: 0,
  eta: Number.NaN,
  lastHistory: Number.NaN,
  lastUpdate: Number.NaN
} as const
export type NumberColumn = keyof typeof NUMBER_DEFAULTS
export const NUMBER_COLUMNS = Object.keys(NUMBER_DEFAULTS) as NumberColumn[]

function grow<T extends Float64Array | Int32Array | Uint8Array>(array: T, size: number, fill?: number): T {
  const next = new (array.constructor as new (n: number) => T)(size)
  next.set(array)
  if (fill !== undefined) next.fill(fill, array.length)
  return next
}


export class FactsTable {
  readonly strings = new StringPool()
  /** Pair keys (`from→to`) ↔ ids. */
  readonly pairs = new StringPool()
  readonly sequences: StatusSequence[] = []
  private readonly sequenceIds = new Map<string, number>()
  private readonly slots = new Map<string, number>()
  private readonly free: number[] = []
  private capacity = 0
  /** Slots in use or freed; columns are valid below this. */
  length = 0
  /** Bumped on every change (answers computed before a change are stale). */
  version = 0

  names: string[] = []
  state = new Uint8Array(0)
  /** 1 for a Resubmission (ACDC). */
  resubmission = new Uint8Array(0)
  /** String ids (-1: none; `campaign` is the first of the workflow's campaigns) and the status sequence's id. */
  readonly ids = Object.fromEntries(ID_COLUMNS.map((name) => [name, new Int32Array(0)])) as Record<IdColumn, Int32Array>
  /** Numbers, see NUMBER_DEFAULTS. */
  readonly num = Object.fromEntries(NUMBER_COLUMNS.map((name) => [name, new Float64Array(0)])) as Record<NumberColumn, Float64Array>
  /** More campaigns of a workflow than its first, per slot (an array: read for every workflow, a map lookup each would cost more). */
  moreCampaigns: Array<Int32Array | undefined> = []
  /**
   * Times of every workflow's transitions (document order) in one array: a workflow's start in it is
   * `ids.times`, their number its sequence's length. Replaced workflows leave their old times behind
   * until the array is compacted (when half of it is old).
   */
  times = new Float64Array(0)
  private timesUsed = 0
  private timesLive = 0
  /** Output datasets INVALID or DELETED now (rare: a map, not a column). */
  readonly bad = new Map<number, BadOutput[]>()
  /** Per output index, since when VALID (NaN: not VALID); absent when none is VALID. A plain array: smaller than a typed one at this length. */
  validSince: Array<number[] | undefined> = []
  /** Why a document is not readable. */
  readonly issues = new Map<number, string[]>()

  get size(): number {
    return this.slots.size
  }

  slotOf(name: string): number | undefined {
    return this.slots.get(name)
  }

  /** Every slot in use, in slot order. */
  allSlots(): Int32Array {
    const out = new Int32Array(this.slots.size)
    let n = 0
    for (let slot = 0; slot < this.length; slot++) if (this.state[slot] !== SLOT_FREE) out[n++] = slot
    return out
  }

  /**
   * Whether a status (a string id) is in `statuses`, answered from a small cache: the string pool
   * also holds every PrepID and campaign, so testing all of it up front would cost more.
   */
  statusIn(statuses: ReadonlySet<string>): (id: number) => boolean {
    const known = new Int8Array(this.strings.size).fill(-1)
    return (id) => {
      let value = known[id]!
      if (value < 0) value = known[id] = statuses.has(this.strings.values[id]!) ? 1 : 0
      return value === 1
    }
  }

  /** The status of a slot as text (NO_STATUS without transitions). */
  statusOf(slot: number): string {
    const id = this.ids.status[slot]!
    return id < 0 ? NO_STATUS : this.strings.values[id]!
  }

  campaignsOf(slot: number): number[] {
    const first = this.ids.campaign[slot]!
    if (first < 0) return []
    const more = this.moreCampaigns[slot]
    return more ? [first, ...more] : [first]
  }

  private ensure(size: number): void {
    if (size <= this.capacity) return
    const next = Math.max(size, this.capacity * 2, 1024)
    this.state = grow(this.state, next)
    this.resubmission = grow(this.resubmission, next)
    for (const name of ID_COLUMNS) this.ids[name] = grow(this.ids[name], next, NONE)
    for (const name of NUMBER_COLUMNS) this.num[name] = grow(this.num[name], next, NUMBER_DEFAULTS[name])
    this.capacity = next
  }

  private sequenceOf(statuses: number[]): number {
    const key = statuses.join(',')
    let id = this.sequenceIds.get(key)
    if (id === undefined) {
      id = this.sequences.length
      const pairs = new Int32Array(Math.max(0, statuses.length - 1))
      for (let k = 0; k + 1 < statuses.length; k++) {
        pairs[k] = this.pairs.id(pairKey(this.strings.values[statuses[k]!]!, this.strings.values[statuses[k + 1]!]!))
      }
      this.sequences.push({ statuses: Int32Array.from(statuses), pairs, unique: new Set(pairs).size === pairs.length })
      this.sequenceIds.set(key, id)
    }
    return id
  }

  /** Appends a workflow's transition times; answers where they start. */
  private storeTimes(times: number[]): number {
    if (this.timesUsed - this.timesLive > Math.max(4096, this.timesUsed / 2)) this.compactTimes()
    if (this.timesUsed + times.length > this.times.length) {
      const next = new Float64Array(Math.max(this.times.length * 2, this.timesUsed + times.length, 4096))
      next.set(this.times.subarray(0, this.timesUsed))
      this.times = next
    }
    const start = this.timesUsed
    this.times.set(times, start)
    this.timesUsed += times.length
    this.timesLive += times.length
    return start
  }

  /** Copies the live workflows' times into a fresh array, in slot order. */
  private compactTimes(): void {
    const next = new Float64Array(Math.max(4096, this.timesLive * 2))
    let used = 0
    for (let slot = 0; slot < this.length; slot++) {
      const sequence = this.ids.sequence[slot]!
      if (this.state[slot] !== SLOT_READABLE || sequence < 0) continue
      const length = this.sequences[sequence]!.statuses.length
      const start = this.ids.times[slot]!
      next.set(this.times.subarray(start, start + length), used)
      this.ids.times[slot] = used
      used += length
    }
    this.times = next
    this.timesUsed = used
    this.timesLive = used
  }

  private clearSlot(slot: number): void {
    const sequence = this.ids.sequence[slot]!
    if (sequence >= 0) this.timesLive -= this.sequences[sequence]!.statuses.length
    for (const name of ID_COLUMNS) this.ids[name][slot] = NONE
    for (const name of NUMBER_COLUMNS) this.num[name][slot] = NUMBER_DEFAULTS[name]
    this.resubmission[slot] = 0
    this.moreCampaigns[slot] = undefined
    this.bad.delete(slot)
    this.validSince[slot] = undefined
    this.issues.delete(slot)
  }

  /** Inserts or replaces the facts of one workflow. */
  set(facts: WorkflowFacts): void {
    let slot = this.slots.get(facts.name)
    if (slot === undefined) {
      slot = this.free.pop() ?? this.length++
      this.ensure(slot + 1)
      this.slots.set(facts.name, slot)
      this.names[slot] = facts.name
    }
    this.clearSlot(slot)
    this.version++
    const text = (value: string | undefined): number => (value === undefined ? NONE : this.strings.id(value))
    this.ids.prepId[slot] = text(facts.prepId)
    this.ids.requestType[slot] = text(facts.requestType)
    this.ids.processingString[slot] = text(facts.processingString)
    this.resubmission[slot] = facts.requestType?.toLowerCase() === 'resubmission' ? 1 : 0
    const campaigns = facts.campaigns.map((campaign) => this.strings.id(campaign))
    if (campaigns.length > 0) this.ids.campaign[slot] = campaigns[0]!
    if (campaigns.length > 1) this.moreCampaigns[slot] = Int32Array.from(campaigns.slice(1))
    if (!facts.readable) {
      this.state[slot] = SLOT_UNREADABLE
      this.issues.set(slot, facts.issues.slice(0, 5))
      return
    }
    this.state[slot] = SLOT_READABLE
    const statuses = facts.transitions.map((t) => this.strings.id(t.status))
    if (statuses.length > 0) {
      this.ids.status[slot] = statuses[statuses.length - 1]!
      this.ids.sequence[slot] = this.sequenceOf(statuses)
      this.ids.times[slot] = this.storeTimes(facts.transitions.map((t) => t.time))
      this.num.statusSince[slot] = facts.transitions[facts.transitions.length - 1]!.time
      this.num.created[slot] = facts.transitions[0]!.time
    }
    this.num.priority[slot] = facts.priority
    this.num.expected[slot] = facts.expected
    this.num.events[slot] = facts.events
    this.num.slope[slot] = facts.slope
    if (facts.finalTime !== undefined) this.num.finalTime[slot] = facts.finalTime
    if (facts.eta !== undefined) this.num.eta[slot] = facts.eta
    if (facts.lastHistory !== undefined) this.num.lastHistory[slot] = facts.lastHistory
    if (facts.lastUpdate !== undefined) this.num.lastUpdate[slot] = facts.lastUpdate
    if (facts.bad.length > 0) this.bad.set(slot, facts.bad)
    if (facts.validSince.some((time) => !Number.isNaN(time))) this.validSince[slot] = [...facts.validSince]
  }

  delete(name: string): void {
    const slot = this.slots.get(name)
    if (slot === undefined) return
    this.clearSlot(slot)
    this.state[slot] = SLOT_FREE
    this.names[slot] = ''
    this.slots.delete(name)
    this.free.push(slot)
    this.version++
  }

  clear(): void {
    for (const name of [...this.slots.keys()]) this.delete(name)
  }
}
