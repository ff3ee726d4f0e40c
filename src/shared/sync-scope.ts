/**
 * The sync scope: which ReqMgr2 workflows an update-all follows. Pure rules, shared by the updater,
 * the configuration (environment, CLI flags, desktop Settings) and the watchlist.
 *
 * A workflow is in scope when it is named in `workflows`, or when it passes every filter given:
 * - its top-level `Campaign` is one of `campaigns`, or its PrepID (top level or of a task/step,
 *   as ReqMgr2's `byprepid` view emits them) matches one of `prepIds` (globs: `*` any text, `?` one
 *   character) — when neither list is given, every workflow passes this filter;
 * - its `RequestStatus` is one of `statuses` (a named set such as `ACTIVE` stands for its members);
 * - its `RequestDate` day lies in [`requestedFrom`, `requestedTo`] (inclusive, UTC `YYYY-MM-DD`).
 * Explicit workflow names are kept whatever their status or date (they are pinned on purpose).
 * A scope with nothing set is no scope: the full update-all.
 */

export interface SyncScope {
  campaigns: string[]
  /** Exact PrepIDs or globs (`HIG-*`, `*Run3Summer22*`). */
  prepIds: string[]
  /** Status names or named sets (see STATUS_SETS). */
  statuses: string[]
  /** First day of the request-date window, `YYYY-MM-DD` (UTC). */
  requestedFrom?: string
  /** Last day of the window, inclusive. */
  requestedTo?: string
  /** Explicit RequestNames (e.g. the desktop's pinned workflows). */
  workflows: string[]
}

/** Every status WMCore knows (RequestStatus.py), in life-cycle order. */
export const REQUEST_STATUSES = [
  'new', 'assignment-approved', 'assigned', 'staging', 'staged', 'acquired', 'running-open', 'running-closed',
  'failed', 'force-complete', 'completed', 'closed-out', 'announced', 'aborted', 'aborted-completed', 'rejected',
  'normal-archived', 'aborted-archived', 'rejected-archived'
] as const

/**
 * Named sets. `ACTIVE` is WMCore's ACTIVE_STATUS (every status but the three `*-archived`; ReqMgr2
 * accepts `status=ACTIVE` for it), `RUNNING` the statuses with jobs in the agents (WMSTATS_JOB_INFO).
 */
export const STATUS_SETS: Record<string, readonly string[]> = {
  ACTIVE: REQUEST_STATUSES.filter((status) => !status.endsWith('-archived')),
  RUNNING: ['running-open', 'running-closed', 'force-complete', 'completed', 'closed-out'],
  ARCHIVED: ['normal-archived', 'aborted-archived', 'rejected-archived']
}

export interface ScopeIssue {
  field: keyof SyncScope
  message: string
}

/** A scope that selects something (anything set); undefined means "no scope". */
export function isScoped(scope: SyncScope | undefined): scope is SyncScope {
  if (!scope) return false
  return scope.campaigns.length + scope.prepIds.length + scope.statuses.length + scope.workflows.length > 0 ||
    scope.requestedFrom !== undefined || scope.requestedTo !== undefined
}

function cleanList(values: readonly string[] | undefined): string[] {
  const out: string[] = []
  for (const value of values ?? []) {
    const trimmed = value.trim()
    if (trimmed && !out.includes(trimmed)) out.push(trimmed)
  }
  return out.sort()
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

export function parseDay(text: string): [number, number, number] | undefined {
  const match = DAY.exec(text)
  if (!match) return undefined
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined
  return [y, m, d]
}

/**
 * Checks and normalises a scope (trimmed, de-duplicated, sorted lists; statuses lower case, named sets
 * upper case). Problems come back as field issues, never as an exception.
 */
export function normaliseScope(input: Partial<SyncScope>): { ok: true; value: SyncScope } | { ok: false; issues: ScopeIssue[] } {
  const issues: ScopeIssue[] = []
  const statuses: string[] = []
  for (const raw of cleanList(input.statuses)) {
    const upper = raw.toUpperCase()
    const value = STATUS_SETS[upper] ? upper : raw.toLowerCase()
    if (!STATUS_SETS[value] && !(REQUEST_STATUSES as readonly string[]).includes(value)) {
      issues.push({ field: 'statuses', message: `unknown request status "${raw}" (known: ${Object.keys(STATUS_SETS).join(', ')}, ${REQUEST_STATUSES.join(', ')})` })
    } else if (!statuses.includes(value)) statuses.push(value)
  }
  const prepIds = cleanList(input.prepIds)
  for (const pattern of prepIds) {
    if (/^[*?]+$/.test(pattern)) issues.push({ field: 'prepIds', message: `"${pattern}" matches every PrepID; leave the PrepID patterns empty instead` })
  }
  const scope: SyncScope = {
    campaigns: cleanList(input.campaigns),
    prepIds,
    statuses: statuses.sort(),
    workflows: cleanList(input.workflows)
  }
  for (const field of ['requestedFrom', 'requestedTo'] as const) {
    const text = input[field]?.trim()
    if (!text) continue
    if (!parseDay(text)) issues.push({ field, message: `"${text}" is not a date YYYY-MM-DD` })
    else scope[field] = text
  }
  if (scope.requestedFrom && scope.requestedTo && scope.requestedFrom > scope.requestedTo) {
    issues.push({ field: 'requestedTo', message: `the window ends (${scope.requestedTo}) before it starts (${scope.requestedFrom})` })
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: scope }
}

/** Statuses with named sets expanded, sorted. */
export function expandStatuses(statuses: readonly string[]): string[] {
  const out = new Set<string>()
  for (const status of statuses) for (const member of STATUS_SETS[status] ?? [status]) out.add(member)
  return [...out].sort()
}

export function sameScope(a: SyncScope | undefined, b: SyncScope | undefined): boolean {
  return canonicalScope(a) === canonicalScope(b)
}

/** A stable text form (for comparing, storing and logging). */
export function canonicalScope(scope: SyncScope | undefined): string {
  if (!isScoped(scope)) return 'none'
  return JSON.stringify({
    campaigns: cleanList(scope.campaigns),
    prepIds: cleanList(scope.prepIds),
    statuses: expandStatuses(scope.statuses),
    requestedFrom: scope.requestedFrom ?? null,
    requestedTo: scope.requestedTo ?? null,
    workflows: cleanList(scope.workflows)
  })
}

export function describeScope(scope: SyncScope | undefined): string {
  if (!isScoped(scope)) return 'everything (no scope)'
  const parts: string[] = []
  if (scope.campaigns.length) parts.push(`campaigns ${scope.campaigns.join(', ')}`)
  if (scope.prepIds.length) parts.push(`PrepIDs ${scope.prepIds.join(', ')}`)
  if (scope.statuses.length) parts.push(`statuses ${scope.statuses.join(', ')}`)
  if (scope.requestedFrom || scope.requestedTo) parts.push(`requested ${scope.requestedFrom ?? '…'} to ${scope.requestedTo ?? '…'}`)
  if (scope.workflows.length) parts.push(`${scope.workflows.length} named workflow${scope.workflows.length === 1 ? '' : 's'}`)
  return parts.join('; ')
}

export function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern)
}

/** The literal text before a glob's first wildcard. */
export function globPrefix(pattern: string): string {
  const at = pattern.search(/[*?]/)
  return at < 0 ? pattern : pattern.slice(0, at)
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`)
}

// ---- the predicate over a ReqMgr2 request document --------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The PrepIDs ReqMgr2's `byprepid` view emits for a request: the top level, then each task/step. */
export function requestPrepIds(raw: Record<string, unknown>): string[] {
  const out: string[] = []
  if (typeof raw.PrepID === 'string' && raw.PrepID && raw.PrepID !== 'None') out.push(raw.PrepID)
  for (const chain of ['Task', 'Step'] as const) {
    const length = raw[`${chain}Chain`]
    if (typeof length !== 'number') continue
    for (let i = 1; i <= length; i++) {
      const task = raw[`${chain}${i}`]
      if (isRecord(task) && typeof task.PrepID === 'string' && task.PrepID) out.push(task.PrepID)
    }
  }
  return out
}

/** `[Y, M, D]` of the request's RequestDate, as the `bydate` view keys it; undefined when absent. */
export function requestDay(raw: Record<string, unknown>): [number, number, number] | undefined {
  const date = raw.RequestDate
  if (!Array.isArray(date) || date.length < 4) return undefined
  const [y, m, d] = date.slice(0, 3).map((part) => Number.parseInt(String(part), 10))
  if (!Number.isFinite(y) || !Number.isFinite(m) || !Number.isFinite(d)) return undefined
  return [y as number, m as number, d as number]
}

function compareDays(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0)
    if (diff !== 0) return diff
  }
  return 0
}

/** Compiled scope, for testing many documents. */
export class ScopeMatcher {
  private readonly names: Set<string>
  private readonly campaigns: Set<string>
  private readonly exactPrepIds: Set<string>
  private readonly prepIdGlobs: RegExp[]
  private readonly statuses: Set<string> | undefined
  private readonly from: [number, number, number] | undefined
  private readonly to: [number, number, number] | undefined
  readonly hasSelectors: boolean
  readonly hasFilters: boolean

  constructor(readonly scope: SyncScope) {
    this.names = new Set(scope.workflows)
    this.campaigns = new Set(scope.campaigns)
    this.exactPrepIds = new Set(scope.prepIds.filter((p) => !isGlob(p)))
    this.prepIdGlobs = scope.prepIds.filter(isGlob).map(globToRegExp)
    this.statuses = scope.statuses.length > 0 ? new Set(expandStatuses(scope.statuses)) : undefined
    this.from = scope.requestedFrom ? parseDay(scope.requestedFrom) : undefined
    this.to = scope.requestedTo ? parseDay(scope.requestedTo) : undefined
    this.hasSelectors = scope.campaigns.length + scope.prepIds.length > 0
    this.hasFilters = this.hasSelectors || this.statuses !== undefined || this.from !== undefined || this.to !== undefined
  }

  named(name: string): boolean {
    return this.names.has(name)
  }

  prepIdMatches(prepId: string): boolean {
    return this.exactPrepIds.has(prepId) || this.prepIdGlobs.some((glob) => glob.test(prepId))
  }

  statusMatches(status: unknown): boolean {
    return !this.statuses || (typeof status === 'string' && this.statuses.has(status))
  }

  dayMatches(day: readonly number[] | undefined): boolean {
    if (!this.from && !this.to) return true
    if (!day) return false
    if (this.from && compareDays(day, this.from) < 0) return false
    if (this.to && compareDays(day, this.to) > 0) return false
    return true
  }

  /** Whether the ReqMgr2 request document `raw` (named `name`) is in scope. */
  matches(name: string, raw: unknown): boolean {
    if (this.names.has(name)) return true
    if (!this.hasFilters || !isRecord(raw)) return false
    if (this.hasSelectors) {
      const campaign = typeof raw.Campaign === 'string' && this.campaigns.has(raw.Campaign)
      if (!campaign && !requestPrepIds(raw).some((prepId) => this.prepIdMatches(prepId))) return false
    }
    return this.statusMatches(raw.RequestStatus) && this.dayMatches(requestDay(raw))
  }
}

/** Items pinned elsewhere (the desktop's watchlist) that the scope must include. */
export interface PinnedItems {
  campaigns?: readonly string[]
  prepIds?: readonly string[]
  workflows?: readonly string[]
}

/**
 * The scope with pinned items added: pinned workflows are always in; pinned campaigns and PrepIDs
 * join the campaign/PrepID selectors (and so pass the same status and date filters). Without a
 * scope everything is followed already, so no scope stays no scope.
 */
export function withPinned(scope: SyncScope | undefined, pinned: PinnedItems): SyncScope | undefined {
  if (!isScoped(scope)) return undefined
  const merge = (a: readonly string[], b: readonly string[] | undefined): string[] => cleanList([...a, ...(b ?? [])])
  return {
    ...scope,
    campaigns: merge(scope.campaigns, pinned.campaigns),
    prepIds: merge(scope.prepIds, pinned.prepIds),
    workflows: merge(scope.workflows, pinned.workflows)
  }
}
