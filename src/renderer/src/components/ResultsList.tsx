import { useCallback, type ReactNode, type RefObject } from 'react'
import type { WorkflowProgress } from '../../../shared/ipc-contract'
import type { WorkflowDoc } from '../../../shared/stats2-doc'
import { useVirtualList } from '../hooks/useVirtualList'
import { workflowName } from '../lib/format'
import { estimateRowHeight } from '../lib/virtual-window'
import { WorkflowRow } from './WorkflowRow'

interface Props {
  workflows: readonly WorkflowDoc[]
  now: number
  selected: ReadonlySet<string>
  openName: string | undefined
  progress: ReadonlyMap<string, WorkflowProgress>
  onToggle: (name: string, selected: boolean) => void
  onOpen: (name: string) => void
  scrollRef: RefObject<HTMLElement | null>
  listRef: RefObject<HTMLDivElement | null>
}

const estimate = (doc: WorkflowDoc): number => estimateRowHeight(doc.OutputDatasets?.length ?? 0)

/** The workflows of one page, windowed: only rows near the viewport are in the DOM. */
export function ResultsList({ workflows, now, selected, openName, progress, onToggle, onOpen, scrollRef, listRef }: Props): ReactNode {
  const keyOf = useCallback((doc: WorkflowDoc) => workflowName(doc), [])
  const { window, measureRef } = useVirtualList({ items: workflows, keyOf, estimate, scrollRef, listRef })
  const rows: ReactNode[] = []
  for (let index = window.start; index < window.end; index++) {
    const doc = workflows[index]!
    const name = workflowName(doc)
    rows.push(
      <WorkflowRow
        key={name}
        doc={doc}
        now={now}
        selected={selected.has(name)}
        open={openName === name}
        progress={progress.get(name)}
        onToggle={onToggle}
        onOpen={onOpen}
        measureRef={measureRef}
      />
    )
  }
  return (
    <div className="results-list" ref={listRef} data-testid="results-list" data-rows={workflows.length} data-rendered={window.end - window.start}>
      <div className="spacer" style={{ height: window.before }} aria-hidden="true" />
      {rows}
      <div className="spacer" style={{ height: window.after }} aria-hidden="true" />
    </div>
  )
}
