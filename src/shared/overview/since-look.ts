/**
 * What changed in a selection since an operator's last look, from the documents' own times: only
 * the time of that look and the failed workflows then are remembered (a file in the desktop's
 * settings folder; the browser's storage under `stats2 serve`).
 * - new workflows: created (first RequestTransition) after the look;
 * - status changes: RequestTransition entries after the look (other than a new workflow's first);
 * - datasets that became VALID: an output dataset VALID now whose VALID run began after the look;
 * - new failures: on the retry list now, not at the look.
 * Every change is counted; entries (objects, words) are made only for the newest `limit`.
 */
import { SLOT_READABLE, type FactsTable } from './facts-table'
import { compareText } from './durations'
import { orderByKey } from './order'
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

/** Changes as columns: kind (index in SINCE_KINDS), slot, transition or output index, time. */
class Changes {
  kind = new Uint8Array(256)
  slot = new Int32Array(256)
  index = new Int32Array(256)
  time = new Float64Array(256)
  length = 0

  push(kind: number, slot: number, index: number, time: number): void {
    if (this.length === this.slot.length) {
      const size = this.length * 2
      const kinds = new Uint8Array(size)
      kinds.set(this.kind)
      const slots = new Int32Array(size)
      slots.set(this.slot)
      const indexes = new Int32Array(size)
      indexes.set(this.index)
      const times = new Float64Array(size)
      times.set(this.time)
      this.kind = kinds
      this.slot = slots
      this.index = indexes
      this.time = times
    }
    this.kind[this.length] = kind
    this.slot[this.length] = slot
    this.index[this.length] = index
    this.time[this.length++] = time
  }
}

const NEW = SINCE_KINDS.indexOf('new-workflow')
const STATUS = SINCE_KINDS.indexOf('status')
const VALID = SINCE_KINDS.indexOf('dataset-valid')
const FAILED = SINCE_KINDS.indexOf('update-failed')

export function computeSinceLook(table: FactsTable, slots: Int32Array, look: OverviewLook, failed: ReadonlyMap<string, string>, limit: number): SinceLookResult {
  const since = look.time
  const failedThen = new Set(look.failed)
  const changes = new Changes()
  const failures: number[] = []
  const { sequence: sequenceColumn, times: timesColumn } = table.ids
  for (const slot of slots) {
    const name = table.names[slot]!
    if (failed.size > 0 && failed.has(name) && !failedThen.has(name)) failures.push(slot)
    if (table.state[slot] !== SLOT_READABLE) continue
    const sequence = sequenceColumn[slot]!
    if (sequence >= 0) {
      const length = table.sequences[sequence]!.statuses.length
      const at = timesColumn[slot]!
      if (table.times[at]! > since) changes.push(NEW, slot, 0, table.times[at]!)
      for (let k = 1; k < length; k++) if (table.times[at + k]! > since) changes.push(STATUS, slot, k, table.times[at + k]!)
    }
    const valid = table.validSince[slot]
    if (valid) for (let output = 0; output < valid.length; output++) if (valid[output]! > since) changes.push(VALID, slot, output, valid[output]!)
  }
  const counts = Object.fromEntries(SINCE_KINDS.map((kind) => [kind, 0])) as Record<SinceKind, number>
  for (let i = 0; i < changes.length; i++) counts[SINCE_KINDS[changes.kind[i]!]!]++
  counts['update-failed'] = failures.length

  // Newest first (keys are negated times); then by kind, name and position. New failures, which have no time, first of all.
  const keys = new Float64Array(changes.length)
  for (let i = 0; i < changes.length; i++) keys[i] = -changes.time[i]!
  const order = orderByKey(keys, changes.length, (a, b) => changes.time[b]! - changes.time[a]! || changes.kind[a]! - changes.kind[b]! ||
    compareText(table.names[changes.slot[a]!]!, table.names[changes.slot[b]!]!) || changes.index[a]! - changes.index[b]!)
  const entries: SinceEntry[] = []
  const datasets: PendingDataset[] = []
  for (const slot of failures.sort((a, b) => compareText(table.names[a]!, table.names[b]!))) {
    if (entries.length >= limit) break
    const workflow = table.names[slot]!
    entries.push({ kind: SINCE_KINDS[FAILED]!, workflow, detail: failed.get(workflow)! })
  }
  for (let i = 0; i < order.length && entries.length < limit; i++) {
    const change = order[i]!
    const slot = changes.slot[change]!
    const kind = changes.kind[change]!
    const workflow = table.names[slot]!
    const time = changes.time[change]!
    const statuses = kind === VALID ? undefined : table.sequences[table.ids.sequence[slot]!]!.statuses
    const name = (position: number): string => table.strings.values[statuses![position]!]!
    if (kind === NEW) entries.push({ kind: 'new-workflow', workflow, time, detail: name(statuses!.length - 1) })
    else if (kind === STATUS) entries.push({ kind: 'status', workflow, time, detail: `${name(changes.index[change]! - 1)} → ${name(changes.index[change]!)}` })
    else {
      const entry: SinceEntry = { kind: 'dataset-valid', workflow, time, detail: '' }
      entries.push(entry)
      datasets.push({ entry, slot, output: changes.index[change]! })
    }
  }
  return { look: { since, counts, total: changes.length + failures.length, entries }, datasets }
}
