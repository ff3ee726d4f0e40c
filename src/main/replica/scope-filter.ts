/**
 * The sync scope (shared/sync-scope.ts) applied to Stats2 documents, for a replica: a Mango selector
 * the source evaluates on its `_changes` feed (`filter=_selector`), and the exact test the pull
 * applies to what arrives.
 *
 * The scope is defined on ReqMgr2's request documents; a Stats2 document holds the same facts in
 * its own fields, so on a replica:
 * - a campaign matches one of `Campaigns` (what the `campaigns` view, and a campaign search, use);
 * - a PrepID (exact or glob) matches `PrepID` or one of the task PrepIDs in `Requests`;
 * - the status is the last entry of `RequestTransition`;
 * - the request date is the day (UTC) of the first `new` transition: a Stats2 document keeps no
 *   `RequestDate`, and ReqMgr2 records both when the request is made;
 * - named workflows are `_id`s.
 *
 * The selector uses only operators CouchDB 3 documents (`$or`, `$and`, `$nor`, `$in`,
 * `$elemMatch`, `$regex`, `$gte`, `$lt`). It cannot say "the last element of an array", so for
 * statuses it selects a superset — some transition in the wanted statuses, and none in an archived
 * status that is not wanted (WMCore's `*-archived` statuses are final) — and `inScope` decides
 * exactly.
 * Tombstones have no fields: `{"_deleted": true}` lets them through (CouchDB matches the selector
 * against the winning revision, which for a deleted document is `{_id, _rev, _deleted: true}`).
 */
import type { WorkflowDoc } from '../../shared/stats2-doc'
import { expandStatuses, globToRegExp, isGlob, isScoped, parseDay, ScopeMatcher, STATUS_SETS, type SyncScope } from '../../shared/sync-scope'

const DAY_SECONDS = 86_400
const ARCHIVED: readonly string[] = STATUS_SETS.ARCHIVED ?? []

function dayStart(day: string): number | undefined {
  const parsed = parseDay(day)
  return parsed ? Date.UTC(parsed[0], parsed[1] - 1, parsed[2]) / 1000 : undefined
}

/** An anchored regular expression for a PrepID glob (RE2 and PCRE read it alike). */
export function prepIdPattern(glob: string): string {
  return globToRegExp(glob).source
}

type Selector = Record<string, unknown>

/** The selector of a scope; undefined without a scope (everything is pulled). */
export function scopeSelector(scope: SyncScope | undefined): Selector | undefined {
  if (!isScoped(scope)) return undefined
  const filters: Selector[] = []
  const selectors: Selector[] = []
  if (scope.campaigns.length > 0) selectors.push({ Campaigns: { $elemMatch: { $in: scope.campaigns } } })
  const exact = scope.prepIds.filter((p) => !isGlob(p))
  if (exact.length > 0) {
    selectors.push({ PrepID: { $in: exact } })
    selectors.push({ Requests: { $elemMatch: { $in: exact } } })
  }
  for (const glob of scope.prepIds.filter(isGlob)) {
    selectors.push({ PrepID: { $regex: prepIdPattern(glob) } })
    selectors.push({ Requests: { $elemMatch: { $regex: prepIdPattern(glob) } } })
  }
  if (selectors.length > 0) filters.push(selectors.length === 1 ? (selectors[0] as Selector) : { $or: selectors })
  if (scope.statuses.length > 0) {
    const statuses = expandStatuses(scope.statuses)
    filters.push({ RequestTransition: { $elemMatch: { Status: { $in: statuses } } } })
    const finalOutside = ARCHIVED.filter((status) => !statuses.includes(status))
    if (finalOutside.length > 0) filters.push({ $nor: [{ RequestTransition: { $elemMatch: { Status: { $in: finalOutside } } } }] })
  }
  const from = scope.requestedFrom ? dayStart(scope.requestedFrom) : undefined
  const to = scope.requestedTo ? dayStart(scope.requestedTo) : undefined
  if (from !== undefined || to !== undefined) {
    const time: Selector = {}
    if (from !== undefined) time.$gte = from
    if (to !== undefined) time.$lt = to + DAY_SECONDS
    filters.push({ RequestTransition: { $elemMatch: { Status: 'new', UpdateTime: time } } })
  }
  const alternatives: Selector[] = [{ _deleted: true }]
  if (scope.workflows.length > 0) alternatives.push({ _id: { $in: scope.workflows } })
  if (filters.length > 0) alternatives.push(filters.length === 1 ? (filters[0] as Selector) : { $and: filters })
  return { $or: alternatives }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** The current status: the last transition's. */
export function currentStatus(doc: Pick<WorkflowDoc, 'RequestTransition'>): string | undefined {
  const transitions = Array.isArray(doc.RequestTransition) ? doc.RequestTransition : []
  const last: unknown = transitions[transitions.length - 1]
  return isRecord(last) && typeof last.Status === 'string' ? last.Status : undefined
}

/** Unix seconds of the first `new` transition. */
function requestedAt(doc: Pick<WorkflowDoc, 'RequestTransition'>): number | undefined {
  const transitions: unknown[] = Array.isArray(doc.RequestTransition) ? doc.RequestTransition : []
  for (const entry of transitions) {
    if (isRecord(entry) && entry.Status === 'new' && typeof entry.UpdateTime === 'number') return entry.UpdateTime
  }
  return undefined
}

/**
 * The exact test, made once per pull: is this stored Stats2 document in the scope? (No scope: every
 * document is.) The scope's PrepID patterns and statuses are compiled by ScopeMatcher, as for
 * ReqMgr2's documents; the request-date window is read from the first `new` transition, since a
 * Stats2 document has no RequestDate.
 */
export function scopeTest(scope: SyncScope | undefined): (doc: WorkflowDoc) => boolean {
  if (!isScoped(scope)) return () => true
  const matcher = new ScopeMatcher(scope)
  const from = scope.requestedFrom ? dayStart(scope.requestedFrom) : undefined
  const to = scope.requestedTo ? dayStart(scope.requestedTo) : undefined
  return (doc) => {
    if (matcher.named(doc._id)) return true
    if (!matcher.hasFilters) return false
    if (matcher.hasSelectors) {
      const campaign = strings(doc.Campaigns).some((c) => scope.campaigns.includes(c))
      const prepIds = [...(typeof doc.PrepID === 'string' ? [doc.PrepID] : []), ...strings(doc.Requests)]
      if (!campaign && !prepIds.some((id) => matcher.prepIdMatches(id))) return false
    }
    if (!matcher.statusMatches(currentStatus(doc))) return false
    if (from !== undefined || to !== undefined) {
      const at = requestedAt(doc)
      if (at === undefined) return false
      if (from !== undefined && at < from) return false
      if (to !== undefined && at >= to + DAY_SECONDS) return false
    }
    return true
  }
}

/** `scopeTest(scope)(doc)`, for one document. */
export function inScope(scope: SyncScope | undefined, doc: WorkflowDoc): boolean {
  return scopeTest(scope)(doc)
}
