/**
 * What changed in a selection since an operator's last look, from the documents' own times: only
 * the time of that look and the failed workflows then are remembered (a file in the desktop's
 * settings folder; the browser's storage under `stats2 serve`).
 * - new workflows: created (first RequestTransition) after the look;
 * - status changes: RequestTransition entries after the look (other than a new workflow's first);
 * - datasets that became VALID: an output dataset VALID now whose VALID run began after the look;
 * - new failures: on the retry list now, not at the look.
 */
import { type FactsTable, SLOT_READABLE } from './facts-table'
import { compareText } from './durations'
import { SINCE_KINDS, type OverviewLook, type SinceEntry, type SinceKind, type SinceLook } from './types'

/** A dataset entry names its dataset by position: the caller fills in the name (it is not kept in memory). */
export interface PendingDataset {
  entry: SinceEntry
  slot: number
  output: number
}

export interface SinceLookResult {
  look: SinceLook
  /** The listed dataset entries, whose `detail` the caller sets to the dataset's name. */
  datasets: PendingDataset[]
}

export function computeSinceLook(table: FactsTable, slots: Int32Array, look: OverviewLook, failed: ReadonlyMap<string, string>, limit: number): SinceLookResult {
  const since = look.time
  const failedThen = new Set(look.failed)
  const counts = Object.fromEntries(SINCE_KINDS.map((kind) => [kind, 0])) as Record<SinceKind, number>
  const entries: Array<{ entry: SinceEntry; slot: number; output: number }> = []
  const add = (entry: SinceEntry, slot: number, output = -1): void => {
    counts[entry.kind]++
    entries.push({ entry, slot, output })
  }
  for (const slot of slots) {
    const name = table.names[slot]!
    const reason = failed.get(name)
    if (reason !== undefined && !failedThen.has(name)) add({ kind: 'update-failed', workflow: name, detail: reason }, slot)
    if (table.state[slot] !== SLOT_READABLE) continue
    const sequence = table.ids.sequence[slot]!
    if (sequence >= 0) {
      const statuses = table.sequences[sequence]!.statuses
      const times = table.times
      const at = table.ids.times[slot]!
      if (times[at]! > since) add({ kind: 'new-workflow', workflow: name, time: times[at]!, detail: table.strings.values[statuses[statuses.length - 1]!]! }, slot)
      for (let k = 1; k < statuses.length; k++) {
        if (times[at + k]! > since) {
          add({ kind: 'status', workflow: name, time: times[at + k]!, detail: `${table.strings.values[statuses[k - 1]!]!} → ${table.strings.values[statuses[k]!]!}` }, slot)
        }
      }
    }
    const valid = table.validSince[slot]
    if (valid) {
      for (let output = 0; output < valid.length; output++) {
        if (valid[output]! > since) add({ kind: 'dataset-valid', workflow: name, time: valid[output]!, detail: '' }, slot, output)
      }
    }
  }
  // Newest first; a new failure (no time) first of all; then by kind and name.
  const kindOrder = new Map(SINCE_KINDS.map((kind, index) => [kind, index]))
  entries.sort((a, b) => (b.entry.time ?? Number.POSITIVE_INFINITY) - (a.entry.time ?? Number.POSITIVE_INFINITY) ||
    kindOrder.get(a.entry.kind)! - kindOrder.get(b.entry.kind)! || compareText(a.entry.workflow, b.entry.workflow) || a.output - b.output)
  const listed = entries.slice(0, limit)
  return {
    look: { since, counts, total: entries.length, entries: listed.map((item) => item.entry) },
    datasets: listed.filter((item) => item.entry.kind === 'dataset-valid').map(({ entry, slot, output }) => ({ entry, slot, output }))
  }
}
