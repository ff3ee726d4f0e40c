/**
 * The status board: per status, the workflows of a selection and the events of their final
 * datasets, in total, per campaign and per McM priority block. One pass over the selection's slots.
 *
 * A cell's ETA: its producing workflows (lifecycle.ts PRODUCING_STATUSES) still short of their
 * expected events have `remaining` = Σ (expected − events) to go, at `rate` = Σ of their final
 * datasets' two-day trends (facts.ts `slope`) — the slope of their summed track; the ETA is the
 * newest of their final datasets' times plus remaining ÷ rate. No ETA when nothing remains (done)
 * or nothing rises.
 */
import { type FactsTable, SLOT_READABLE } from './facts-table'
import { NO_STATUS, PRODUCING_STATUSES, byLifecycle } from './lifecycle'
import { blockKey, blockLabel, priorityBlock } from './priority-blocks'
import type { Board, BoardCell, BoardRow } from './types'

export const NO_CAMPAIGN = '(no campaign)'

class Sum {
  workflows = 0
  events = 0
  expected = 0
  remaining = 0
  rate = 0
  ref = Number.NEGATIVE_INFINITY

  add(table: FactsTable, slot: number, producing: boolean): void {
    this.workflows++
    const events = table.num.events[slot]!
    const expected = table.num.expected[slot]!
    this.events += events
    this.expected += expected
    if (producing && expected > 0 && events < expected) {
      this.remaining += expected - events
      this.rate += table.num.slope[slot]!
      const time = table.num.finalTime[slot]!
      if (time > this.ref) this.ref = time
    }
  }

  cell(): BoardCell {
    const cell: BoardCell = { workflows: this.workflows, events: this.events, expected: this.expected }
    if (this.remaining > 0 && this.rate > 0 && Number.isFinite(this.ref)) cell.eta = Math.round(this.ref + this.remaining / this.rate)
    return cell
  }
}

class Group {
  readonly total = new Sum()
  readonly byStatus = new Map<number, Sum>()

  add(table: FactsTable, slot: number, status: number, producing: boolean): void {
    this.total.add(table, slot, producing)
    let sum = this.byStatus.get(status)
    if (!sum) this.byStatus.set(status, (sum = new Sum()))
    sum.add(table, slot, producing)
  }
}

export interface BoardResult {
  board: Board
  /** Slots of the selection whose documents are not readable. */
  unreadable: number[]
}

export function computeBoard(table: FactsTable, slots: Int32Array): BoardResult {
  const producing = table.strings.values.map((value) => PRODUCING_STATUSES.has(value))
  const all = new Group()
  const campaigns = new Map<number, Group>()
  const blocks = new Map<number, Group>()
  const unreadable: number[] = []
  for (const slot of slots) {
    if (table.state[slot] !== SLOT_READABLE) {
      unreadable.push(slot)
      continue
    }
    const status = table.ids.status[slot]!
    const isProducing = status >= 0 && producing[status]!
    all.add(table, slot, status, isProducing)
    const first = table.ids.campaign[slot]!
    const list = first < 0 ? [-1] : table.moreCampaigns.has(slot) ? table.campaignsOf(slot) : [first]
    for (const campaign of list) {
      let group = campaigns.get(campaign)
      if (!group) campaigns.set(campaign, (group = new Group()))
      group.add(table, slot, status, isProducing)
    }
    const block = priorityBlock(table.num.priority[slot]!)
    let group = blocks.get(block)
    if (!group) blocks.set(block, (group = new Group()))
    group.add(table, slot, status, isProducing)
  }
  const statusName = (id: number): string => (id < 0 ? NO_STATUS : table.strings.values[id]!)
  const statuses = [...all.byStatus.keys()].map(statusName).sort(byLifecycle)
  const cells = (group: Group): Record<string, BoardCell> => {
    const named = [...group.byStatus].map(([id, sum]) => [statusName(id), sum.cell()] as const).sort((a, b) => byLifecycle(a[0], b[0]))
    return Object.fromEntries(named)
  }
  const row = (key: string, label: string, group: Group): BoardRow => ({ key, label, ...group.total.cell(), byStatus: cells(group) })
  const byCampaign = [...campaigns]
    .map(([id, group]) => {
      const name = id < 0 ? NO_CAMPAIGN : table.strings.values[id]!
      return row(name, name, group)
    })
    .sort((a, b) => b.workflows - a.workflows || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const byPriorityBlock = [...blocks].sort((a, b) => a[0] - b[0]).map(([block, group]) => row(blockKey(block), blockLabel(block), group))
  return {
    board: { statuses, byStatus: cells(all), total: all.total.cell(), byCampaign, byPriorityBlock },
    unreadable
  }
}
