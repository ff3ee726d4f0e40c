/**
 * Which names CouchDB can hold as ordinary documents, and how an id becomes one URL path segment.
 *
 * CouchDB reserves ids that start with `_` (`_design/…`, `_local/…`, and endpoints such as
 * `_changes`, `_all_docs`); an empty id in `_bulk_docs` becomes a random UUID. A ReqMgr2 name of
 * that kind must fail on its own instead of making CouchDB reject a whole batch, and a name typed by
 * a user must never address anything but the document of that name.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Why `id` cannot be a workflow document, or undefined when it can. */
export function workflowIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'the workflow name is not a string'
  if (id.length === 0) return 'the workflow name is empty'
  if (id === '.' || id === '..') return `"${id}" cannot be addressed in a URL (ReqMgr2, McM and Stats2's own pages read workflows by name)`
  if (id.startsWith('_')) return `CouchDB reserves names starting with "_" (${id.slice(0, 40)}) for its own use`
  if (LONE_SURROGATE.test(id)) return 'the workflow name is not valid Unicode (a lone surrogate)'
  return undefined
}

export function isWorkflowId(id: unknown): id is string {
  return workflowIdProblem(id) === undefined
}

/** Ids of design documents: `_design/<name>` with a non-empty name. */
export function isDesignId(id: string): boolean {
  return id.startsWith('_design/') && id.length > '_design/'.length
}

export class UnaddressableIdError extends Error {
  override name = 'StoreError'
  readonly code = 'bad-id'
}

/**
 * `id` as exactly one path segment: every character but unreserved ASCII is percent-encoded, `/`
 * included. `.` and `..` stay dot segments whatever their encoding (URL parsers resolve `%2e` too),
 * so they cannot be addressed by path at all: callers read such ids through `_all_docs`.
 */
export function docPathSegment(id: string): string {
  if (id === '' || id === '.' || id === '..') throw new UnaddressableIdError(`The id "${id}" cannot be used in a URL path`)
  return encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * A design document id as a path: `_design/` stays literal (CouchDB's documented form), the name
 * is one encoded segment.
 */
export function designDocPath(id: string): string {
  if (!isDesignId(id)) throw new UnaddressableIdError(`${id} is not a design document id`)
  return `_design/${docPathSegment(id.slice('_design/'.length))}`
}
