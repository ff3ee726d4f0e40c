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

/** The hours of each pair (by pair id), with its row once computed. */
class PairValues {
  readonly byPair: Array<NumberBuffer | undefined> = []

  push(pair: number, hours: number): void {
    let buffer = this.byPair[pair]
    if (!buffer) this.byPair[pair] = buffer = new NumberBuffer()
    buffer.push(hours)
  }

  rows(table: FactsTable, histograms: boolean): DurationRow[] {
    const rows: DurationRow[] = []
    this.byPair.forEach((buffer, pair) => {
      if (!buffer) return
      const key = table.pairs.values[pair]!
      const [from, to] = splitPair(key) ?? [key, '']
      const histogram = new Array<number>(DURATION_BIN_HOURS.length + 1).fill(0)
      if (histograms) for (let i = 0; i < buffer.length; i++) histogram[binOf(buffer.values[i]!)]!++
      const q = quantilesInPlace(buffer.values, buffer.length)
      rows.push({ pair: key, from, to, n: q.n, medianH: round3(q.median), p90H: round3(q.p90), maxH: round3(q.max), histogram })
    })
    return rows.sort((a, b) => byLifecycle(a.from, b.from) || byLifecycle(a.to, b.to))
  }
}

export function computeDurations(table: FactsTable, slots: Int32Array): Durations {
  const strings = table.strings.values
  const { campaign: campaignColumn, sequence: sequenceColumn } = table.ids
  // Only the largest campaigns get a table: count first (index campaign + 1; 0 = no campaign),
  // remembering the campaigns met (the string pool also holds every PrepID: not walked).
  const counts = new Int32Array(strings.length + 1)
  const met: number[] = []
  const count = (campaign: number): void => {
    if (counts[campaign + 1]!++ === 0) met.push(campaign)
  }
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) continue
    count(campaignColumn[slot]!)
    const more = table.moreCampaigns[slot]
    if (more) for (const campaign of more) count(campaign)
  }
  const largest: Array<[number, number]> = met.map((campaign) => [campaign, counts[campaign + 1]!])
  largest.sort((a, b) => b[1] - a[1] || compareText(campaignName(strings, a[0]), campaignName(strings, b[0])))
  largest.length = Math.min(largest.length, DURATION_CAMPAIGNS)
  const groupOf = new Int32Array(strings.length + 1).fill(-1)
  const groups = largest.map(([campaign], index) => {
    groupOf[campaign + 1] = index
    return new PairValues()
  })
  const all = new PairValues()
  // Per slot: its hours per pair into `hours` (a pair made twice summed), then into the buffers.
  // No closure or object per workflow: this loop runs over every transition of the selection.
  const sums = new Float64Array(table.pairs.size)
  let pairsOf = new Int32Array(64)
  let hours = new Float64Array(64)
  let campaignGroups = new Int32Array(Math.max(1, groups.length))
  const noPairs = new Int32Array(0)
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) continue
    const sequence = sequenceColumn[slot]!
    const { pairs, unique } = sequence < 0 ? { pairs: noPairs, unique: true } : table.sequences[sequence]!
    if (pairs.length === 0) continue
    const times = table.times
    const at = table.ids.times[slot]!
    if (pairs.length > pairsOf.length) {
      pairsOf = new Int32Array(pairs.length)
      hours = new Float64Array(pairs.length)
    }
    let count = 0
    if (unique) {
      for (let k = 0; k < pairs.length; k++) {
        pairsOf[count] = pairs[k]!
        hours[count++] = Math.max(0, times[at + k + 1]! - times[at + k]!) / 3600
      }
    } else {
      for (let k = 0; k < pairs.length; k++) sums[pairs[k]!]! += Math.max(0, times[at + k + 1]! - times[at + k]!)
      for (let k = 0; k < pairs.length; k++) {
        const pair = pairs[k]!
        if (sums[pair] === -1) continue
        pairsOf[count] = pair
        hours[count++] = sums[pair]! / 3600
        sums[pair] = -1
      }
      for (let k = 0; k < pairs.length; k++) sums[pairs[k]!] = 0
    }
    let groupCount = 0
    const first = groupOf[campaignColumn[slot]! + 1]!
    if (first >= 0) campaignGroups[groupCount++] = first
    const more = table.moreCampaigns[slot]
    if (more) {
      if (more.length + 1 > campaignGroups.length) campaignGroups = new Int32Array(more.length + 1)
      for (const campaign of more) {
        const group = groupOf[campaign + 1]!
        if (group >= 0) campaignGroups[groupCount++] = group
      }
    }
    for (let p = 0; p < count; p++) {
      all.push(pairsOf[p]!, hours[p]!)
      for (let g = 0; g < groupCount; g++) groups[campaignGroups[g]!]!.push(pairsOf[p]!, hours[p]!)
    }
  }
  return {
    pairs: all.rows(table, true),
    byCampaign: largest.map(([campaign, workflows], index) => ({ campaign: campaignName(strings, campaign), workflows, pairs: groups[index]!.rows(table, false) }))
  }
}

function campaignName(strings: readonly string[], id: number): string {
  return id < 0 ? NO_CAMPAIGN : strings[id]!
}

/** The `limit` workflows longest in their current status at `now` (longest first, then by name). */
export function computeSlowTail(table: FactsTable, slots: Int32Array, now: number, limit = SLOW_TAIL): SlowEntry[] {
  const resting = table.statusIn(RESTING_STATUSES)
  // A small sorted list: a slot enters only when it beats the shortest kept.
  const kept: Array<{ slot: number; since: number }> = []
  const earlier = (a: { slot: number; since: number }, b: { slot: number; since: number }): number =>
    a.since - b.since || (table.names[a.slot]! < table.names[b.slot]! ? -1 : 1)
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) continue
    const status = table.ids.status[slot]!
    if (status < 0 || resting(status)) continue
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
