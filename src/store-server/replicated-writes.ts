/**
 * Replicated writes (`_bulk_docs` with `new_edits: false`) must keep each revision's ancestry
 * (`_revisions`), as CouchDB does: it is what lets a later revision of the same document, or a
 * local one, join the same revision tree instead of starting a second one.
 *
 * express-pouchdb validates every write with the databases' `validate_doc_update` functions
 * (pouchdb-validation), and that step replaces each document's `_revisions` with the stored
 * document's (`newDoc._revisions = oldDoc._revisions`): a replicated revision `2-b` of a document
 * the store does not have then arrives as a root, its ancestor `1-a` forgotten. Installed outside
 * express-pouchdb's wrappers, this keeps the `_revisions` a replicated document was sent with: the
 * validation functions still run (and see them, as CouchDB's do), and PouchDB builds the tree from
 * them.
 */

interface BulkDocsOwner {
  bulkDocs?: ((...args: unknown[]) => unknown) & { stats2KeepsRevisions?: boolean }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `_revisions` that reads as sent and ignores being overwritten. */
function pinRevisions(doc: Record<string, unknown>): void {
  const revisions = doc._revisions
  if (!isRecord(revisions)) return
  Object.defineProperty(doc, '_revisions', {
    get: () => revisions,
    set: () => undefined,
    enumerable: true,
    configurable: true
  })
}

export function keepReplicatedRevisions(db: BulkDocsOwner): void {
  const inner = db.bulkDocs
  if (typeof inner !== 'function' || inner.stats2KeepsRevisions) return
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const [request, options] = args
    const newEdits = isRecord(options) && 'new_edits' in options ? options.new_edits : isRecord(request) ? request.new_edits : undefined
    if (newEdits === false) {
      const docs = Array.isArray(request) ? request : isRecord(request) && Array.isArray(request.docs) ? request.docs : []
      for (const doc of docs) if (isRecord(doc)) pinRevisions(doc)
    }
    return inner.apply(this, args)
  } as NonNullable<BulkDocsOwner['bulkDocs']>
  wrapped.stats2KeepsRevisions = true
  db.bulkDocs = wrapped
}
