import { memo, type ReactNode } from 'react'
import type { InvalidWorkflow } from '../../../shared/workflow-view'
import { InvalidWorkflowNotice } from './InvalidWorkflowNotice'
import { SafeText } from './SafeText'

interface Props {
  view: InvalidWorkflow
  open: boolean
  onOpen: (name: string) => void
  measureRef: (element: HTMLElement | null) => (() => void) | undefined
}

/** A result row for a document that does not fit the schema: its name, the warning and the raw JSON. */
export const InvalidWorkflowRow = memo(function InvalidWorkflowRow({ view, open, onOpen, measureRef }: Props): ReactNode {
  return (
    <article
      className={`workflow-row is-invalid${open ? ' is-open' : ''}`}
      data-testid="workflow-row"
      data-name={view.name}
      data-key={view.name}
      data-invalid="true"
      ref={measureRef}
      aria-label={view.name}
    >
      <div className="row-head">
        <button type="button" className="workflow-name mono" onClick={() => onOpen(view.name)} title="Show the stored document">
          <SafeText text={view.name} />
        </button>
      </div>
      <InvalidWorkflowNotice view={view} compact />
    </article>
  )
})
