/**
 * The query parameters shared by `/`, `/<page>`, `/api/fetch` and `/md` (stats2-web.md): at most one
 * selector, by precedence; pages of 100; date-time ordering for PrepID, dataset and request pages.
 */
import type { CouchStore } from '../store/couch-store'
import type { SearchField } from '../../shared/search-types'
import { requestDateTime } from '../../shared/rules/request-name'
import { BadRequestError } from './errors'
import { allDocsRows, viewRows, type IdRow } from './store-reads'
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

/**
 * Oldest first by the date-time part of the RequestName (the view's emitted value; the id when it
 * emitted none); a stable sort keeps the view's order for ties, as the old service did.
 */
export function orderByRequestDate(rows: readonly IdRow[]): IdRow[] {
  const key = (row: IdRow): string => requestDateTime(typeof row.value === 'string' ? row.value : row.id)
  return [...rows].sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
}

/** The ids of consecutive pages of a selection, each page in answer order (design documents dropped). */
export interface PagePlan {
  pages: string[][]
  /** True when the last page asked for was full (so there may be a next one), as the old page's Next. */
  lastFull: boolean
  /** True when the store holds rows beyond the pages asked for. */
  more: boolean
}

/**
 * The ids of pages `first`… (`count` of them) of the selection, read as one list of ids (no
 * documents): the slices of 100 are exactly the old service's pages. With `workflow_name` the one
 * name (once; its document may not exist).
 */
export async function planPages(store: CouchStore, selector: Selector | undefined, first: number, count: number, signal?: AbortSignal): Promise<PagePlan> {
  if (selector?.name === 'workflow_name') {
    // A direct read; design and other `_` documents are never workflows.
    const name = selector.value
    return { pages: name === '' || name.startsWith('_') || first > 0 ? [] : [[name]], lastFull: false, more: false }
  }
  const skip = first * PAGE_SIZE
  const wanted = count * PAGE_SIZE
  const rows = selector
    ? await viewRows(store, VIEW_OF[selector.name], selector.value, skip, wanted + 1, signal)
    : await allDocsRows(store, skip, wanted + 1, signal)
  const pages: string[][] = []
  let lastFull = false
  for (let start = 0; start < Math.min(rows.length, wanted); start += PAGE_SIZE) {
    const page = rows.slice(start, start + PAGE_SIZE)
    lastFull = page.length >= PAGE_SIZE
    const ordered = selector && DATE_ORDERED.has(selector.name) ? orderByRequestDate(page) : page
    pages.push(ordered.map((row) => row.id).filter((id) => !id.startsWith('_design/')))
  }
  return { pages, lastFull, more: rows.length > wanted }
}
