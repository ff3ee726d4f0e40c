/** Resolving a write conflict between two updaters on one CouchDB without losing anything. */
import type { WorkflowDoc } from '../../shared/stats2-doc'
import { mergeHistories } from './history'

function lastTransitionTime(doc: WorkflowDoc): number {
  const transitions = Array.isArray(doc.RequestTransition) ? doc.RequestTransition : []
  return transitions.reduce((latest, t) => Math.max(latest, Number(t?.UpdateTime) || 0), 0)
}

/** True when `a` holds ReqMgr2 fields at least as new as `b`'s (later or more status transitions). */
export function hasNewerRequestFields(a: WorkflowDoc, b: WorkflowDoc): boolean {
  const byTime = lastTransitionTime(a) - lastTransitionTime(b)
  if (byTime !== 0) return byTime > 0
  return (a.RequestTransition?.length ?? 0) >= (b.RequestTransition?.length ?? 0)
}

/**
 * Ours failed with a conflict against `theirs` (already stored): keep the newer ReqMgr2 fields,
 * the union of both histories, and write on top of their revision.
 */
export function mergeWorkflowDocs(ours: WorkflowDoc, theirs: WorkflowDoc | undefined): WorkflowDoc {
  if (!theirs) {
    const { _rev: _ignored, ...fresh } = ours
    return fresh as WorkflowDoc
  }
  const base = hasNewerRequestFields(ours, theirs) ? ours : theirs
  return {
    ...base,
    _id: ours._id,
    _rev: theirs._rev,
    EventNumberHistory: mergeHistories(theirs.EventNumberHistory ?? [], ours.EventNumberHistory ?? []),
    LastUpdate: Math.max(ours.LastUpdate ?? 0, theirs.LastUpdate ?? 0)
  }
}
