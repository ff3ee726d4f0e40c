/**
 * The workflows behind one cell of the overview (a board cell, a durations row, an attention
 * reason), in the order that answers the cell's question: longest in its status first for the
 * board, longest in the pair first for durations, oldest first for attention.
 */
import { z } from 'zod'
import { type FactsTable, SLOT_READABLE } from './facts-table'
import { NO_CAMPAIGN } from './board'
import { compareText } from './durations'
import { NO_STATUS } from './lifecycle'
import { LAST_BLOCK, priorityBlock } from './priority-blocks'
import { ATTENTION_REASONS } from './types'
import type { AttentionList } from './attention'

export const overviewDrillSchema = z.object({
  status: z.string().min(1).max(100).optional(),
  campaign: z.string().min(1).max(1000).optional(),
  block: z.number().int().min(0).max(LAST_BLOCK).optional(),
  pair: z.string().min(3).max(300).optional(),
  reason: z.enum(ATTENTION_REASONS).optional()
}).strict()

export type OverviewDrill = z.infer<typeof overviewDrillSchema>

/** True when the drill picks nothing out (the whole selection). */
export function isEmptyDrill(drill: OverviewDrill): boolean {
  return Object.values(drill).every((value) => value === undefined)
}

function campaignMatches(table: FactsTable, slot: number, campaign: string): boolean {
  if (campaign === NO_CAMPAIGN) return table.ids.campaign[slot]! < 0
  const id = table.strings.find(campaign)
  return id >= 0 && table.campaignsOf(slot).includes(id)
}

/** Seconds the workflow spent in `pair` (summed if made twice); undefined when it never made it. */
function pairSeconds(table: FactsTable, slot: number, pair: number): number | undefined {
  const sequence = table.ids.sequence[slot]!
  if (sequence < 0) return undefined
  const pairs = table.sequences[sequence]!.pairs
  const times = table.times
  const at = table.ids.times[slot]!
  let total: number | undefined
  for (let k = 0; k < pairs.length; k++) if (pairs[k] === pair) total = (total ?? 0) + Math.max(0, times[at + k + 1]! - times[at + k]!)
  return total
}

/**
 * The slots of `slots` the drill picks, in its order. `attention` (the selection's) is needed for
 * a reason drill.
 */
export function drillSlots(table: FactsTable, slots: Int32Array, drill: OverviewDrill, attention?: AttentionList): number[] {
  const statusId = drill.status === undefined || drill.status === NO_STATUS ? -1 : table.strings.find(drill.status)
  const keep = (slot: number): boolean => {
    if (table.state[slot] !== SLOT_READABLE) return false
    if (drill.status !== undefined) {
      if (drill.status === NO_STATUS ? table.ids.status[slot]! >= 0 : statusId < 0 || table.ids.status[slot] !== statusId) return false
    }
    if (drill.campaign !== undefined && !campaignMatches(table, slot, drill.campaign)) return false
    if (drill.block !== undefined && priorityBlock(table.num.priority[slot]!) !== drill.block) return false
    return true
  }
  const byName = (a: number, b: number): number => compareText(table.names[a]!, table.names[b]!)
  if (drill.reason !== undefined) {
    // Update failures may be of documents that are not readable: those are listed too.
    return (attention?.slotsOf(drill.reason) ?? []).filter((slot) => drill.reason === 'update-failed' || keep(slot))
  }
  if (drill.pair !== undefined) {
    const pair = table.pairs.find(drill.pair)
    if (pair < 0) return []
    const found: Array<[number, number]> = []
    for (const slot of slots) {
      if (!keep(slot)) continue
      const seconds = pairSeconds(table, slot, pair)
      if (seconds !== undefined) found.push([slot, seconds])
    }
    return found.sort((a, b) => b[1] - a[1] || byName(a[0], b[0])).map(([slot]) => slot)
  }
  const out: number[] = []
  for (const slot of slots) if (keep(slot)) out.push(slot)
  // Longest in its status first; without a status, last.
  const since = (slot: number): number => {
    const value = table.num.statusSince[slot]!
    return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value
  }
  return out.sort((a, b) => since(a) - since(b) || byName(a, b))
}
