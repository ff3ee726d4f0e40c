/**
 * The query parameters shared by `/`, `/<page>`, `/api/fetch` and `/md` (stats2-web.md): at most one
 * selector, by precedence; pages of 100; date-time ordering for PrepID, dataset and request pages.
 */
import type { CouchStore } from '../store/couch-store'
import type { WorkflowDoc } from '../../shared/stats2-doc'
import type { SearchField } from '../../shared/search-types'
import { requestDateTime } from '../../shared/rules/request-name'
import { BadRequestError } from './errors'
import { allDocsPage, viewPage } from './store-reads'
import { PAGE_SIZE, RESOLUTION_ORDER, VIEW_OF } from '../search/search'

/** Beyond this a page number is a typo (10 million workflows); CouchDB would still walk the skip. */
export const MAX_PAGE = 100_000
/** Names, PrepIDs and datasets are far shorter; longer values are refused with a clear message. */
export const MAX_PARAM_LENGTH = 1000

/** The spec's selector precedence is the search box's resolution order; the same views answer. */
export const VIEW_SELECTORS = RESOLUTION_ORDER
export { VIEW_OF }
export type ViewSelector = (typeof VIEW_SELECTORS)[number]
export type SelectorName = 'workflow_name' | ViewSelector

/** Precedence of the selectors. */
export const SELECTORS: readonly SelectorName[] = ['workflow_name', ...VIEW_SELECTORS]

/** The dashboard's search field for each selector (its "open in the dashboard" link). */
export const FIELD_OF: Record<SelectorName, SearchField> = {
  workflow_name: 'workflow',
  prepid: 'prepid',
  output_dataset: 'output_dataset',
  input_dataset: 'input_dataset',
  campaign: 'campaign',
  type: 'type',
  processing_string: 'processing_string',
  request: 'request'
}

const DATE_ORDERED = new Set<SelectorName>(['prepid', 'output_dataset', 'input_dataset', 'request'])

export interface Selector {
  name: SelectorName
  value: string
}

/** Refuses what no Stats2 value can be: overlong values and control characters. */
export function checkParam(name: string, value: string): string {
  if (value.length > MAX_PARAM_LENGTH) {
    throw new BadRequestError(`Parameter "${name.slice(0, 40)}" is ${value.length} characters long; names, PrepIDs and datasets are under ${MAX_PARAM_LENGTH}.`)
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new BadRequestError(`Parameter "${name.slice(0, 40)}" contains control characters (line breaks?); give one value.`)
  return value
}

/** The selector in force (the first present, even when empty, as the old service did), or none. */
export function selectorOf(params: URLSearchParams): Selector | undefined {
  for (const [name, value] of params) checkParam(name, value)
  for (const name of SELECTORS) {
    const value = params.get(name)
    if (value !== null) return { name, value }
  }
  return undefined
}

/** `/<page>`: an integer; negative counts as 0. */
export function parsePage(text: string): number {
  if (!/^-?\d{1,12}$/.test(text)) throw new BadRequestError(`The page must be a whole number, got "${text.slice(0, 40)}".`)
  const page = Math.max(0, Number(text))
  if (page > MAX_PAGE) throw new BadRequestError(`Page ${page} is beyond the last possible page (${MAX_PAGE}).`)
  return page
}

/** Oldest first by the RequestName's date-time part; a stable sort keeps the view's order for ties, as the old service did. */
export function orderByRequestDate(docs: WorkflowDoc[]): WorkflowDoc[] {
  const key = (doc: WorkflowDoc): string => requestDateTime(doc.RequestName ?? doc._id)
  return [...docs].sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
}

export interface Page {
  docs: WorkflowDoc[]
  /** True when the store gave a full page (so there may be a next one). */
  full: boolean
}

/** One page of documents for the selector (design documents dropped). */
export async function readPage(store: CouchStore, selector: Selector | undefined, page: number): Promise<Page> {
  if (selector?.name === 'workflow_name') {
    // A direct read; design and other `_` documents are never workflows.
    const doc = selector.value === '' || selector.value.startsWith('_') ? undefined : await store.getWorkflow(selector.value)
    return { docs: doc ? [doc] : [], full: false }
  }
  const skip = page * PAGE_SIZE
  const { docs, rows } = selector
    ? await viewPage(store, VIEW_OF[selector.name], selector.value, skip, PAGE_SIZE)
    : await allDocsPage(store, skip, PAGE_SIZE)
  return { docs: selector && DATE_ORDERED.has(selector.name) ? orderByRequestDate(docs) : docs, full: rows >= PAGE_SIZE }
}

/**
 * Every page until one comes back empty or `maxPages` were read. With `workflow_name` the document
 * is given once (the old service repeated it on every page).
 */
export async function readPages(store: CouchStore, selector: Selector | undefined, maxPages: number): Promise<WorkflowDoc[]> {
  if (selector?.name === 'workflow_name') return (await readPage(store, selector, 0)).docs
  const docs: WorkflowDoc[] = []
  for (let page = 0; page < maxPages; page++) {
    const { docs: pageDocs, full } = await readPage(store, selector, page)
    docs.push(...pageDocs)
    // A short page is the last one: no need to ask for the empty one after it.
    if (!full) break
  }
  return docs
}
