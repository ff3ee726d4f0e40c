import type { ReactNode, RefObject } from 'react'
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

/** The workflows of one page, windowed: only rows near the viewport are in the DOM. */
export function ResultsList({ rows: items, now, selected, openName, progress, onToggle, onOpen, scrollRef, listRef }: Props): ReactNode {
  const { window, measureRef } = useVirtualList({ items, keyOf, estimate, scrollRef, listRef })
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
    <div className="results-list" ref={listRef} data-testid="results-list" data-rows={items.length} data-rendered={window.end - window.start}>
      <div className="spacer" style={{ height: window.before }} aria-hidden="true" />
      {rows}
      <div className="spacer" style={{ height: window.after }} aria-hidden="true" />
    </div>
  )
}
