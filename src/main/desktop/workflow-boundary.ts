/**
 * The contract boundary for stored documents: everything main hands the renderer about a workflow
 * goes through `toWorkflowView` first. A document that does not fit the schema arrives as
 * `{invalid: true, issues, raw}` (shown raw with a warning), never as values React cannot render.
 */
import { toWorkflowView } from '../../shared/stats2-doc-schema'
import { isInvalidWorkflow, type ValidWorkflow, type WorkflowView } from '../../shared/workflow-view'
import { newestEntry } from '../../shared/rules/completion'
import { createLogger } from '../log/logger'

const log = createLogger('app')

/** A result-list entry: the checked document with only its newest history entry (what the bars show). */
export function listView(doc: unknown): WorkflowView {
  const view = toWorkflowView(doc)
  if (isInvalidWorkflow(view)) {
    // Every search lists it again: a warning when it is opened (detailView) is enough.
    log.debug(`stored document ${view.name} does not fit the schema (${view.issues.join('; ')}): shown raw`)
    return view
  }
  const newest = newestEntry(view.EventNumberHistory)
  return { ...view, EventNumberHistory: newest ? [newest] : [] }
}

/** The whole checked document (the detail panel). */
export function detailView(doc: unknown): WorkflowView {
  const view = toWorkflowView(doc)
  if (isInvalidWorkflow(view)) log.warn(`stored document ${view.name} does not fit the schema (${view.issues.join('; ')}): shown raw`)
  return view
}

/** The documents that fit (for sums and charts) and how many did not. */
export function splitValid(docs: readonly unknown[]): { valid: ValidWorkflow[]; invalid: number } {
  const valid: ValidWorkflow[] = []
  let invalid = 0
  for (const doc of docs) {
    const view = toWorkflowView(doc)
    if (isInvalidWorkflow(view)) invalid++
    else valid.push(view)
  }
  return { valid, invalid }
}
