/**
 * Which workflows an overview covers: the whole store, one attribute value (the old service's
 * selectors, as `api/fetch` takes them), the search box's reading of a text, the sync scope, or the
 * watchlist. Shared by the IPC contract (zod), the CLI, the route and the renderer's address.
 */
import { z } from 'zod'
import { SEARCH_FIELD_LABELS } from '../search-types'

/** The old Stats2 service's selectors (stats2-web.md), in its order of precedence. */
export const OVERVIEW_FIELDS = [
  'workflow_name', 'prepid', 'output_dataset', 'input_dataset', 'campaign', 'type', 'processing_string', 'request'
] as const
export type OverviewField = (typeof OVERVIEW_FIELDS)[number]

/** The search box's name of each selector's attribute. */
export const OVERVIEW_FIELD_LABELS = Object.fromEntries(
  OVERVIEW_FIELDS.map((field) => [field, SEARCH_FIELD_LABELS[field === 'workflow_name' ? 'workflow' : field]])
) as Record<OverviewField, string>

export type OverviewSelection =
  | { kind: 'all' }
  | { kind: 'field'; field: OverviewField; value: string }
  | { kind: 'search'; text: string }
  | { kind: 'scope' }
  | { kind: 'watchlist' }

/** A selector value: one name, PrepID or dataset, printable, bounded. */
export const selectorValue = z
  .string()
  .min(1, 'a value is needed')
  .max(1000, 'names, PrepIDs and datasets are under 1000 characters')
  // eslint-disable-next-line no-control-regex
  .refine((text) => !/[\u0000-\u001f\u007f]/.test(text), 'the value contains line breaks or control characters')

export const overviewSelectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('field'), field: z.enum(OVERVIEW_FIELDS), value: selectorValue }).strict(),
  z.object({ kind: z.literal('search'), text: selectorValue.max(500, 'search for one value at a time (under 500 characters)') }).strict(),
  z.object({ kind: z.literal('scope') }).strict(),
  z.object({ kind: z.literal('watchlist') }).strict()
])

export function selectionLabel(selection: OverviewSelection): string {
  switch (selection.kind) {
    case 'all':
      return 'every stored workflow'
    case 'field':
      return `${OVERVIEW_FIELD_LABELS[selection.field]} ${selection.value}`
    case 'search':
      return `the search “${selection.text}”`
    case 'scope':
      return 'the sync scope'
    case 'watchlist':
      return 'the watchlist'
  }
}

/** A stable text key (caches, tests). */
export function selectionKey(selection: OverviewSelection): string {
  switch (selection.kind) {
    case 'field':
      return `field:${selection.field}:${selection.value}`
    case 'search':
      return `search:${selection.text}`
    default:
      return selection.kind
  }
}

/**
 * The parameters of a selection in an address (`campaign=X`, `search=TEXT`, `scope`, `watchlist`;
 * nothing for the whole store), and back. Unknown parameters are left to the caller.
 */
export function selectionParams(selection: OverviewSelection): URLSearchParams {
  const params = new URLSearchParams()
  if (selection.kind === 'field') params.set(selection.field, selection.value)
  else if (selection.kind === 'search') params.set('search', selection.text)
  else if (selection.kind === 'scope' || selection.kind === 'watchlist') params.set(selection.kind, '')
  return params
}

/** The selection an address's parameters name (the first selector by precedence); the whole store when none. */
export function selectionFromParams(params: URLSearchParams): OverviewSelection {
  for (const field of OVERVIEW_FIELDS) {
    const value = params.get(field)
    if (value !== null && value !== '') return { kind: 'field', field, value: value.slice(0, 1000) }
  }
  const text = params.get('search')
  if (text !== null && text.trim() !== '') return { kind: 'search', text: text.slice(0, 500) }
  if (params.has('scope')) return { kind: 'scope' }
  if (params.has('watchlist')) return { kind: 'watchlist' }
  return { kind: 'all' }
}
