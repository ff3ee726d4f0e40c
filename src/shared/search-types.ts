/** Search requests and answers, shared by the CLI, the IPC contract and the renderer. */
import type { WorkflowDoc } from './stats2-doc'

export const SEARCH_FIELDS = [
  'any', 'prepid', 'output_dataset', 'input_dataset', 'campaign', 'type', 'processing_string', 'request', 'workflow'
] as const
export type SearchField = (typeof SEARCH_FIELDS)[number]

export const SEARCH_FIELD_LABELS: Record<SearchField, string> = {
  any: 'anything',
  prepid: 'PrepID',
  output_dataset: 'output dataset',
  input_dataset: 'input dataset',
  campaign: 'campaign',
  type: 'request type',
  processing_string: 'processing string',
  request: 'task request',
  workflow: 'workflow name'
}

export interface SearchQuery {
  text: string
  field?: SearchField
  page?: number
  pageSize?: number
}

export interface SearchResult {
  text: string
  /** The field the text was resolved to ('any' for an empty search listing everything). */
  field: SearchField
  /** True when nothing matched exactly and these are prefix matches. */
  prefix: boolean
  page: number
  pageSize: number
  total: number
  workflows: WorkflowDoc[]
}

/** A status and when the workflow entered it (unix seconds). */
export interface WorkflowRowStatus {
  status: string
  time: number
}

/** One output dataset in a row: its numbers in the newest history entry. */
export interface WorkflowRowDataset {
  dataset: string
  /** DBS dataset Type in the newest entry; 'NONE' when it has none. */
  type: string
  events: number
  lumis: number
  size: number
  /** Done ÷ expected in percent (not capped); absent when nothing is expected. */
  percent?: number
  unit: 'events' | 'lumis'
}

/**
 * What a result row shows of one workflow, computed in the main process (src/shared/rules/workflow-row.ts)
 * instead of sending the whole document: a 2 000-row page is then about a kilobyte a row. The
 * detail panel fetches the whole document (`getWorkflow`).
 */
export interface WorkflowRow {
  name: string
  prepId?: string
  requestType?: string
  priority: number
  /** Expected events, or lumis for lumi-based workflows; total -1 when unknown. */
  expected: { unit: 'events' | 'lumis'; total: number }
  lastUpdate?: number
  /** The first status (RequestTransition), and the newest when there is more than one. */
  firstStatus?: WorkflowRowStatus
  lastStatus?: WorkflowRowStatus
  processingString?: string
  inputDataset?: string
  requests: string[]
  campaigns: string[]
  /** One per output dataset, in the document's order. */
  datasets: WorkflowRowDataset[]
  /** Number of stored history entries. */
  historyLength: number
  /** The stored document does not fit the Stats2 shape; `issues` says where. The row shows what could be read. */
  invalid?: true
  issues?: string[]
  /** For a document the contract's schema refuses: the document as pretty JSON (workflow-view.ts `raw`). */
  raw?: string
}

/** A page of search results as the dashboard lists it: rows, not documents. */
export interface SearchRowsResult extends Omit<SearchResult, 'workflows'> {
  rows: WorkflowRow[]
}
