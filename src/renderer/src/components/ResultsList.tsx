import { useCallback, type ReactNode, type RefObject } from 'react'
import type { WorkflowProgress } from '../../../shared/ipc-contract'
import { isInvalidWorkflow, viewName, type WorkflowView } from '../../../shared/workflow-view'
import { useVirtualList } from '../hooks/useVirtualList'
import { estimateRowHeight } from '../lib/virtual-window'
import { ErrorBoundary } from './ErrorBoundary'
import { InvalidWorkflowRow } from './InvalidWorkflowRow'
import { WorkflowRow } from './WorkflowRow'

interface Props {
  workflows: readonly WorkflowView[]
  now: number
  selected: ReadonlySet<string>
  openName: string | undefined
  progress: ReadonlyMap<string, WorkflowProgress>
  onToggle: (name: string, selected: boolean) => void
  onOpen: (name: string) => void
  scrollRef: RefObject<HTMLElement | null>
  listRef: RefObject<HTMLDivElement | null>
}

const estimate = (view: WorkflowView): number => (isInvalidWorkflow(view) ? 160 : estimateRowHeight(view.OutputDatasets?.length ?? 0))

/** The workflows of one page, windowed: only rows near the viewport are in the DOM. */
export function ResultsList({ workflows, now, selected, openName, progress, onToggle, onOpen, scrollRef, listRef }: Props): ReactNode {
  const keyOf = useCallback((view: WorkflowView) => viewName(view), [])
  const { window, measureRef } = useVirtualList({ items: workflows, keyOf, estimate, scrollRef, listRef })
  const rows: ReactNode[] = []
  for (let index = window.start; index < window.end; index++) {
    const view = workflows[index]!
    const name = viewName(view)
    rows.push(
      <ErrorBoundary key={name} what={`workflow ${name}`} resetKey={view} className="workflow-row">
        {isInvalidWorkflow(view) ? (
          <InvalidWorkflowRow view={view} open={openName === name} onOpen={onOpen} measureRef={measureRef} />
        ) : (
          <WorkflowRow
            doc={view}
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
    <div className="results-list" ref={listRef} data-testid="results-list" data-rows={workflows.length} data-rendered={window.end - window.start}>
      <div className="spacer" style={{ height: window.before }} aria-hidden="true" />
      {rows}
      <div className="spacer" style={{ height: window.after }} aria-hidden="true" />
    </div>
  )
}
