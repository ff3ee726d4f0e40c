/** The current search in the URL hash (`#q=…&field=…&page=…`), so Back/Forward and reload work. Pure. */
import { SEARCH_FIELDS, type SearchField } from '../../../shared/search-types'

export const DEFAULT_PAGE_SIZE = 100
export const PAGE_SIZES = [100, 250, 500, 1000, 2000] as const

export interface QueryState {
  text: string
  field: SearchField
  /** 0-based (the hash shows it 1-based). */
  page: number
  pageSize: number
}

export const EMPTY_QUERY: QueryState = { text: '', field: 'any', page: 0, pageSize: DEFAULT_PAGE_SIZE }

export function parseHash(hash: string): QueryState {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const field = params.get('field')
  const page = Number.parseInt(params.get('page') ?? '', 10)
  const size = Number.parseInt(params.get('size') ?? '', 10)
  return {
    text: (params.get('q') ?? '').slice(0, 5000),
    field: SEARCH_FIELDS.includes(field as SearchField) ? (field as SearchField) : 'any',
    page: Number.isFinite(page) && page >= 1 && page <= 100_000 ? page - 1 : 0,
    pageSize: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE
  }
}

export function formatHash(state: QueryState): string {
  const params = new URLSearchParams()
  params.set('q', state.text)
  params.set('field', state.field)
  params.set('page', String(state.page + 1))
  if (state.pageSize !== DEFAULT_PAGE_SIZE) params.set('size', String(state.pageSize))
  return `#${params.toString()}`
}

export function sameQuery(a: QueryState, b: QueryState): boolean {
  return a.text === b.text && a.field === b.field && a.page === b.page && a.pageSize === b.pageSize
}

/** The query that searches one attribute value (a clicked PrepID, dataset, campaign, …). */
export function attributeQuery(text: string, field: SearchField, pageSize = DEFAULT_PAGE_SIZE): QueryState {
  return { text, field, page: 0, pageSize }
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)))
}
