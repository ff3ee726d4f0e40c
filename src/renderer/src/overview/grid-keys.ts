/**
 * Arrow keys between the links and buttons of a table's cells (the overview's tables are grids of
 * cells that open lists): ←/→ within a row, ↑/↓ to the same column of the next row that has one,
 * Home/End to the row's first and last. Tab still walks them in order.
 */
import type { KeyboardEvent } from 'react'

const FOCUSABLE = 'a[href], button:not(:disabled)'

function cellsOf(row: HTMLTableRowElement): HTMLElement[] {
  return [...row.cells].map((cell) => cell.querySelector<HTMLElement>(FOCUSABLE)).filter((element): element is HTMLElement => element !== null)
}

export function onGridKeyDown(event: KeyboardEvent<HTMLTableElement>): void {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
  const target = event.target as HTMLElement
  const cell = target.closest('td, th') as HTMLTableCellElement | null
  const row = cell?.parentElement as HTMLTableRowElement | null
  if (!cell || !row) return
  const inRow = cellsOf(row)
  const at = inRow.indexOf(target)
  if (at < 0) return
  let next: HTMLElement | undefined
  switch (event.key) {
    case 'ArrowLeft':
      next = inRow[at - 1]
      break
    case 'ArrowRight':
      next = inRow[at + 1]
      break
    case 'Home':
      next = inRow[0]
      break
    case 'End':
      next = inRow[inRow.length - 1]
      break
    case 'ArrowUp':
    case 'ArrowDown': {
      const rows = [...event.currentTarget.rows]
      const step = event.key === 'ArrowDown' ? 1 : -1
      const column = cell.cellIndex
      for (let index = rows.indexOf(row) + step; index >= 0 && index < rows.length && !next; index += step) {
        const candidate = rows[index]!.cells[column]?.querySelector<HTMLElement>(FOCUSABLE)
        if (candidate) next = candidate
      }
      break
    }
    default:
      return
  }
  event.preventDefault()
  next?.focus()
}
