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
import { ATTENTION_REASONS, type AcdcFamily, type AttentionItem, type AttentionReason } from './types'

export interface AttentionOptions {
  now: number
  stallSeconds: number
  /** Workflows on the retry list, with the reason of their failure. */
  failed: ReadonlyMap<string, string>
  /** `since` of a failed workflow that has no LastUpdate (the store's last update run). */
  failedFallback: number
}

const REASON_ORDER = new Map<AttentionReason, number>(ATTENTION_REASONS.map((reason, index) => [reason, index]))

function hoursText(seconds: number): string {
  const hours = seconds / 3600
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : `${Math.floor(hours)} h`
}

/** Every entry of the selection, by reason, oldest first, then by name. */
export function computeAttention(table: FactsTable, slots: Int32Array, options: AttentionOptions): AttentionItem[] {
  const { now, stallSeconds, failed } = options
  const running = table.strings.values.map((value) => RUNNING_STATUSES.has(value))
  const producing = table.strings.values.map((value) => PRODUCING_STATUSES.has(value))
  const abandoned = table.strings.values.map((value) => ABANDONED_STATUSES.has(value))
  const items: AttentionItem[] = []
  for (const slot of slots) {
    const name = table.names[slot]!
    const reason = failed.get(name)
    if (reason !== undefined) {
      const last = table.num.lastUpdate[slot]!
      items.push({ workflow: name, reason: 'update-failed', since: Number.isNaN(last) ? options.failedFallback : last, detail: reason })
    }
    if (table.state[slot] !== SLOT_READABLE) continue
    const status = table.ids.status[slot]!
    if (status < 0) continue
    const statusName = table.strings.values[status]!
    if (running[status]) {
      const history = table.num.lastHistory[slot]!
      const since = Math.max(Number.isNaN(history) ? Number.NEGATIVE_INFINITY : history, table.num.statusSince[slot]!)
      if (now - since >= stallSeconds) {
        items.push({ workflow: name, reason: 'stalled', since, detail: `no new events for ${hoursText(now - since)} while ${statusName}` })
      }
    }
    const eta = table.num.eta[slot]!
    if (producing[status] && eta < now) {
      items.push({ workflow: name, reason: 'past-eta', since: eta, detail: `expected to finish ${hoursText(now - eta)} ago; ${statusName}` })
    }
    const bad = table.bad.get(slot)
    if (bad && !abandoned[status]) {
      const first = bad.reduce((a, b) => (b.since < a.since ? b : a))
      const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''
      items.push({ workflow: name, reason: 'invalid-output', since: first.since, detail: `${first.dataset} is ${first.type}${more} while ${statusName}` })
    }
  }
  return items.sort((a, b) => REASON_ORDER.get(a.reason)! - REASON_ORDER.get(b.reason)! || a.since - b.since || compareText(a.workflow, b.workflow))
}

/** The ACDC families of the selection, oldest first Resubmission first, then by PrepID. */
export function computeFamilies(table: FactsTable, slots: Int32Array): AcdcFamily[] {
  const byPrepId = new Map<number, number[]>()
  const withResubmission = new Set<number>()
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) continue
    const prepId = table.ids.prepId[slot]!
    if (prepId < 0) continue
    let members = byPrepId.get(prepId)
    if (!members) byPrepId.set(prepId, (members = []))
    members.push(slot)
    if (table.resubmission[slot]) withResubmission.add(prepId)
  }
  const families: AcdcFamily[] = []
  for (const prepId of withResubmission) {
    const members = byPrepId.get(prepId)!.sort((a, b) => orderCreated(table, a, b))
    const originals = members.filter((slot) => !table.resubmission[slot])
    let events = 0
    let expected = 0
    let since = Number.POSITIVE_INFINITY
    for (const slot of members) {
      events = Math.max(events, table.num.events[slot]!)
      if (table.resubmission[slot] && table.num.created[slot]! < since) since = table.num.created[slot]!
    }
    for (const slot of originals.length > 0 ? originals : members) expected = Math.max(expected, table.num.expected[slot]!)
    const family: AcdcFamily = {
      prepId: table.strings.values[prepId]!,
      members: members.map((slot) => ({
        workflow: table.names[slot]!,
        status: table.statusOf(slot),
        resubmission: table.resubmission[slot] === 1,
        events: table.num.events[slot]!,
        expected: table.num.expected[slot]!
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
