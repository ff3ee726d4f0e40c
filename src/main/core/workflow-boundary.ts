/**
 * The contract boundary for stored documents: everything main hands the renderer about a workflow
 * goes through `toWorkflowView` first. A document that does not fit the schema arrives as
 * `{invalid: true, issues, raw}` (shown raw with a warning), never as values React cannot render.
 */
import { toWorkflowView } from '../../shared/stats2-doc-schema'
import { isInvalidWorkflow, type ValidWorkflow, type WorkflowChartAnswer, type WorkflowView } from '../../shared/workflow-view'
import { newestEntry } from '../../shared/rules/completion'
import { decimateSeries } from '../../shared/rules/decimate'
import { workflowSeries } from '../../shared/rules/series'
import { createLogger } from '../log/logger'

const log = createLogger('app')

/**
 * The newest history entry only, taken before the check so that a row costs the same whatever the
 * length of its history; an entry that is not an object is kept as it is, for the check to report.
 */
function withNewestEntry(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null) return doc
  const history = (doc as { EventNumberHistory?: unknown }).EventNumberHistory
  if (!Array.isArray(history) || history.length <= 1) return doc
  let newest: unknown = history[0]
  for (const entry of history) {
    if (typeof entry !== 'object' || entry === null) return doc
    const time = (entry as { Time?: unknown }).Time
    const best = (newest as { Time?: unknown }).Time
    if (typeof time === 'number' && (typeof best !== 'number' || time >= best)) newest = entry
  }
  return { ...doc, EventNumberHistory: [newest] }
}

/** A result-list entry: the checked document with only its newest history entry (what the bars show). */
export function listView(doc: unknown): WorkflowView {
  const view = toWorkflowView(withNewestEntry(doc))
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

/**
 * The detail panel's first paint: the whole document checked (as `detailView`), its series and ETAs
 * computed on the whole history, then decimated; the summary gets the newest entry only. An invalid
 * document gives the same marker as `detailView`.
 */
export function chartView(doc: unknown): WorkflowChartAnswer {
  const view = detailView(doc)
  if (isInvalidWorkflow(view)) return view
  const history = view.EventNumberHistory ?? []
  const newest = newestEntry(history)
  return {
    view: { ...view, EventNumberHistory: newest ? [newest] : [] },
    historyLength: history.length,
    series: decimateSeries(workflowSeries(view))
  }
}

/**
 * The documents the summed chart can count, and how many it cannot. The chart reads only a few
 * fields, over every history entry of up to 20 000 documents, so those fields are checked directly
 * (a full schema check of every history entry costs seconds); what it returns is numbers only.
 */
export function splitChartable(docs: readonly unknown[]): { usable: ValidWorkflow[]; unusable: number } {
  const usable: ValidWorkflow[] = []
  let unusable = 0
  for (const doc of docs) {
    if (chartable(doc)) usable.push(doc as ValidWorkflow)
    else unusable++
  }
  return { usable, unusable }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isTime = (value: unknown): boolean => typeof value === 'number' && value >= 0 && value <= 8.64e12

function chartable(doc: unknown): boolean {
  if (!isRecord(doc)) return false
  const outputs = doc.OutputDatasets ?? []
  const history = doc.EventNumberHistory ?? []
  if (!Array.isArray(outputs) || !outputs.every((item) => typeof item === 'string')) return false
  if (!Array.isArray(history) || !(typeof doc.TotalEvents === 'number' && Number.isFinite(doc.TotalEvents))) return false
  const final = outputs[outputs.length - 1] as string | undefined
  for (const entry of history) {
    if (!isRecord(entry) || !isTime(entry.Time) || !isRecord(entry.Datasets ?? {})) return false
    const stat = final === undefined ? undefined : (entry.Datasets as Record<string, unknown> | undefined)?.[final]
    if (stat === undefined) continue
    if (!isRecord(stat) || typeof stat.Type !== 'string' || !(typeof stat.Events === 'number' && Number.isFinite(stat.Events))) return false
  }
  return true
}
