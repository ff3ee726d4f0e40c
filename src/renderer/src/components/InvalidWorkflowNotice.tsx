import type { ReactNode } from 'react'
import type { InvalidWorkflow } from '../../../shared/workflow-view'
import '../styles/invalid.css'

/**
 * A stored document that does not fit the Stats2 schema: why, and the document itself as JSON
 * (text only, never interpreted), so nothing is hidden and the page keeps working.
 */
export function InvalidWorkflowNotice({ view, compact = false }: { view: InvalidWorkflow; compact?: boolean }): ReactNode {
  return (
    <div className="alert alert-warning invalid-doc" role="alert" data-testid="invalid-doc">
      <p>
        <strong>This stored document does not fit the Stats2 document schema</strong>; it is shown as raw JSON.
        {' '}Other programs that write to this CouchDB may have changed it.
      </p>
      <ul className="invalid-issues" data-testid="invalid-issues">
        {view.issues.map((issue, index) => <li key={index} className="mono">{issue}</li>)}
      </ul>
      <details open={!compact}>
        <summary>Raw JSON</summary>
        <pre className="json invalid-raw" data-testid="invalid-raw" tabIndex={0}>{view.raw}</pre>
      </details>
    </div>
  )
}
