/**
 * `POST /{db}/_find`, run by the embedded server itself instead of pouchdb-find, which, without an
 * index, read every document of the database into memory at once (200 000 workflows: gigabytes)
 * and matched `$regex` with JavaScript's backtracking RegExp (one pattern could hold the process
 * for minutes). Here:
 *
 * - the selector is compiled first (mango.ts: RE2 for `$regex`); a bad one answers 400 before any read;
 * - documents are read in pages of FIND_PAGE from `_all_docs` (an `_id` condition narrows the
 *   range), design documents skipped, and matched page by page: the event loop answers other
 *   requests between pages;
 * - at most `limit` documents are kept (at most MAX_FIND_LIMIT: a larger limit is lowered, and the
 *   answer's `warning` says so); with `sort`, the best `skip + limit` (at most MAX_SORTED_WINDOW),
 *   documents lacking a sort field left out as an index would leave them;
 * - the whole `_find` has a deadline (the store's function deadline): past it, 500
 *   `{"error":"timeout"}` with how far it got.
 *
 * Indexes (`_index`, admin only) are not used: results are the same, only slower on a big store.
 */
import { collation } from './one-pass-index'
import { compileSelector, fieldPath, fieldValue, SelectorError } from './mango'

export const FIND_PAGE = 200
export const MAX_FIND_LIMIT = 1_000
export const MAX_SORTED_WINDOW = 10_000
export const NO_INDEX_WARNING = 'No matching index found, create an index to optimize query time.'

/** The members of a PouchDB database the scan reads. */
export interface FindDb {
  allDocs(options: Record<string, unknown>): Promise<{ rows: Array<{ id: string; doc?: Record<string, unknown> | null }> }>
}

export interface FindRequest {
  selector: unknown
  limit: number
  skip: number
  fields?: string[]
  sort?: unknown[]
  executionStats?: boolean
}

export interface FindAnswer {
  status: number
  body: Record<string, unknown>
  /** Documents matched and returned (for the bookmark). */
  returned?: number
}

type Doc = Record<string, unknown>

/** `sort`: field names or `{field: 'asc'|'desc'}`, all one direction (as CouchDB demands). */
function parseSort(sort: unknown[]): { paths: string[][]; descending: boolean } {
  const directions = new Set<string>()
  const paths = sort.map((entry) => {
    if (typeof entry === 'string') {
      directions.add('asc')
      return fieldPath(entry)
    }
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry) && Object.keys(entry).length === 1) {
      const [field, direction] = Object.entries(entry)[0]!
      if (direction === 'asc' || direction === 'desc') {
        directions.add(direction)
        return fieldPath(field)
      }
    }
    throw new SelectorError('invalid_sort_json', `Invalid sort entry ${JSON.stringify(entry)}: a field name or {"field": "asc"|"desc"}`)
  })
  if (directions.size > 1) throw new SelectorError('unsupported_mixed_sort', 'Sorts currently only support a single direction for all fields.')
  return { paths, descending: directions.has('desc') }
}

/** `_all_docs` bounds from a top-level `_id` condition (an equality, or a range). */
function idRange(selector: unknown): Record<string, unknown> {
  const id = (selector as Record<string, unknown>)._id
  if (typeof id === 'string') return { key: id }
  if (id === null || typeof id !== 'object' || Array.isArray(id)) return {}
  const cond = id as Record<string, unknown>
  const range: Record<string, unknown> = {}
  if (typeof cond.$eq === 'string') return { key: cond.$eq }
  for (const op of ['$gt', '$gte'] as const) if (typeof cond[op] === 'string') range.startkey = cond[op]
  for (const op of ['$lt', '$lte'] as const) if (typeof cond[op] === 'string') range.endkey = cond[op]
  if (typeof cond.$beginsWith === 'string') {
    range.startkey = cond.$beginsWith
    range.endkey = `${cond.$beginsWith}\uffff`
  }
  return range
}

function pick(doc: Doc, fields: string[] | undefined): Doc {
  if (!fields) return doc
  const out: Doc = {}
  for (const field of fields) {
    const path = fieldPath(field)
    const found = fieldValue(doc, path)
    if (!found.found) continue
    let target = out
    path.slice(0, -1).forEach((part) => {
      if (target[part] === null || typeof target[part] !== 'object') target[part] = {}
      target = target[part] as Doc
    })
    target[path[path.length - 1]!] = found.value
  }
  return out
}

export async function runFind(db: FindDb, request: FindRequest, deadlineMs: number): Promise<FindAnswer> {
  const started = Date.now()
  let matches: (doc: Doc) => boolean
  let sort: { paths: string[][]; descending: boolean } | undefined
  try {
    matches = compileSelector(request.selector)
    sort = request.sort && request.sort.length > 0 ? parseSort(request.sort) : undefined
  } catch (error) {
    if (error instanceof SelectorError) return { status: 400, body: { error: error.error, reason: error.message } }
    throw error
  }
  const warnings = [NO_INDEX_WARNING]
  let limit = request.limit
  if (limit > MAX_FIND_LIMIT) {
    warnings.push(`limit lowered to ${MAX_FIND_LIMIT}: the embedded store answers at most ${MAX_FIND_LIMIT} documents per _find (use the bookmark for more)`)
    limit = MAX_FIND_LIMIT
  }
  const window = request.skip + limit
  if (sort && window > MAX_SORTED_WINDOW) {
    return { status: 400, body: { error: 'bad_request', reason: `A sorted _find keeps skip + limit documents: at most ${MAX_SORTED_WINDOW} on the embedded store.` } }
  }

  const range = idRange(request.selector)
  let examined = 0
  let skipped = 0
  const kept: Doc[] = []
  /** Sorted window: [sort key values, doc], best first. */
  const best: Array<{ keys: unknown[]; doc: Doc }> = []
  const order = (a: unknown[], b: unknown[]): number => {
    for (let i = 0; i < a.length; i++) {
      const c = collation.collate(a[i], b[i])
      if (c !== 0) return sort!.descending ? -c : c
    }
    return 0
  }
  let startkey: string | undefined
  for (;;) {
    if (Date.now() - started > deadlineMs) {
      return {
        status: 500,
        body: {
          error: 'timeout',
          reason: `_find stopped at its deadline of ${deadlineMs} ms after examining ${examined} documents: narrow the selector with an _id condition, or lower skip.`
        }
      }
    }
    const options: Record<string, unknown> = { ...range, include_docs: true, limit: FIND_PAGE }
    if (startkey !== undefined) Object.assign(options, { startkey, skip: 1 })
    const { rows } = await db.allDocs(options)
    for (const row of rows) {
      const doc = row.doc
      if (!doc || row.id.startsWith('_design/')) continue
      examined++
      if (!matches(doc)) continue
      if (sort) {
        const keys = sort.paths.map((path) => fieldValue(doc, path))
        if (keys.some((key) => !key.found)) continue
        const entry = { keys: keys.map((key) => key.value), doc }
        // Binary insertion into the window; equal keys keep _id order (the scan's).
        let low = 0
        let high = best.length
        while (low < high) {
          const mid = (low + high) >>> 1
          if (order(best[mid]!.keys, entry.keys) <= 0) low = mid + 1
          else high = mid
        }
        if (low < window) {
          best.splice(low, 0, entry)
          if (best.length > window) best.pop()
        }
      } else if (skipped < request.skip) {
        skipped++
      } else {
        kept.push(doc)
      }
    }
    if (!sort && kept.length >= limit) break
    if (rows.length < FIND_PAGE || 'key' in range) break
    startkey = rows[rows.length - 1]!.id
  }
  const docs = (sort ? best.slice(request.skip, window).map((entry) => entry.doc) : kept.slice(0, limit)).map((doc) => pick(doc, request.fields))
  const body: Record<string, unknown> = { docs }
  body.warning = warnings.join('; ')
  if (request.executionStats) {
    body.execution_stats = {
      total_keys_examined: 0,
      total_docs_examined: examined,
      total_quorum_docs_examined: 0,
      results_returned: docs.length,
      execution_time_ms: Date.now() - started
    }
  }
  return { status: 200, body, returned: docs.length }
}
