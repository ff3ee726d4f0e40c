/**
 * `GET <base>/api/overview?<selector>`: the operator overview of a selection as one JSON object
 * (src/shared/overview/types.ts `overviewJsonSchema`), the same object `stats2 overview --json`
 * prints. The selector is read as `api/fetch` reads it (query.ts: the old service's parameters, by
 * precedence), plus `search=TEXT` (the search box's reading), `scope` (the sync scope) and
 * `stall_hours=H`; any other parameter, an empty value or a repeated one is refused with 400 and
 * the reason. A few at a time per instance; repeated calls reuse the last answer while the store
 * is unchanged (src/main/overview/service.ts).
 */
import type { ServerResponse } from 'node:http'
import { OverviewError, type OverviewService } from '../overview/service'
import { SearchError } from '../search/search'
import type { OverviewSelection } from '../../shared/overview/selection'
import { MAX_STALL_HOURS, MIN_STALL_HOURS } from '../../shared/watchlist'
import { BadRequestError } from './errors'
import { checkParam, SELECTORS, selectorOf } from './query'

export const OVERVIEW_PARAMS: readonly string[] = [...SELECTORS, 'search', 'scope', 'stall_hours']

export interface OverviewQuery {
  selection: OverviewSelection
  stallHours?: number
}

/** The selection and options of an `api/overview` query; BadRequestError saying why when it has none. */
export function overviewQuery(params: URLSearchParams): OverviewQuery {
  const seen = new Set<string>()
  for (const [name, value] of params) {
    checkParam(name, value)
    if (!OVERVIEW_PARAMS.includes(name)) {
      throw new BadRequestError(`Unknown parameter "${name.slice(0, 40)}": api/overview takes one selector (${SELECTORS.join(', ')}), or search, or scope; and stall_hours.`)
    }
    if (seen.has(name)) throw new BadRequestError(`Parameter "${name}" is given more than once; give one value.`)
    seen.add(name)
  }
  const query: OverviewQuery = { selection: { kind: 'all' } }
  const stall = params.get('stall_hours')
  if (stall !== null) {
    const hours = Number(stall)
    if (!/^\d{1,4}$/.test(stall) || hours < MIN_STALL_HOURS || hours > MAX_STALL_HOURS) {
      throw new BadRequestError(`stall_hours must be a whole number of hours from ${MIN_STALL_HOURS} to ${MAX_STALL_HOURS}, got "${stall.slice(0, 20)}".`)
    }
    query.stallHours = hours
  }
  const selector = selectorOf(params)
  const search = params.get('search')
  if (selector) {
    if (selector.value.trim() === '') throw new BadRequestError(`Parameter "${selector.name}" is empty; give the ${selector.name.replace('_', ' ')} to look at.`)
    query.selection = { kind: 'field', field: selector.name, value: selector.value }
  } else if (search !== null) {
    if (search.trim() === '') throw new BadRequestError('Parameter "search" is empty; give the text the search box would take.')
    query.selection = { kind: 'search', text: search.trim() }
  } else if (params.has('scope')) {
    if (params.get('scope') !== '') throw new BadRequestError('Parameter "scope" takes no value: api/overview?scope')
    query.selection = { kind: 'scope' }
  }
  return query
}

/** Answers the route; the selection's own errors (a search text too long, …) are 400s. */
export async function answerOverview(res: ServerResponse, params: URLSearchParams, overview: OverviewService, send: (res: ServerResponse, status: number, body: string) => void): Promise<void> {
  const query = overviewQuery(params)
  try {
    const json = await overview.json(query.selection, query.stallHours !== undefined ? { stallHours: query.stallHours } : {})
    send(res, 200, JSON.stringify(json, null, 2) + '\n')
  } catch (error) {
    if (error instanceof OverviewError || error instanceof SearchError) throw new BadRequestError(error.message)
    throw error
  }
}
