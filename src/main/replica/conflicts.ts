/**
 * After a pull, a workflow updated here (the operator's one-click update, with their certificate)
 * and changed upstream too is a CouchDB conflict: a leaf revision only this replica has, beside
 * upstream's. It is resolved the way two updaters on one CouchDB already resolve a write conflict
 * (updater/merge.ts): the newer ReqMgr2 fields, the union of both histories. The merged document is
 * written on top of upstream's revision and the local-only leaves are deleted, in one `_bulk_docs`,
 * so the document goes on along upstream's branch; when upstream's revision already holds
 * everything (the merge equals it), only the local leaves are deleted.
 *
 * Conflicts upstream has itself (several upstream leaves) are replicated as they are and left to
 * the shared Stats2: the replica mirrors it.
 *
 * A workflow deleted upstream is deleted here too, even if it was updated here: ReqMgr2 deleted it,
 * and the shared Stats2 (the reference this replica follows) no longer has it.
 */
import type { CouchStore } from '../store/couch-store'
import { REQUESTS_DB, type WorkflowDoc } from '../../shared/stats2-doc'
import { mergeWorkflowDocs } from '../updater/merge'
import { canonicalJson } from '../util/canonical-json'
import { chunk } from '../util/pool'

type StoredDoc = WorkflowDoc & { _conflicts?: string[]; _deleted?: boolean }

export interface ResolveOutcome {
  /** Workflows whose local leaves were merged into upstream's revision. */
  merged: string[]
  /** Workflows deleted here because the source deleted them. */
  deleted: string[]
  /** Workflows whose resolution was refused (written meanwhile): tried again later. */
  failed: string[]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function withoutRev(doc: Record<string, unknown>): string {
  const { _rev: _r, _conflicts: _c, _revisions: _v, ...rest } = doc
  return canonicalJson(rest)
}

/** CouchDB's winner among live leaves: the longest branch, then the greatest revision id. */
function revOrder(a: string, b: string): number {
  const [pa, ia] = [Number.parseInt(a, 10), a.slice(a.indexOf('-') + 1)]
  const [pb, ib] = [Number.parseInt(b, 10), b.slice(b.indexOf('-') + 1)]
  return pa !== pb ? pa - pb : ia < ib ? -1 : ia > ib ? 1 : 0
}

/** The current documents of these ids with their conflicting leaves' revisions (`conflicts=true`). */
async function currentWithConflicts(store: CouchStore, ids: readonly string[]): Promise<Map<string, StoredDoc>> {
  const found = new Map<string, StoredDoc>()
  for (const batch of chunk([...new Set(ids)], 200)) {
    const answer = await store.raw<{ rows: Array<{ key: string; doc?: unknown }> }>(`read ${batch.length} replicated documents`, {
      db: REQUESTS_DB, path: '_all_docs', method: 'post', qs: { include_docs: true, conflicts: true }, body: { keys: batch }
    })
    for (const row of answer.rows ?? []) if (isRecord(row.doc) && row.doc._id === row.key) found.set(row.key, row.doc as unknown as StoredDoc)
  }
  return found
}

/** These revisions from the replica itself (live ones). */
async function localRevisions(store: CouchStore, refs: ReadonlyArray<{ id: string; rev: string }>): Promise<Map<string, WorkflowDoc>> {
  const docs = new Map<string, WorkflowDoc>()
  for (const batch of chunk(refs, 100)) {
    const answer = await store.raw<{ results?: Array<{ docs?: Array<{ ok?: unknown }> }> }>(`read ${batch.length} conflicting revisions`, {
      db: REQUESTS_DB, path: '_bulk_get', method: 'post', body: { docs: batch }
    })
    for (const result of answer.results ?? []) {
      for (const entry of result.docs ?? []) if (isRecord(entry.ok) && !entry.ok._deleted) docs.set(`${String(entry.ok._id)}\u0000${String(entry.ok._rev)}`, entry.ok as unknown as WorkflowDoc)
    }
  }
  return docs
}

async function writeAll(store: CouchStore, docs: Array<Record<string, unknown>>): Promise<Set<string>> {
  const failed = new Set<string>()
  if (docs.length === 0) return failed
  const results = await store.raw<Array<{ id: string; error?: string }>>(`resolve ${docs.length} revisions`, {
    db: REQUESTS_DB, path: '_bulk_docs', method: 'post', body: { docs }
  })
  // A 409 here means the workflow was written meanwhile (a local update): the pull keeps its id
  // and tries again.
  for (const row of Array.isArray(results) ? results : []) if (row.error) failed.add(row.id)
  return failed
}

/**
 * Resolves the workflows of `candidates` (id → upstream's leaf revisions) that hold local-only
 * leaves, and deletes here the live leaves of `deletedUpstream`. Safe to run again on the same ids
 * (a pull resumed from its checkpoint does).
 */
export async function resolveAfterPull(
  store: CouchStore,
  candidates: ReadonlyMap<string, ReadonlySet<string>>,
  deletedUpstream: ReadonlySet<string>
): Promise<ResolveOutcome> {
  const outcome: ResolveOutcome = { merged: [], deleted: [], failed: [] }
  if (candidates.size === 0 && deletedUpstream.size === 0) return outcome
  const current = await currentWithConflicts(store, [...new Set([...candidates.keys(), ...deletedUpstream])])
  const writes: Array<Record<string, unknown>> = []
  const plans: Array<{ id: string; base: string; localOnly: string[] }> = []
  for (const [id, doc] of current) {
    const leaves = [doc._rev as string, ...(doc._conflicts ?? [])]
    if (deletedUpstream.has(id)) {
      for (const rev of leaves) writes.push({ _id: id, _rev: rev, _deleted: true })
      outcome.deleted.push(id)
      continue
    }
    const upstream = candidates.get(id)
    if (!upstream || leaves.length < 2) continue
    const localOnly = leaves.filter((rev) => !upstream.has(rev))
    const upstreamLive = leaves.filter((rev) => upstream.has(rev)).sort(revOrder)
    const base = upstreamLive[upstreamLive.length - 1]
    if (localOnly.length === 0 || base === undefined) continue
    plans.push({ id, base, localOnly })
  }
  const revisions = await localRevisions(store, plans.flatMap(({ id, base, localOnly }) => [base, ...localOnly].map((rev) => ({ id, rev }))))
  for (const { id, base, localOnly } of plans) {
    const baseDoc = revisions.get(`${id}\u0000${base}`)
    if (!baseDoc) continue
    let merged = baseDoc
    for (const rev of localOnly) {
      const leaf = revisions.get(`${id}\u0000${rev}`)
      if (leaf) merged = mergeWorkflowDocs(leaf, merged)
    }
    if (withoutRev(merged as unknown as Record<string, unknown>) !== withoutRev(baseDoc as unknown as Record<string, unknown>)) writes.push({ ...merged, _rev: base })
    for (const rev of localOnly) writes.push({ _id: id, _rev: rev, _deleted: true })
    outcome.merged.push(id)
  }
  const failed = await writeAll(store, writes)
  outcome.failed = [...failed]
  outcome.merged = outcome.merged.filter((id) => !failed.has(id))
  outcome.deleted = outcome.deleted.filter((id) => !failed.has(id))
  return outcome
}
