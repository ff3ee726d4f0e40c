/** The route labels of `stats2 serve`'s request metrics: a fixed set, whatever path is asked for. */

/** Routes as labelled (a fixed set: what `routeLabel` answers). */
export const ROUTE_LABELS = ['page', 'search', 'get_json', 'fetch', 'md', 'update', 'overview', 'healthz', 'metrics', 'openapi', 'dashboard', 'static', 'other'] as const
export type RouteLabel = (typeof ROUTE_LABELS)[number]

/** The route label of a path below the base path (`rest`: `/api/fetch`, `/12`, …). */
export function routeLabel(rest: string | undefined): RouteLabel {
  if (rest === undefined) return 'other'
  if (rest === '' || rest === '/' || /^\/-?\d+$/.test(rest)) return 'page'
  if (rest === '/search') return 'search'
  if (/^\/(?:api\/)?get_json\//.test(rest)) return 'get_json'
  if (rest === '/api/fetch') return 'fetch'
  if (rest === '/md') return 'md'
  if (rest === '/api/update') return 'update'
  if (rest === '/api/overview') return 'overview'
  if (rest === '/healthz') return 'healthz'
  if (rest === '/metrics') return 'metrics'
  if (rest === '/api/openapi.json') return 'openapi'
  if (rest === '/dashboard' || rest.startsWith('/dashboard/')) return 'dashboard'
  if (rest.startsWith('/static/')) return 'static'
  return 'other'
}
