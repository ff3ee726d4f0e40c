import type { KeyboardEvent, ReactNode, RefObject } from 'react'
import type { WorkflowProgress } from '../../../shared/ipc-contract'
import type { WorkflowRow as Row } from '../../../shared/search-types'
import { useVirtualList } from '../hooks/useVirtualList'
import { estimateRowHeight } from '../lib/virtual-window'
import { ErrorBoundary } from './ErrorBoundary'
import { InvalidWorkflowRow } from './InvalidWorkflowRow'
import { WorkflowRow } from './WorkflowRow'

interface Props {
  rows: readonly Row[]
  now: number
  selected: ReadonlySet<string>
  openName: string | undefined
  progress: ReadonlyMap<string, WorkflowProgress>
  onToggle: (name: string, selected: boolean) => void
  onOpen: (name: string) => void
  scrollRef: RefObject<HTMLElement | null>
  listRef: RefObject<HTMLDivElement | null>
}

const estimate = (row: Row): number => (row.raw !== undefined ? 160 : estimateRowHeight(row.datasets.length))
const keyOf = (row: Row): string => row.name

const MOVES: Record<string, (index: number, count: number) => number> = {
  ArrowDown: (index) => index + 1,
  ArrowUp: (index) => index - 1,
  Home: () => 0,
  End: (_, count) => count - 1
}

/** Focuses the name of row `name` once it is rendered (at most a few frames after scrolling to it). */
function focusRow(list: HTMLElement, name: string, tries = 10): void {
  const button = list.querySelector<HTMLElement>(`[data-testid="workflow-row"][data-name="${CSS.escape(name)}"] .workflow-name`)
  if (button) {
    button.focus({ preventScroll: true })
    button.closest('[data-testid="workflow-row"]')?.scrollIntoView({ block: 'nearest' })
  } else if (tries > 0) {
    requestAnimationFrame(() => focusRow(list, name, tries - 1))
  }
}

/** The workflows of one page, windowed: only rows near the viewport are in the DOM. */
export function ResultsList({ rows: items, now, selected, openName, progress, onToggle, onOpen, scrollRef, listRef }: Props): ReactNode {
  const { window, measureRef, scrollToIndex } = useVirtualList({ items, keyOf, estimate, scrollRef, listRef })

  // ↑ ↓ Home End from anywhere in a row (its name, checkbox, links) move to the name of another row;
  // Enter on a name opens it. Rows outside the rendered window are scrolled to first.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const move = MOVES[event.key]
    if (!move || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
    const target = event.target as HTMLElement
    // Keys that mean something where they are: text, selects, the raw JSON of an invalid row.
    if (target.closest('input:not([type="checkbox"]), select, textarea, pre, summary')) return
    const row = target.closest<HTMLElement>('[data-testid="workflow-row"]')
    const list = listRef.current
    if (!row || !list) return
    event.preventDefault()
    const index = items.findIndex((item) => item.name === row.dataset.name)
    const next = Math.max(0, Math.min(items.length - 1, move(index, items.length)))
    if (index < 0 || next === index) return
    const name = items[next]!.name
    if (next < window.start || next >= window.end) scrollToIndex(next)
    focusRow(list, name)
  }

  const rows: ReactNode[] = []
  for (let index = window.start; index < window.end; index++) {
    const row = items[index]!
    const name = row.name
    rows.push(
      <ErrorBoundary key={name} what={`workflow ${name}`} resetKey={row} className="workflow-row">
        {row.raw !== undefined ? (
          <InvalidWorkflowRow view={{ invalid: true, name, issues: row.issues ?? [], raw: row.raw }} open={openName === name} onOpen={onOpen} measureRef={measureRef} />
        ) : (
          <WorkflowRow
            row={row}
            now={now}
            selected={selected.has(name)}
            open={openName === name}
            progress={progress.get(name)}
            onToggle={onToggle}
            onOpen={onOpen}
            measureRef={measureRef}
          />
        )}
      </ErrorBoundary>
    )
  }
  return (
    <div className="results-list" ref={listRef} data-testid="results-list" data-rows={items.length} data-rendered={window.end - window.start} onKeyDown={onKeyDown}>
      <div className="spacer" style={{ height: window.before }} aria-hidden="true" />
      {rows}
      <div className="spacer" style={{ height: window.after }} aria-hidden="true" />
    </div>
  )
}
