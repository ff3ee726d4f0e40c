/**
 * McM's priority blocks: the block numbers PdmV operators use for RequestPriority.
 *
 * The boundaries are McM's: block 1 = 110000, 2 = 90000, 3 = 85000, 4 = 80000, 5 = 70000,
 * 6 = 63000 (cms-PdmV/cmsPdmV mcm/tools/priority.py, `priority_blocks`, branch BigRefactorPartII at
 * c2ed2bea16348d854aaa64533ad218c6e71765e7; the same numbers as McM's `priority_change_controller.js`
 * on master and its 2013 `priority.py`; production McM reads them from its settings database under
 * `priority_per_block`). McM maps a block to its priority; the reverse, a priority to its block, is
 * pMp's (cms-PdmV/pMp pmp/api/common.py `get_priority_block` at
 * 0cb0f037dfc7ae7c3d49a94995ea67751adee043): a priority belongs to the highest block whose priority it
 * reaches, with block 0 from 130000 up and block 7 below block 6's 63000.
 */

/** McM's block → priority, block 1 to 6. */
export const MCM_BLOCK_PRIORITIES: ReadonlyArray<readonly [block: number, priority: number]> = [
  [1, 110_000], [2, 90_000], [3, 85_000], [4, 80_000], [5, 70_000], [6, 63_000]
]

/** pMp's block 0: from this priority up. */
export const BLOCK_ZERO_PRIORITY = 130_000
/** Below block 6. */
export const LAST_BLOCK = 7

/** The block of a RequestPriority (0 to 7). A priority that is not a number is treated as 0 (block 7). */
export function priorityBlock(priority: number): number {
  const value = Number.isFinite(priority) ? priority : 0
  if (value >= BLOCK_ZERO_PRIORITY) return 0
  for (const [block, lowest] of MCM_BLOCK_PRIORITIES) if (value >= lowest) return block
  return LAST_BLOCK
}

/** The key of a block in the JSON object and the address: `block 3`. */
export function blockKey(block: number): string {
  return `block ${block}`
}

/** `block 3 (≥ 85 000)`: what the board's row says. */
export function blockLabel(block: number): string {
  if (block === 0) return `Block 0 (≥ ${BLOCK_ZERO_PRIORITY.toLocaleString('en-US')})`
  const found = MCM_BLOCK_PRIORITIES.find(([b]) => b === block)
  if (found) return `Block ${block} (≥ ${found[1].toLocaleString('en-US')})`
  return `Block ${LAST_BLOCK} (< ${MCM_BLOCK_PRIORITIES[MCM_BLOCK_PRIORITIES.length - 1]![1].toLocaleString('en-US')})`
}
