/**
 * The few facts the overview needs of one stored workflow, read from its document (or from the
 * slim copy the store's facts view emits, which gives the same facts: src/main/overview/facts-view.ts).
 * Never throws: a document that does not fit the document schema (stats2-doc-schema.ts, the check
 * every view of the dashboard applies) gives `readable: false` with the schema's reasons, and is
 * counted as "not readable" rather than dropped.
 *
 * Definitions (docs/overview.md says them for operators):
 * - status: the Status of the last RequestTransition entry; `statusSince` its UpdateTime;
 * - the final dataset: the last output dataset in tier order (the summed chart's, series.ts);
 *   `events`: its Events in the newest history entry that has it; `expected`: TotalEvents when > 0;
 * - `slope`: events per second of the final dataset over the last two days of its history (the
 *   ETA window of series.ts), for the board's ETA; `eta`: the workflow's own ETA as its panel shows
 *   it for the final dataset (events, or lumis for lumi-based workflows);
 * - per output dataset, its Type now (in the newest entry that has it) and since when it has been
 *   VALID, or INVALID/DELETED (the first entry of the current run of that Type).
 */
import { toWorkflowView } from '../stats2-doc-schema'
import { isInvalidWorkflow, type ValidWorkflow } from '../workflow-view'
import { expectedTotal } from '../rules/completion'
import { etaFromTrend, trendSlope, type SeriesPoint } from '../rules/series'
import { BAD_DATASET_TYPES } from './lifecycle'

export interface Transition {
  status: string
  time: number
}

/** An output dataset that is INVALID or DELETED now, and since when. */
export interface BadOutput {
  dataset: string
  type: string
  since: number
}

/** The keys a selection may pick a workflow by without a view (what the store's views emit). */
export interface SelectorKeys {
  /** Distinct string entries of Campaigns, in document order. */
  campaigns: string[]
  prepId?: string
  requestType?: string
  processingString?: string
}

export interface ReadableFacts extends SelectorKeys {
  readable: true
  name: string
  /** RequestTransition in document order. */
  transitions: Transition[]
  priority: number
  /** TotalEvents when it is above 0, else 0 (unknown). */
  expected: number
  events: number
  /** Time of the final dataset's newest point; undefined without history. */
  finalTime?: number
  /** ≥ 0; 0 without a rising trend. */
  slope: number
  eta?: number
  /** Time of the newest history entry. */
  lastHistory?: number
  lastUpdate?: number
  bad: BadOutput[]
  /** Per output dataset (document order): since when it has been VALID; NaN when it is not VALID now. */
  validSince: number[]
}

export interface UnreadableFacts extends SelectorKeys {
  readable: false
  name: string
  issues: string[]
}

export type WorkflowFacts = ReadableFacts | UnreadableFacts

const has = Object.prototype.hasOwnProperty

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

/** What the views would find a document by, read from the raw document (any shape). */
export function selectorKeys(doc: unknown): SelectorKeys {
  const raw = record(doc) ?? {}
  const campaigns: string[] = []
  if (Array.isArray(raw.Campaigns)) for (const campaign of raw.Campaigns) if (typeof campaign === 'string' && campaign !== '' && !campaigns.includes(campaign)) campaigns.push(campaign)
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
  const keys: SelectorKeys = { campaigns }
  const prepId = text(raw.PrepID)
  const requestType = text(raw.RequestType)
  const processingString = text(raw.ProcessingString)
  if (prepId !== undefined) keys.prepId = prepId
  if (requestType !== undefined) keys.requestType = requestType
  if (processingString !== undefined) keys.processingString = processingString
  return keys
}

type DatasetClass = 'VALID' | 'BAD' | string

function classOf(type: string): DatasetClass {
  return type === 'VALID' ? 'VALID' : BAD_DATASET_TYPES.has(type) ? 'BAD' : `other:${type}`
}

function readableFacts(doc: ValidWorkflow, name: string): ReadableFacts {
  const keys = selectorKeys(doc)
  const transitions = doc.RequestTransition.map((t) => ({ status: t.Status, time: t.UpdateTime }))
  // Stable: entries of one Time keep their stored order, as the charts sort them.
  const history = [...doc.EventNumberHistory].sort((a, b) => a.Time - b.Time)
  const outputs = doc.OutputDatasets
  const final = outputs[outputs.length - 1]
  const { unit, total } = expectedTotal(doc)
  const events: SeriesPoint[] = []
  const inUnit: SeriesPoint[] = []
  const bad: BadOutput[] = []
  const validSince = outputs.map(() => Number.NaN)
  const done = new Map<string, { cls: DatasetClass; type: string; since: number }>()
  for (const [index, dataset] of outputs.entries()) {
    let state = done.get(dataset)
    if (!state) {
      let cls: DatasetClass | undefined
      let type = ''
      let since = Number.NaN
      for (const entry of history) {
        if (!has.call(entry.Datasets, dataset)) continue
        const stat = entry.Datasets[dataset]!
        const next = classOf(stat.Type)
        if (next !== cls) since = entry.Time
        cls = next
        type = stat.Type
        if (dataset === final) {
          events.push({ t: entry.Time, v: stat.Events, type: stat.Type })
          inUnit.push({ t: entry.Time, v: unit === 'lumis' ? (stat.Lumis ?? 0) : stat.Events, type: stat.Type })
        }
      }
      state = { cls: cls ?? '', type, since }
      done.set(dataset, state)
      if (state.cls === 'BAD') bad.push({ dataset, type: state.type, since: state.since })
    }
    if (state.cls === 'VALID') validSince[index] = state.since
  }
  const lastPoint = events[events.length - 1]
  const slope = trendSlope(events)
  const eta = etaFromTrend(inUnit, total > 0 ? total : undefined)
  const lastHistory = history.length > 0 ? history[history.length - 1]!.Time : undefined
  const facts: ReadableFacts = {
    readable: true,
    name,
    ...keys,
    transitions,
    priority: Number.isFinite(doc.RequestPriority) ? doc.RequestPriority : 0,
    expected: Number.isFinite(doc.TotalEvents) && doc.TotalEvents > 0 ? doc.TotalEvents : 0,
    events: lastPoint?.v ?? 0,
    slope: slope !== undefined && slope > 0 ? slope : 0,
    bad,
    validSince
  }
  if (lastPoint) facts.finalTime = lastPoint.t
  if (eta !== undefined) facts.eta = eta
  if (lastHistory !== undefined) facts.lastHistory = lastHistory
  if (doc.LastUpdate !== undefined) facts.lastUpdate = doc.LastUpdate
  return facts
}

/** The facts of the document stored under `name` (whole, or the facts view's slim copy). Never throws. */
export function factsOf(doc: unknown, name: string): WorkflowFacts {
  try {
    const view = toWorkflowView(doc)
    if (isInvalidWorkflow(view)) return { readable: false, name, issues: view.issues, ...selectorKeys(doc) }
    return readableFacts(view, name)
  } catch (error) {
    let keys: SelectorKeys = { campaigns: [] }
    try {
      keys = selectorKeys(doc)
    } catch {
      // a document whose fields cannot even be read: found by name only
    }
    return { readable: false, name, issues: [`could not be read: ${error instanceof Error ? error.message : String(error)}`], ...keys }
  }
}
