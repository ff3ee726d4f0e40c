/**
 * Where a ReqMgr2 status stands in a request's life, for the overview's rows and rules.
 *
 * The order is WMCore's own (dmwm/WMCore src/python/WMCore/ReqMgr/DataStructs/RequestStatus.py:
 * ACTIVE_STATUS, then the three final `*-archived` statuses; `REQUEST_STATUSES` of sync-scope.ts
 * holds it). A status WMCore does not list (a document from elsewhere) comes after them, by name;
 * a workflow without any RequestTransition is shown as NO_STATUS, last.
 */
import { REQUEST_STATUSES } from '../sync-scope'

export const NO_STATUS = '(no status)'

const ORDER = new Map<string, number>(REQUEST_STATUSES.map((status, index) => [status, index]))

/** Sorts statuses in life-cycle order (unknown ones after, by name; NO_STATUS last). */
export function byLifecycle(a: string, b: string): number {
  if (a === b) return 0
  if (a === NO_STATUS) return 1
  if (b === NO_STATUS) return -1
  const oa = ORDER.get(a)
  const ob = ORDER.get(b)
  if (oa !== undefined && ob !== undefined) return oa - ob
  if (oa !== undefined) return -1
  if (ob !== undefined) return 1
  return a < b ? -1 : 1
}

/** "Running" for the stall rule, as the watchlist's notifications define it (src/main/watchlist/detect.ts). */
export const RUNNING_STATUSES: ReadonlySet<string> = new Set(['running-open', 'running-closed'])

/**
 * Statuses in which a workflow may still produce events: the happy path before `force-complete` and
 * `completed` (RequestStatus.py's transitions). Only these count towards a board cell's remaining
 * events and ETA, and only these can be past their ETA.
 */
export const PRODUCING_STATUSES: ReadonlySet<string> = new Set([
  'new', 'assignment-approved', 'assigned', 'staging', 'staged', 'acquired', 'running-open', 'running-closed'
])

/**
 * Statuses with nothing left to happen but archiving: left out of the slow tail ("longest in their
 * current status"), where they would otherwise crowd out the workflows that are stuck.
 */
export const RESTING_STATUSES: ReadonlySet<string> = new Set([
  'announced', 'rejected', 'aborted-completed', 'normal-archived', 'aborted-archived', 'rejected-archived'
])

/** A workflow whose failure to produce an output is expected: an INVALID dataset is no news then. */
export const ABANDONED_STATUSES: ReadonlySet<string> = new Set([
  'rejected', 'rejected-archived', 'aborted', 'aborted-completed', 'aborted-archived'
])

/** Dataset Types that mean the output is gone (spec §4, DBS dataset_access_type). */
export const BAD_DATASET_TYPES: ReadonlySet<string> = new Set(['INVALID', 'DELETED'])

/** The key of a pair of consecutive statuses, as the JSON object names it (U+2192 between). */
export function pairKey(from: string, to: string): string {
  return `${from}\u2192${to}`
}

/** `[from, to]` of a pair key; undefined when it is not one. */
export function splitPair(key: string): [string, string] | undefined {
  const at = key.indexOf('\u2192')
  if (at <= 0 || at === key.length - 1) return undefined
  return [key.slice(0, at), key.slice(at + 1)]
}
