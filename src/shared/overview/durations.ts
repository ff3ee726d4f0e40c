/**
 * Time in each status: for every pair of consecutive RequestTransition entries (`assigned→acquired`,
 * …), each workflow that made it contributes its hours in `from` before `to` (the later UpdateTime
 * minus the earlier, at least 0; summed when it made the same pair twice). Per pair: how many
 * workflows, the median, the 90th percentile (nearest rank), the maximum, and a histogram; the same
 * per campaign for the largest campaigns. And the slow tail: the workflows longest in their status.
 */
import { type FactsTable, SLOT_READABLE } from './facts-table'
import { RESTING_STATUSES, byLifecycle, splitPair } from './lifecycle'
import { NumberBuffer, quantilesInPlace } from './quantiles'
import { NO_CAMPAIGN } from './board'
import { DURATION_BIN_HOURS, type DurationRow, type Durations, type SlowEntry } from './types'

/** Campaigns with their own durations table (the largest ones). */
export const DURATION_CAMPAIGNS = 50
export const SLOW_TAIL = 20

/** Code-unit order: the same everywhere (no locale). */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const round3 = (value: number): number => Math.round(value * 1000) / 1000

function binOf(hours: number): number {
  for (let i = 0; i < DURATION_BIN_HOURS.length; i++) if (hours < DURATION_BIN_HOURS[i]!) return i
  return DURATION_BIN_HOURS.length
}

class PairValues {
  readonly byPair = new Map<number, NumberBuffer>()

  push(pair: number, hours: number): void {
    let buffer = this.byPair.get(pair)
    if (!buffer) this.byPair.set(pair, (buffer = new NumberBuffer()))
    buffer.push(hours)
  }

  rows(table: FactsTable, histograms: boolean): DurationRow[] {
    const rows: DurationRow[] = []
    for (const [pair, buffer] of this.byPair) {
      const key = table.pairs.values[pair]!
      const [from, to] = splitPair(key) ?? [key, '']
      const histogram = new Array<number>(DURATION_BIN_HOURS.length + 1).fill(0)
      if (histograms) for (let i = 0; i < buffer.length; i++) histogram[binOf(buffer.values[i]!)]!++
      const q = quantilesInPlace(buffer.values, buffer.length)
      rows.push({ pair: key, from, to, n: q.n, medianH: round3(q.median), p90H: round3(q.p90), maxH: round3(q.max), histogram })
    }
    return rows.sort((a, b) => byLifecycle(a.from, b.from) || byLifecycle(a.to, b.to))
  }
}

/** Hours per pair of one workflow (a pair made twice is summed). */
function workflowPairs(table: FactsTable, slot: number, into: (pair: number, hours: number) => void): void {
  const sequence = table.ids.sequence[slot]!
  if (sequence < 0) return
  const pairs = table.sequences[sequence]!.pairs
  if (pairs.length === 0) return
  const times = table.transitionTimes[slot]!
  if (pairs.length === 1) {
    into(pairs[0]!, Math.max(0, times[1]! - times[0]!) / 3600)
    return
  }
  const sums = new Map<number, number>()
  for (let k = 0; k < pairs.length; k++) sums.set(pairs[k]!, (sums.get(pairs[k]!) ?? 0) + Math.max(0, times[k + 1]! - times[k]!))
  for (const [pair, seconds] of sums) into(pair, seconds / 3600)
}

export function computeDurations(table: FactsTable, slots: Int32Array): Durations {
  const all = new PairValues()
  const perCampaign = new Map<number, { workflows: number; values: PairValues }>()
  // Only the largest campaigns get a table: count first, then collect for those.
  const counts = new Map<number, number>()
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) continue
    for (const campaign of campaignIds(table, slot)) counts.set(campaign, (counts.get(campaign) ?? 0) + 1)
  }
  const largest = [...counts].sort((a, b) => b[1] - a[1] || compareText(campaignName(table, a[0]), campaignName(table, b[0]))).slice(0, DURATION_CAMPAIGNS)
  for (const [campaign, workflows] of largest) perCampaign.set(campaign, { workflows, values: new PairValues() })
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) continue
    const groups = campaignIds(table, slot).flatMap((campaign) => {
      const group = perCampaign.get(campaign)
      return group ? [group.values] : []
    })
    workflowPairs(table, slot, (pair, hours) => {
      all.push(pair, hours)
      for (const group of groups) group.push(pair, hours)
    })
  }
  return {
    pairs: all.rows(table, true),
    byCampaign: largest.map(([campaign, workflows]) => ({
      campaign: campaignName(table, campaign),
      workflows,
      pairs: perCampaign.get(campaign)!.values.rows(table, false)
    }))
  }
}

function campaignIds(table: FactsTable, slot: number): number[] {
  const first = table.ids.campaign[slot]!
  if (first < 0) return [-1]
  return table.moreCampaigns.has(slot) ? table.campaignsOf(slot) : [first]
}

function campaignName(table: FactsTable, id: number): string {
  return id < 0 ? NO_CAMPAIGN : table.strings.values[id]!
}

/** The `limit` workflows longest in their current status at `now` (longest first, then by name). */
export function computeSlowTail(table: FactsTable, slots: Int32Array, now: number, limit = SLOW_TAIL): SlowEntry[] {
  const resting = table.strings.values.map((value) => RESTING_STATUSES.has(value))
  // A small sorted list: a slot enters only when it beats the shortest kept.
  const kept: Array<{ slot: number; since: number }> = []
  const earlier = (a: { slot: number; since: number }, b: { slot: number; since: number }): number =>
    a.since - b.since || (table.names[a.slot]! < table.names[b.slot]! ? -1 : 1)
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) continue
    const status = table.ids.status[slot]!
    if (status < 0 || resting[status]) continue
    const since = table.num.statusSince[slot]!
    const entry = { slot, since }
    if (kept.length === limit && earlier(entry, kept[kept.length - 1]!) >= 0) continue
    let at = kept.length
    while (at > 0 && earlier(entry, kept[at - 1]!) < 0) at--
    kept.splice(at, 0, entry)
    if (kept.length > limit) kept.pop()
  }
  return kept.map(({ slot, since }) => ({
    workflow: table.names[slot]!,
    status: table.statusOf(slot),
    since,
    hours: round3(Math.max(0, now - since) / 3600)
  }))
}
