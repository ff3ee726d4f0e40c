/**
 * The reads the web service pages through, as the old service made them (one view key or
 * `_all_docs`, pages of 100 from `skip=page*100`), split in two so that no answer holds more than a
 * few documents at a time: first the ids of the rows (and the RequestName each view emits, which
 * orders a page), then the documents, a few at a time. Built on CouchStore's `raw` (errors become
 * StoreError with the reason); every read takes the request's AbortSignal.
 */
import type { CouchStore } from '../store/couch-store'
import { DESIGN_DOC_ID, type ViewName } from '../store/design-docs'
import { REQUESTS_DB, type WorkflowDoc } from '../../shared/stats2-doc'

/** One row of a view or of `_all_docs`: the document id and what the view emitted (the RequestName). */
export interface IdRow {
  id: string
  value?: unknown
}

function idRows(answer: { rows?: unknown }): IdRow[] {
  const rows = Array.isArray(answer.rows) ? answer.rows : []
  return rows.filter((row): row is IdRow => typeof row === 'object' && row !== null && typeof (row as IdRow).id === 'string')
}

/** Rows `skip`… (at most `limit`) of a view's rows with exactly `key`, without their documents. */
export async function viewRows(store: CouchStore, view: ViewName, key: string, skip: number, limit: number, signal?: AbortSignal): Promise<IdRow[]> {
  const qs: Record<string, unknown> = { key, limit }
  if (skip > 0) qs.skip = skip
  const answer = await store.raw<{ rows?: unknown }>(`query view ${view}`, { db: REQUESTS_DB, path: `${DESIGN_DOC_ID}/_view/${view}`, method: 'get', qs }, signal)
  return idRows(answer)
}

/** Rows `skip`… (at most `limit`) of `_all_docs` in id order, design documents included (they count in a page, as in CouchDB). */
export async function allDocsRows(store: CouchStore, skip: number, limit: number, signal?: AbortSignal): Promise<IdRow[]> {
  const qs: Record<string, unknown> = { limit }
  if (skip > 0) qs.skip = skip
  return idRows(await store.raw<{ rows?: unknown }>('list workflows', { db: REQUESTS_DB, path: '_all_docs', method: 'get', qs }, signal))
}

/** Documents read per store call while an answer is written: a few, so that an answer never holds many. */
export const DOCUMENTS_PER_READ = 10

/**
 * The documents of `ids` in that order (an id listed twice gives its document twice, as a view row
 * per emitted key did), read a few at a time; a document deleted meanwhile is left out.
 */
export async function* documentsOf(store: CouchStore, ids: readonly string[], signal?: AbortSignal): AsyncGenerator<WorkflowDoc> {
  for (let start = 0; start < ids.length; start += DOCUMENTS_PER_READ) {
    signal?.throwIfAborted()
    const part = ids.slice(start, start + DOCUMENTS_PER_READ)
    const docs = await store.getWorkflows(part, signal)
    for (const id of part) {
      const doc = docs.get(id)
      if (doc !== undefined) yield doc
    }
  }
}

/** True when the view has `key` (the search box's resolution). */
export async function viewHasKey(store: CouchStore, view: ViewName, key: string, signal?: AbortSignal): Promise<boolean> {
  return (await viewRows(store, view, key, 0, 1, signal)).length > 0
}

/**
 * The `requests` database's `doc_count` (design documents included, as CouchDB counts): `_all_docs`'
 * `total_rows` is that number, and cheaper to ask than the database info (the embedded server walks
 * its folder for the disk size on every info call).
 */
export async function requestsDocCount(store: CouchStore, signal?: AbortSignal): Promise<number> {
  const answer = await store.raw<{ total_rows: number }>('count the requests documents', { db: REQUESTS_DB, path: '_all_docs', method: 'get', qs: { limit: 0 } }, signal)
  return answer.total_rows
}
