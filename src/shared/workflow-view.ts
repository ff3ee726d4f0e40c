/**
 * What the renderer receives for one stored workflow document: the document checked against the
 * schema (`stats2-doc-schema.ts`, applied in main), or, when it does not fit, a marker with the
 * reasons and the raw JSON, so that the row shows a warning instead of blanking the page.
 * No zod here: the renderer imports this file.
 */
import type { WorkflowDoc } from './stats2-doc'
import type { WorkflowSeries } from './rules/series'

/** A stored document that does not fit the schema: shown raw, with the reasons, never dropped. */
export interface InvalidWorkflow {
  invalid: true
  /** The document's `_id` (or RequestName) as printable text; `(no _id)` when it has none. */
  name: string
  /** `path: what is wrong`, at most a few. */
  issues: string[]
  /** The document as pretty JSON (lone surrogates escaped), cut at `RAW_JSON_LIMIT` characters. */
  raw: string
}

/**
 * A checked document: only the schema's keys (unknown keys are left out of the view, so a stored
 * `invalid` key can never pass for the marker), every value of the type `WorkflowDoc` names.
 */
export type ValidWorkflow = WorkflowDoc & { invalid?: never }

export type WorkflowView = ValidWorkflow | InvalidWorkflow

export const RAW_JSON_LIMIT = 100_000

export function isInvalidWorkflow(view: WorkflowView | WorkflowChartAnswer | undefined | null): view is InvalidWorkflow {
  return view !== undefined && view !== null && (view as { invalid?: unknown }).invalid === true
}

/** The name a view is listed and opened under. */
export function viewName(view: WorkflowView): string {
  return isInvalidWorkflow(view) ? view.name : (view.RequestName ?? view._id)
}

/**
 * What the detail panel draws first (`getWorkflowChart`): the checked document with only its newest
 * history entry (the summary), the length of the whole history, and the chart's series computed in
 * main over the whole history (ETA included) and decimated, so the panel never waits for a
 * multi-megabyte document before the chart is painted. The history table and the raw JSON load the
 * whole document when their tab opens.
 */
export interface WorkflowChartView {
  view: ValidWorkflow
  historyLength: number
  series: WorkflowSeries
}

export type WorkflowChartAnswer = WorkflowChartView | InvalidWorkflow
