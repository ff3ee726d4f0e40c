import { memo, type ReactNode } from 'react'
import type { WorkflowProgress } from '../../../shared/ipc-contract'
import type { WorkflowRow as Row } from '../../../shared/search-types'
import { workflowProgressLabel, workflowProgressTone } from '../lib/updater-view'
import { useReadOnlyService } from '../hooks/readOnlyService'
import { PinButton } from './PinButton'
import { WorkflowLinks } from './WorkflowLinks'
import { WorkflowSummary } from './WorkflowSummary'
import { SafeText } from './SafeText'
import '../styles/workflow.css'

interface Props {
  row: Row
  now: number
  selected: boolean
  open: boolean
  progress: WorkflowProgress | undefined
  onToggle: (name: string, selected: boolean) => void
  onOpen: (name: string) => void
  measureRef: (element: HTMLElement | null) => (() => void) | undefined
}

/** One workflow of the results: checkbox, name (opens the detail panel), links, fields, datasets. */
export const WorkflowRow = memo(function WorkflowRow({ row, now, selected, open, progress, onToggle, onOpen, measureRef }: Props): ReactNode {
  const name = row.name
  const selectable = !useReadOnlyService()
  return (
    <article
      className={`workflow-row${selected ? ' is-selected' : ''}${open ? ' is-open' : ''}${row.invalid ? ' is-invalid' : ''}`}
      data-testid="workflow-row"
      data-name={name}
      data-key={name}
      ref={measureRef}
      aria-label={name}
    >
      <div className="row-head">
        {selectable ? (
          <input
            type="checkbox"
            className="row-check"
            data-testid="workflow-select"
            checked={selected}
            onChange={(event) => onToggle(name, event.target.checked)}
            aria-label={`Select ${name}`}
          />
        ) : null}
        <button type="button" className="workflow-name mono" onClick={() => onOpen(name)} title="Show the history chart, table and raw JSON (Enter); ↑ ↓ move between workflows">
          <SafeText text={name} />
        </button>
        {progress ? (
          <span
            className={`progress-badge tone-${workflowProgressTone(progress)}`}
            data-testid="workflow-progress"
            data-outcome={progress.outcome ?? progress.stage}
            title={progress.reason ?? workflowProgressLabel(progress)}
          >
            {workflowProgressLabel(progress)}
            {progress.reason ? <span className="progress-reason">: {progress.reason}</span> : null}
          </span>
        ) : null}
        <PinButton item={{ kind: 'workflow', value: name }} />
        <WorkflowLinks inputDataset={row.inputDataset} name={name} />
      </div>
      <WorkflowSummary row={row} now={now} />
    </article>
  )
})
