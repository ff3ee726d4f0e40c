import type { ReactNode } from 'react'
import type { WorkflowFailure } from '../../../shared/update-types'
import { SearchLink } from './SearchLink'
import '../styles/dialogs.css'

/** Failed workflows with why, each name a link to it. */
export function FailureList({ failures, limit = 500, onNavigate }: { failures: readonly WorkflowFailure[]; limit?: number; onNavigate?: () => void }): ReactNode {
  return (
    <>
      <ul className="failure-list" data-testid="failure-list" onClick={(event) => {
        if ((event.target as HTMLElement).closest('a')) onNavigate?.()
      }}>
        {failures.slice(0, limit).map((failure) => (
          <li key={failure.name}>
            <SearchLink className="mono" text={failure.name} field="workflow" />
            <span className="failure-reason">{failure.reason}</span>
          </li>
        ))}
      </ul>
      {failures.length > limit ? <p className="muted">…and {failures.length - limit} more.</p> : null}
    </>
  )
}
