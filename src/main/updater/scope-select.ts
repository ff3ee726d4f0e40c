/**
 * The names of the ReqMgr2 workflows in a sync scope, found without reading their documents:
 * - campaigns and exact PrepIDs through ReqMgr2's query API (`/reqmgr2/data/request?campaign=…
 *   &status=…&detail=false`: ReqMgr2 intersects the filters and answers names only);
 * - PrepID globs through the `byprepid` view of ReqMgr2's couchapp, read over the literal prefix
 *   and matched here (ReqMgr2's API takes exact PrepIDs only);
 * - the request-date window through the `bydate` view (ReqMgr2's own `date_range` parameter is
 *   looked up as a single view key and never matches a date), whose rows carry the status.
 * Explicit workflow names are added as they are. Documents are read afterwards, by the updater,
 * with the same bulk `_all_docs` reads as the changes feed's, and checked against the scope again.
 */
import type { CmswebServices } from '../cmsweb/services'
import { expandStatuses, globPrefix, isGlob, parseDay, ScopeMatcher, type SyncScope } from '../../shared/sync-scope'

function intersect(a: Set<string>, b: Set<string>): Set<string> {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  return new Set([...small].filter((name) => large.has(name)))
}

/** ReqMgr2's answer for a status list (an empty list means any status). */
function statusFilter(scope: SyncScope): string[] | undefined {
  return scope.statuses.length > 0 ? expandStatuses(scope.statuses) : undefined
}

export async function selectScopeNames(services: CmswebServices, scope: SyncScope): Promise<Set<string>> {
  const matcher = new ScopeMatcher(scope)
  const names = new Set(scope.workflows)
  if (!matcher.hasFilters) return names
  const status = statusFilter(scope)
  let selected: Set<string> | undefined

  if (matcher.hasSelectors) {
    selected = new Set()
    if (scope.campaigns.length > 0) {
      for (const name of await services.requestNames({ campaign: scope.campaigns, status })) selected.add(name)
    }
    const exact = scope.prepIds.filter((pattern) => !isGlob(pattern))
    if (exact.length > 0) {
      for (const name of await services.requestNames({ prep_id: exact, status })) selected.add(name)
    }
    const globbed = new Set<string>()
    for (const pattern of scope.prepIds.filter(isGlob)) {
      const prefix = globPrefix(pattern)
      const rows = await services.reqmgrView('byprepid', prefix ? { startkey: prefix, endkey: `${prefix}\ufff0` } : {})
      for (const row of rows) if (typeof row.key === 'string' && matcher.prepIdMatches(row.key)) globbed.add(row.id)
    }
    if (globbed.size > 0) {
      const kept = status ? intersect(globbed, new Set(await services.requestNames({ status }))) : globbed
      for (const name of kept) selected.add(name)
    }
  }

  if (scope.requestedFrom !== undefined || scope.requestedTo !== undefined) {
    const from = scope.requestedFrom ? parseDay(scope.requestedFrom) : undefined
    const to = scope.requestedTo ? parseDay(scope.requestedTo) : undefined
    const rows = await services.reqmgrView('bydate', {
      startkey: from ? [...from, 0] : undefined,
      endkey: to ? [...to, 23] : undefined
    })
    const dated = new Set<string>()
    for (const row of rows) {
      const value = row.value as { RequestStatus?: unknown } | null | undefined
      if (matcher.statusMatches(value?.RequestStatus)) dated.add(row.id)
    }
    selected = selected ? intersect(selected, dated) : dated
  } else if (!selected) {
    selected = new Set(await services.requestNames({ status }))
  }
  for (const name of selected) names.add(name)
  return names
}
