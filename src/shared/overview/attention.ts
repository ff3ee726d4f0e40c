/**
 * What needs an operator, each with why and since when:
 * - stalled: running (running-open, running-closed) with no new history entry for the stall time
 *   — since the newest history entry, or since it started running when that is later (the
 *   watchlist's rule, src/main/watchlist/detect.ts);
 * - past-eta: producing (lifecycle.ts) and its own ETA (the panel's, for the final dataset) is
 *   before now — since the ETA;
 * - invalid-output: an output dataset INVALID or DELETED while the workflow is not rejected or
 *   aborted — since the first history entry of that Type's current run (the earliest such dataset);
 * - update-failed: on the store's retry list (`failed_workflows`) — since its last successful
 *   write (LastUpdate), which the failure came after.
 * And ACDC families: an original and its Resubmissions, grouped by PrepID.
 */
import { type FactsTable, SLOT_READABLE } from './facts-table'
import { ABANDONED_STATUSES, PRODUCING_STATUSES, RUNNING_STATUSES } from './lifecycle'
import { compareText } from './durations'
import { orderByKey } from './order'
import { ATTENTION_REASONS, type AcdcFamily, type AttentionItem, type AttentionReason } from './types'
import { elapsedHoursText } from '../rules/time-ago'

export interface AttentionOptions {
  now: number
  stallSeconds: number
  /** Workflows on the retry list, with the reason of their failure. */
  failed: ReadonlyMap<string, string>
  /** `since` of a failed workflow that has no LastUpdate (the store's last update run). */
  failedFallback: number
}

/** Grows as entries come (slots and their since, no object per entry). */
class Entries {
  slots = new Int32Array(64)
  since = new Float64Array(64)
  length = 0

  push(slot: number, since: number): void {
    if (this.length === this.slots.length) {
      const slots = new Int32Array(this.length * 2)
      slots.set(this.slots)
      const times = new Float64Array(this.length * 2)
      times.set(this.since)
      this.slots = slots
      this.since = times
    }
    this.slots[this.length] = slot
    this.since[this.length++] = since
  }
}

/** The order of `entries` by since, then by workflow name. */
function sinceOrder(entries: Entries, names: readonly string[]): Int32Array {
  const { since, slots } = entries
  return orderByKey(since, entries.length, (a, b) => since[a]! - since[b]! || compareText(names[slots[a]!]!, names[slots[b]!]!))
}

/**
 * What needs attention in a selection: per reason, the workflows and since when, ordered oldest
 * first (then by name) when first asked; the entries with their words are made only for those read.
 */
export class AttentionList {
  readonly counts: Record<AttentionReason, number>
  readonly total: number
  private readonly orders = new Map<AttentionReason, Int32Array>()

  constructor(private readonly table: FactsTable, private readonly lists: Record<AttentionReason, Entries>, private readonly options: AttentionOptions) {
    this.counts = Object.fromEntries(ATTENTION_REASONS.map((reason) => [reason, lists[reason].length])) as Record<AttentionReason, number>
    this.total = ATTENTION_REASONS.reduce((sum, reason) => sum + lists[reason].length, 0)
  }

  private order(reason: AttentionReason): Int32Array {
    let order = this.orders.get(reason)
    if (!order) this.orders.set(reason, (order = sinceOrder(this.lists[reason], this.table.names)))
    return order
  }

  /** The slots of one reason, oldest first. */
  slotsOf(reason: AttentionReason): number[] {
    const { slots } = this.lists[reason]
    return [...this.order(reason)].map((index) => slots[index]!)
  }

  /** The first `perReason` entries of each reason, by reason, at most `limit` in all. */
  entries(perReason = Number.POSITIVE_INFINITY, limit = Number.POSITIVE_INFINITY): AttentionItem[] {
    const out: AttentionItem[] = []
    for (const reason of ATTENTION_REASONS) {
      const list = this.lists[reason]
      const take = Math.min(list.length, perReason, limit - out.length)
      if (take <= 0) continue
      const order = this.order(reason)
      for (let i = 0; i < take; i++) out.push(this.item(reason, list.slots[order[i]!]!, list.since[order[i]!]!))
    }
    return out
  }

  private item(reason: AttentionReason, slot: number, since: number): AttentionItem {
    const { table, options } = this
    const workflow = table.names[slot]!
    const status = table.statusOf(slot)
    switch (reason) {
      case 'stalled':
        return { workflow, reason, since, detail: `no new events for ${elapsedHoursText(options.now - since)} while ${status}` }
      case 'past-eta':
        return { workflow, reason, since, detail: `expected to finish ${elapsedHoursText(options.now - since)} ago; ${status}` }
      case 'invalid-output': {
        const bad = table.bad.get(slot) ?? []
        const first = bad.reduce((a, b) => (b.since < a.since ? b : a), bad[0]!)
        const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''
        return { workflow, reason, since, detail: `${first.dataset} is ${first.type}${more} while ${status}` }
      }
      case 'update-failed':
        return { workflow, reason, since, detail: options.failed.get(workflow) ?? 'failed' }
    }
  }
}

/** What needs attention in the selection (see the top of this file). */
export function computeAttention(table: FactsTable, slots: Int32Array, options: AttentionOptions): AttentionList {
  const { now, stallSeconds, failed } = options
  const running = table.statusIn(RUNNING_STATUSES)
  const producing = table.statusIn(PRODUCING_STATUSES)
  const abandoned = table.statusIn(ABANDONED_STATUSES)
  const lists = Object.fromEntries(ATTENTION_REASONS.map((reason) => [reason, new Entries()])) as Record<AttentionReason, Entries>
  const { status: statusColumn } = table.ids
  const { lastUpdate, lastHistory, statusSince, eta: etaColumn } = table.num
  const checkFailed = failed.size > 0
  for (const slot of slots) {
    if (checkFailed && failed.has(table.names[slot]!)) {
      const last = lastUpdate[slot]!
      lists['update-failed'].push(slot, Number.isNaN(last) ? options.failedFallback : last)
    }
    if (table.state[slot] !== SLOT_READABLE) continue
    const status = statusColumn[slot]!
    if (status < 0) continue
    if (running(status)) {
      const history = lastHistory[slot]!
      const since = Number.isNaN(history) ? statusSince[slot]! : Math.max(history, statusSince[slot]!)
      if (now - since >= stallSeconds) lists.stalled.push(slot, since)
    }
    const eta = etaColumn[slot]!
    if (eta < now && producing(status)) lists['past-eta'].push(slot, eta)
    const bad = table.bad.get(slot)
    if (bad && !abandoned(status)) lists['invalid-output'].push(slot, bad.reduce((min, output) => Math.min(min, output.since), Number.POSITIVE_INFINITY))
  }
  return new AttentionList(table, lists, options)
}

/** The ACDC families of the selection, oldest first Resubmission first, then by PrepID. */
export function computeFamilies(table: FactsTable, slots: Int32Array): AcdcFamily[] {
  const { prepId: prepIdColumn } = table.ids
  const { created, events: eventsColumn, expected: expectedColumn } = table.num
  // The PrepIDs with a Resubmission first (few), then their members: no map over every workflow.
  const withResubmission = new Uint8Array(table.strings.size)
  for (const slot of slots) {
    if (table.resubmission[slot] && table.state[slot] === SLOT_READABLE && prepIdColumn[slot]! >= 0) withResubmission[prepIdColumn[slot]!] = 1
  }
  const byPrepId = new Map<number, number[]>()
  for (const slot of slots) {
    const prepId = prepIdColumn[slot]!
    if (prepId < 0 || !withResubmission[prepId] || table.state[slot] !== SLOT_READABLE) continue
    let members = byPrepId.get(prepId)
    if (!members) byPrepId.set(prepId, (members = []))
    members.push(slot)
  }
  const families: AcdcFamily[] = []
  for (const [prepId, unordered] of byPrepId) {
    const members = unordered.sort((a, b) => orderCreated(table, a, b))
    const originals = members.filter((slot) => !table.resubmission[slot])
    let events = 0
    let expected = 0
    let since = Number.POSITIVE_INFINITY
    for (const slot of members) {
      events = Math.max(events, eventsColumn[slot]!)
      if (table.resubmission[slot] && created[slot]! < since) since = created[slot]!
    }
    for (const slot of originals.length > 0 ? originals : members) expected = Math.max(expected, expectedColumn[slot]!)
    const family: AcdcFamily = {
      prepId: table.strings.values[prepId]!,
      members: members.map((slot) => ({
        workflow: table.names[slot]!,
        status: table.statusOf(slot),
        resubmission: table.resubmission[slot] === 1,
        events: eventsColumn[slot]!,
        expected: expectedColumn[slot]!
      })),
      events,
      expected
    }
    if (originals.length > 0) family.original = table.names[originals[0]!]!
    if (Number.isFinite(since)) family.since = since
    families.push(family)
  }
  return families.sort((a, b) => (a.since ?? Number.POSITIVE_INFINITY) - (b.since ?? Number.POSITIVE_INFINITY) || compareText(a.prepId, b.prepId))
}

/** Oldest creation first (no transitions: last), then by name. */
function orderCreated(table: FactsTable, a: number, b: number): number {
  const ca = table.num.created[a]!
  const cb = table.num.created[b]!
  const na = Number.isNaN(ca)
  const nb = Number.isNaN(cb)
  if (na !== nb) return na ? 1 : -1
  return (na ? 0 : ca - cb) || compareText(table.names[a]!, table.names[b]!)
}
