/**
 * The status board: per status, the workflows of a selection and the events of their final
 * datasets, in total, per campaign and per McM priority block. One pass over the selection's slots
 * into typed accumulators (no object per workflow); objects only for the cells that exist.
 *
 * A cell's ETA: its producing workflows (lifecycle.ts PRODUCING_STATUSES) still short of their
 * expected events have `remaining` = Σ (expected − events) to go, at `rate` = Σ of their final
 * datasets' two-day trends (facts.ts `slope`) — the slope of their summed track; the ETA is the
 * newest of their final datasets' times plus remaining ÷ rate. No ETA when nothing remains (done)
 * or nothing rises.
 */
import { SLOT_READABLE, type FactsTable } from './facts-table'
import { NO_STATUS, PRODUCING_STATUSES, byLifecycle } from './lifecycle'
import { LAST_BLOCK, blockKey, blockLabel, priorityBlock } from './priority-blocks'
import type { Board, BoardCell, BoardRow } from './types'

export const NO_CAMPAIGN = '(no campaign)'

/** Cells as columns: cell c's sums are at index c of each array. */
class Cells {
  workflows = new Int32Array(64)
  events = new Float64Array(64)
  expected = new Float64Array(64)
  remaining = new Float64Array(64)
  rate = new Float64Array(64)
  ref = new Float64Array(64).fill(Number.NEGATIVE_INFINITY)
  length = 0

  /** A new cell's index. */
  add(): number {
    if (this.length === this.workflows.length) {
      const size = this.length * 2
      const grow = <T extends Int32Array | Float64Array>(a: T, fill = 0): T => {
        const next = new (a.constructor as new (n: number) => T)(size)
        next.set(a)
        if (fill !== 0) next.fill(fill, a.length)
        return next
      }
      this.workflows = grow(this.workflows)
      this.events = grow(this.events)
      this.expected = grow(this.expected)
      this.remaining = grow(this.remaining)
      this.rate = grow(this.rate)
      this.ref = grow(this.ref, Number.NEGATIVE_INFINITY)
    }
    return this.length++
  }

  cell(c: number): BoardCell {
    const out: BoardCell = { workflows: this.workflows[c]!, events: this.events[c]!, expected: this.expected[c]! }
    const remaining = this.remaining[c]!
    const rate = this.rate[c]!
    const ref = this.ref[c]!
    if (remaining > 0 && rate > 0 && Number.isFinite(ref)) out.eta = Math.round(ref + remaining / rate)
    return out
  }
}

export interface BoardResult {
  board: Board
  /** Slots of the selection whose documents are not readable. */
  unreadable: number[]
}

export function computeBoard(table: FactsTable, slots: Int32Array): BoardResult {
  const strings = table.strings.values
  // Statuses as dense indexes 0..k (index 0: no status), producing or not.
  const statusIndex = new Int32Array(strings.length + 1).fill(-1)
  const statusIds: number[] = []
  const producing: boolean[] = []
  // Groups: 0 = all, then one per campaign met, then one per block; each has a total cell and a row of status cells.
  const cells = new Cells()
  const groupTotal: number[] = []
  const groupRow: Int32Array[] = []
  const newGroup = (): number => {
    groupTotal.push(cells.add())
    groupRow.push(new Int32Array(16).fill(-1))
    return groupTotal.length - 1
  }
  const ALL = newGroup()
  const campaignGroup = new Int32Array(strings.length + 1).fill(-1)
  const blockGroup = new Int32Array(LAST_BLOCK + 1).fill(-1)
  const campaignOfGroup = new Map<number, number>()
  const blockOfGroup = new Map<number, number>()
  const { events, expected, slope, finalTime, priority } = table.num
  const { status: statusColumn, campaign: campaignColumn } = table.ids
  const unreadable: number[] = []

  /** The cell of a group's row for a status (made when first met). */
  const statusCell = (group: number, status: number): number => {
    let row = groupRow[group]!
    if (status >= row.length) {
      const next = new Int32Array(row.length * 2).fill(-1)
      next.set(row)
      groupRow[group] = row = next
    }
    let c = row[status]!
    if (c < 0) row[status] = c = cells.add()
    return c
  }
  const campaignGroupOf = (campaign: number): number => {
    let group = campaignGroup[campaign + 1]!
    if (group < 0) {
      group = campaignGroup[campaign + 1] = newGroup()
      campaignOfGroup.set(group, campaign)
    }
    return group
  }

  // Per workflow: the cells it adds to (its status in all, in each campaign, in its block; and
  // their totals), then one pass adding its numbers to each.
  let targets = new Int32Array(6)
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) {
      unreadable.push(slot)
      continue
    }
    const id = statusColumn[slot]!
    let status = statusIndex[id + 1]!
    if (status < 0) {
      status = statusIndex[id + 1] = statusIds.length
      statusIds.push(id)
      producing.push(id >= 0 && PRODUCING_STATUSES.has(strings[id]!))
    }
    const first = campaignColumn[slot]!
    const more = first >= 0 ? table.moreCampaigns[slot] : undefined
    const wanted = 4 + 2 * (1 + (more?.length ?? 0))
    if (wanted > targets.length) targets = new Int32Array(wanted)
    let n = 0
    targets[n++] = groupTotal[ALL]!
    targets[n++] = statusCell(ALL, status)
    let group = campaignGroupOf(first)
    targets[n++] = groupTotal[group]!
    targets[n++] = statusCell(group, status)
    if (more) {
      for (const campaign of more) {
        group = campaignGroupOf(campaign)
        targets[n++] = groupTotal[group]!
        targets[n++] = statusCell(group, status)
      }
    }
    const block = priorityBlock(priority[slot]!)
    group = blockGroup[block]!
    if (group < 0) {
      group = blockGroup[block] = newGroup()
      blockOfGroup.set(group, block)
    }
    targets[n++] = groupTotal[group]!
    targets[n++] = statusCell(group, status)

    const done = events[slot]!
    const expectedHere = expected[slot]!
    const short = producing[status]! && expectedHere > 0 && done < expectedHere
    const rate = slope[slot]!
    const time = finalTime[slot]!
    for (let k = 0; k < n; k++) {
      const c = targets[k]!
      cells.workflows[c]!++
      cells.events[c]! += done
      cells.expected[c]! += expectedHere
      if (short) {
        cells.remaining[c]! += expectedHere - done
        cells.rate[c]! += rate
        if (time > cells.ref[c]!) cells.ref[c] = time
      }
    }
  }

  const statusNames = statusIds.map((id) => (id < 0 ? NO_STATUS : strings[id]!))
  const order = statusNames.map((_, index) => index).sort((a, b) => byLifecycle(statusNames[a]!, statusNames[b]!))
  const statusCells = (group: number): Record<string, BoardCell> => {
    const out: Record<string, BoardCell> = {}
    const row = groupRow[group]!
    for (const status of order) {
      const c = status < row.length ? row[status]! : -1
      if (c >= 0) out[statusNames[status]!] = cells.cell(c)
    }
    return out
  }
  const row = (key: string, label: string, group: number): BoardRow => ({ key, label, ...cells.cell(groupTotal[group]!), byStatus: statusCells(group) })
  const byCampaign = [...campaignOfGroup]
    .map(([group, campaign]) => {
      const name = campaign < 0 ? NO_CAMPAIGN : strings[campaign]!
      return row(name, name, group)
    })
    .sort((a, b) => b.workflows - a.workflows || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const byPriorityBlock = [...blockOfGroup].sort((a, b) => a[1] - b[1]).map(([group, block]) => row(blockKey(block), blockLabel(block), group))
  return {
    board: { statuses: order.map((status) => statusNames[status]!), byStatus: statusCells(ALL), total: cells.cell(groupTotal[ALL]!), byCampaign, byPriorityBlock },
    unreadable
  }
}
