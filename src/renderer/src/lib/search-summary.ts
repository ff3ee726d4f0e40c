/** How a search text was resolved, in words ("12 workflows with PrepID …"). Pure. */
import { SEARCH_FIELD_LABELS, type SearchField, type SearchResult } from '../../../shared/search-types'
import { groupDigits } from '../../../shared/rules/size'

const WITH: Record<Exclude<SearchField, 'any'>, string> = {
  prepid: 'with PrepID',
  output_dataset: 'with output dataset',
  input_dataset: 'with input dataset',
  campaign: 'in campaign',
  type: 'of request type',
  processing_string: 'with processing string',
  request: 'with task request',
  workflow: 'named'
}

export function workflowsWord(count: number): string {
  return `${groupDigits(count)} workflow${count === 1 ? '' : 's'}`
}

/** Why an empty result is empty: what the text was tried as. */
export function emptyExplanation(field: SearchField, queriedField: SearchField): string {
  if (queriedField === 'any') {
    return 'It was tried as a PrepID, output dataset, input dataset, campaign, request type, processing string, task request and workflow name, and as the start of a name, PrepID or dataset.'
  }
  const prefix = ['workflow', 'prepid', 'output_dataset', 'input_dataset'].includes(field) ? ', nor one starting with it' : ''
  return `No ${SEARCH_FIELD_LABELS[field]} is exactly this text${prefix}.`
}

export function describeResult(result: Pick<SearchResult, 'text' | 'field' | 'prefix' | 'total'>): string {
  const quoted = `“${result.text}”`
  if (result.text === '') return result.total === 0 ? 'The store holds no workflows yet.' : `All ${workflowsWord(result.total)} in the store`
  if (result.total === 0) {
    return result.field === 'any' || result.field === 'workflow'
      ? `No workflow matches ${quoted}`
      : `No workflow has ${SEARCH_FIELD_LABELS[result.field]} ${quoted}`
  }
  if (result.field === 'any') return `${workflowsWord(result.total)} match ${quoted}`
  if (result.prefix) return `${workflowsWord(result.total)} with ${SEARCH_FIELD_LABELS[result.field]} starting with ${quoted}`
  return `${workflowsWord(result.total)} ${WITH[result.field]} ${quoted}`
}
