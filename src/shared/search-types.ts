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
