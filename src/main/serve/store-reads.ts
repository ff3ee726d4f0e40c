/**
 * The reads the web service pages through, as the old service made them: one view key or `_all_docs`,
 * `limit=100&skip=page*100`, documents included. Built on CouchStore's `raw` (errors become
 * StoreError with the reason), so that couch-store.ts needs no change.
 */
import type { CouchStore } from '../store/couch-store'
import { DESIGN_DOC_ID, type ViewName } from '../store/design-docs'
import { REQUESTS_DB, type WorkflowDoc } from '../../shared/stats2-doc'

interface Row {
  id: string
  doc?: WorkflowDoc | null
}

/** One page of a view's rows with exactly `key`, with their documents (rows whose document vanished are dropped). */
export async function viewPage(store: CouchStore, view: ViewName, key: string, skip: number, limit: number): Promise<{ docs: WorkflowDoc[]; rows: number }> {
  const qs: Record<string, unknown> = { key, include_docs: true, limit }
  if (skip > 0) qs.skip = skip
  const answer = await store.raw<{ rows: Row[] }>(`query view ${view}`, {
    db: REQUESTS_DB, path: `${DESIGN_DOC_ID}/_view/${view}`, method: 'get', qs
  })
  return { docs: answer.rows.flatMap((row) => (row.doc ? [row.doc] : [])), rows: answer.rows.length }
}

/** True when the view has `key` (the search box's resolution). */
export async function viewHasKey(store: CouchStore, view: ViewName, key: string): Promise<boolean> {
  const answer = await store.raw<{ rows: Row[] }>(`query view ${view}`, {
    db: REQUESTS_DB, path: `${DESIGN_DOC_ID}/_view/${view}`, method: 'get', qs: { key, limit: 1 }
  })
  return answer.rows.length > 0
}

/** One page of `_all_docs` in id order; `rows` counts design documents too (they are in the page, as in CouchDB). */
export async function allDocsPage(store: CouchStore, skip: number, limit: number): Promise<{ docs: WorkflowDoc[]; rows: number }> {
  const qs: Record<string, unknown> = { include_docs: true, limit }
  if (skip > 0) qs.skip = skip
  const answer = await store.raw<{ rows: Row[] }>('list workflows', { db: REQUESTS_DB, path: '_all_docs', method: 'get', qs })
  const docs = answer.rows.filter((row) => !row.id.startsWith('_design/')).flatMap((row) => (row.doc ? [row.doc] : []))
  return { docs, rows: answer.rows.length }
}

/**
 * The `requests` database's `doc_count` (design documents included, as CouchDB counts): `_all_docs`'
 * `total_rows` is that number, and cheaper to ask than the database info (the embedded server walks
 * its folder for the disk size on every info call).
 */
export async function requestsDocCount(store: CouchStore): Promise<number> {
  const answer = await store.raw<{ total_rows: number }>('count the requests documents', { db: REQUESTS_DB, path: '_all_docs', method: 'get', qs: { limit: 0 } })
  return answer.total_rows
}
