/**
 * Backups of a Stats2 store: `stats2 dump --backup` writes both databases as newline-delimited
 * JSON, `stats2 load` writes such a file back. Streaming both ways: one page of documents in memory
 * at a time, whatever the size of the store.
 *
 * Format (one JSON value per line, UTF-8):
 *   {"stats2_backup":1,"databases":["requests","settings"]}
 *   {"db":"requests","doc":{…}}        every document of `requests` in id order, then of `settings`
 *   {"end":{"requests":N,"settings":M}}  counts; a file without this line is truncated
 *
 * Documents are written without `_rev` (a revision belongs to one server). Design documents are
 * included on purpose: other tools (pMp, McM) may have added their own views to the Stats2
 * databases, and a restore must bring them back; the standard ones equal what a fresh store
 * creates, so they load as "unchanged". `_local` documents (replication checkpoints) are not
 * part of a backup. Nothing in the file is tied to the time or server of the dump: dumping a
 * restored store gives the same bytes.
 *
 * Loading never deletes: a document missing from the store is written; one equal to the stored
 * one is left alone; one that differs is a conflict, left as stored unless `replace` is set.
 * `stats2 dump` output (a JSON array of workflows, one per line) loads too, into `requests`.
 */
import { createLogger } from '../log/logger'
import { REQUESTS_DB, SETTINGS_DB, SETTINGS_DOC_ID } from '../../shared/stats2-doc'
import { canonicalJson } from '../util/canonical-json'
import type { CouchStore } from './couch-store'
import { isDesignId, workflowIdProblem } from './doc-ids'
import { searchDesignDoc, validateWriteDesignDoc } from './design-docs'
import { overviewDesignDoc } from '../overview/facts-view'
import { settingsIssues } from '../../shared/settings-schema'

const log = createLogger('store')

export const BACKUP_VERSION = 1
export const BACKUP_DATABASES = [REQUESTS_DB, SETTINGS_DB] as const
export type BackupDatabase = (typeof BACKUP_DATABASES)[number]

type Doc = { _id: string } & Record<string, unknown>

/** The file is not a backup, or is damaged; says which line and why. */
export class BackupFormatError extends Error {
  override name = 'BackupFormatError'
  readonly code = 'invalid-backup'
  constructor(readonly line: number, problem: string) {
    super(line > 0 ? `line ${line}: ${problem}` : problem)
  }
}

function withoutRevision(doc: Doc): Doc {
  const { _rev: _revision, ...rest } = doc
  if ('_attachments' in rest) {
    log.warn(`${rest._id}: attachments are not part of a backup (Stats2 never writes any); left out`)
    delete rest._attachments
  }
  return rest as Doc
}

/**
 * Writes the backup of `store` through `write`, line by line; `write` may return a promise to
 * apply back-pressure (a slow pipe). Returns the number of documents per database.
 */
export async function writeBackup(store: CouchStore, write: (text: string) => void | Promise<void>): Promise<Record<BackupDatabase, number>> {
  const counts: Record<BackupDatabase, number> = { requests: 0, settings: 0 }
  await write(JSON.stringify({ stats2_backup: BACKUP_VERSION, databases: BACKUP_DATABASES }) + '\n')
  for (const db of BACKUP_DATABASES) {
    for await (const page of store.allDocuments(db)) {
      let text = ''
      for (const doc of page) {
        text += JSON.stringify({ db, doc: withoutRevision(doc) }) + '\n'
        counts[db]++
      }
      await write(text)
    }
  }
  await write(JSON.stringify({ end: counts }) + '\n')
  return counts
}

/**
 * The backup holds design documents other than Stats2's own: their functions would run inside the
 * store (a map that never returns, a validate function refusing every write). Lists them.
 */
export class ForeignDesignDocsError extends Error {
  override name = 'ForeignDesignDocsError'
  readonly code = 'foreign-design-docs'
  constructor(readonly docs: ReadonlyArray<{ db: BackupDatabase; id: string }>) {
    const list = docs.slice(0, 20).map(({ db, id }) => `${db}/${id}`).join(', ') + (docs.length > 20 ? ` and ${docs.length - 20} more` : '')
    super(
      `the backup holds design documents other than Stats2's own (their functions run inside the store): ${list}. ` +
        'Nothing was written. Load them with --allow-design-docs only if you trust the file.'
    )
  }
}

/** Stats2's own design documents, per database, as canonical JSON: only these load without being asked for. */
const OWN_DESIGN_DOCS: Record<BackupDatabase, Map<string, string>> = {
  // The overview's facts view (src/main/overview/facts-view.ts) too: a store it was used on backs it up.
  requests: new Map([searchDesignDoc(), validateWriteDesignDoc(), overviewDesignDoc()].map((doc) => [doc._id, canonicalJson(doc)])),
  settings: new Map([validateWriteDesignDoc()].map((doc) => [doc._id, canonicalJson(doc)]))
}

/**
 * A design document other than Stats2's own, by id *and* content: a backup's `_design/_designDoc`
 * with one more view is as foreign as any other (`--replace` would write it).
 */
export function isForeignDesignDoc(db: BackupDatabase, doc: Doc): boolean {
  if (!isDesignId(doc._id)) return false
  return OWN_DESIGN_DOCS[db].get(doc._id) !== canonicalJson(doc)
}

export interface LoadOptions {
  /** Write design documents other than Stats2's own too (refused by default: ForeignDesignDocsError). */
  allowDesignDocs?: boolean
  /** Overwrite stored documents that differ from the backup's. */
  replace?: boolean
  /** Only read and check the lines; write nothing. */
  dryRun?: boolean
  batchSize?: number
}

export interface LoadReport {
  format: 'backup' | 'dump'
  /** Documents read from the file, per database. */
  read: Record<BackupDatabase, number>
  written: number
  replaced: number
  unchanged: number
  /** Stored documents that differ from the backup's and were left as they are (no --replace). */
  conflicts: Array<{ db: BackupDatabase; id: string }>
  /** Documents the store refused, with its reason. */
  failed: Array<{ db: BackupDatabase; id: string; reason: string }>
  /** False when the file ended without its end line (a truncated backup): what was read is loaded. */
  complete: boolean
}

type Parsed = { kind: 'doc'; db: BackupDatabase; doc: Doc } | { kind: 'end'; counts: Record<string, unknown> } | { kind: 'skip' }

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function idProblem(db: BackupDatabase, id: unknown): string | undefined {
  if (typeof id === 'string' && isDesignId(id)) return undefined
  const problem = workflowIdProblem(id)
  return problem && `the document id cannot be stored in ${db}: ${problem.replace('the workflow name', 'the id')}`
}

/** Reads one line of either format. */
class LineReader {
  format: 'backup' | 'dump' | undefined
  ended = false
  private lineNumber = 0

  parse(raw: string): Parsed {
    this.lineNumber++
    const line = raw.trim()
    if (line === '') return { kind: 'skip' }
    if (this.ended) throw new BackupFormatError(this.lineNumber, 'text after the end of the backup')
    if (this.format === undefined) {
      if (line === '[' || line === '[]') {
        this.format = 'dump'
        if (line === '[]') this.ended = true
        return { kind: 'skip' }
      }
      const header = this.json(line)
      if (!isRecord(header) || header.stats2_backup === undefined) {
        throw new BackupFormatError(this.lineNumber, 'not a Stats2 backup (`stats2 dump --backup`) nor `stats2 dump` output')
      }
      if (header.stats2_backup !== BACKUP_VERSION) {
        throw new BackupFormatError(this.lineNumber, `backup format ${String(header.stats2_backup)} is not known to this version (it reads ${BACKUP_VERSION})`)
      }
      this.format = 'backup'
      return { kind: 'skip' }
    }
    if (this.format === 'dump') {
      if (line === ']') {
        this.ended = true
        return { kind: 'skip' }
      }
      const doc = this.json(line.endsWith(',') ? line.slice(0, -1) : line)
      return { kind: 'doc', db: REQUESTS_DB, doc: this.document(REQUESTS_DB, doc) }
    }
    const value = this.json(line)
    if (isRecord(value) && isRecord(value.end)) {
      this.ended = true
      return { kind: 'end', counts: value.end }
    }
    if (!isRecord(value) || !(BACKUP_DATABASES as readonly unknown[]).includes(value.db)) {
      throw new BackupFormatError(this.lineNumber, `expected {"db": "requests" or "settings", "doc": {…}}`)
    }
    const db = value.db as BackupDatabase
    return { kind: 'doc', db, doc: this.document(db, value.doc) }
  }

  private json(text: string): unknown {
    try {
      return JSON.parse(text)
    } catch {
      throw new BackupFormatError(this.lineNumber, 'not valid JSON (a damaged or truncated file?)')
    }
  }

  private document(db: BackupDatabase, value: unknown): Doc {
    if (!isRecord(value)) throw new BackupFormatError(this.lineNumber, 'the document is not a JSON object')
    const problem = idProblem(db, value._id)
    if (problem) throw new BackupFormatError(this.lineNumber, problem)
    const { _rev: _revision, ...doc } = value
    // The updater's checkpoint: a wrongly typed field would reach ReqMgr2 queries (`since=[object Object]`).
    if (db === SETTINGS_DB && doc._id === SETTINGS_DOC_ID) {
      const issues = settingsIssues(doc)
      if (issues.length > 0) throw new BackupFormatError(this.lineNumber, `${SETTINGS_DOC_ID} does not have the Stats2 shape: ${issues.join('; ')}`)
    }
    return doc as Doc
  }

  /** The last line read (for a message about the end of the file). */
  get lines(): number {
    return this.lineNumber
  }
}

/** What `checkBackup` found in a whole, valid file. */
export interface BackupCheck {
  format: 'backup' | 'dump'
  read: Record<BackupDatabase, number>
}

/**
 * Reads a whole backup (or `stats2 dump` output) and checks it without writing anything: every line
 * parses and has the right shape (ids a store can hold, `all_settings` with its fields' types), the
 * end line is there and its counts match, and (unless `allowDesignDocs`) it holds no design document
 * but Stats2's own. Throws BackupFormatError naming the line, or ForeignDesignDocsError listing them;
 * `stats2 load` runs it to the end before writing anything.
 */
export async function checkBackup(lines: AsyncIterable<string>, options: Pick<LoadOptions, 'allowDesignDocs'> = {}): Promise<BackupCheck> {
  const reader = new LineReader()
  const read: Record<BackupDatabase, number> = { requests: 0, settings: 0 }
  const foreign: Array<{ db: BackupDatabase; id: string }> = []
  for await (const raw of lines) {
    const parsed = reader.parse(raw)
    if (parsed.kind === 'doc') {
      read[parsed.db]++
      if (!options.allowDesignDocs && isForeignDesignDoc(parsed.db, parsed.doc)) foreign.push({ db: parsed.db, id: parsed.doc._id })
    } else if (parsed.kind === 'end') checkEndCounts(parsed.counts, read)
  }
  if (reader.format === undefined) throw new BackupFormatError(0, 'the file is empty')
  if (!reader.ended) {
    const end = reader.format === 'dump' ? 'the closing "]" of `stats2 dump` output' : 'the end line of a backup ({"end": …})'
    throw new BackupFormatError(reader.lines, `the file ends without ${end}: it may be truncated`)
  }
  if (foreign.length > 0) throw new ForeignDesignDocsError(foreign)
  return { format: reader.format, read }
}

function checkEndCounts(counts: Record<string, unknown>, read: Record<BackupDatabase, number>): void {
  for (const db of BACKUP_DATABASES) {
    if (counts[db] !== read[db]) {
      throw new BackupFormatError(0, `the end line counts ${String(counts[db])} documents of ${db}, the file holds ${read[db]}`)
    }
  }
}

/**
 * Loads a backup (or `stats2 dump` output) line by line into `store`. A line that is not valid
 * stops the load with BackupFormatError (what came before it is loaded: run `checkBackup` over the
 * whole file first, as `stats2 load` does). Never deletes anything. Design documents other than
 * Stats2's own stop it with ForeignDesignDocsError unless `allowDesignDocs`: a dry run lists all of
 * them at the end, a load stops before writing the batch that holds the first one.
 */
export async function loadBackup(store: CouchStore, lines: AsyncIterable<string>, options: LoadOptions = {}): Promise<LoadReport> {
  if (!options.dryRun) store.assertWritable('loading a backup')
  const batchSize = options.batchSize ?? 500
  const report: LoadReport = {
    format: 'backup', read: { requests: 0, settings: 0 }, written: 0, replaced: 0, unchanged: 0, conflicts: [], failed: [], complete: false
  }
  const reader = new LineReader()
  const foreign: Array<{ db: BackupDatabase; id: string }> = []
  let batch: Doc[] = []
  let batchDb: BackupDatabase = REQUESTS_DB
  const flush = async (): Promise<void> => {
    if (batch.length > 0 && !options.dryRun) await loadBatch(store, batchDb, batch, options.replace ?? false, report)
    batch = []
  }
  for await (const raw of lines) {
    const parsed = reader.parse(raw)
    if (parsed.kind === 'skip') continue
    if (parsed.kind === 'end') {
      checkEndCounts(parsed.counts, report.read)
      continue
    }
    if (!options.allowDesignDocs && isForeignDesignDoc(parsed.db, parsed.doc)) {
      foreign.push({ db: parsed.db, id: parsed.doc._id })
      if (!options.dryRun) throw new ForeignDesignDocsError(foreign)
    }
    if (parsed.db !== batchDb || batch.length >= batchSize) await flush()
    batchDb = parsed.db
    batch.push(parsed.doc)
    report.read[parsed.db]++
  }
  if (foreign.length > 0) throw new ForeignDesignDocsError(foreign)
  await flush()
  report.format = reader.format ?? 'backup'
  if (reader.format === undefined) throw new BackupFormatError(0, 'the file is empty')
  report.complete = reader.ended
  return report
}

async function loadBatch(store: CouchStore, db: BackupDatabase, docs: Doc[], replace: boolean, report: LoadReport): Promise<void> {
  // A later line for the same id wins, as it would when written one after the other.
  const byId = new Map(docs.map((doc) => [doc._id, doc]))
  const stored = await store.getDocuments(db, [...byId.keys()])
  const toWrite: Doc[] = []
  const replacing = new Set<string>()
  for (const [id, doc] of byId) {
    const current = stored.get(id)
    if (!current) {
      toWrite.push(doc)
      continue
    }
    const { _rev: revision, ...currentBody } = current
    if (canonicalJson(currentBody) === canonicalJson(doc)) {
      report.unchanged++
    } else if (replace) {
      toWrite.push({ ...doc, _rev: revision })
      replacing.add(id)
    } else {
      report.conflicts.push({ db, id })
    }
  }
  if (toWrite.length === 0) return
  for (const result of await store.bulkWrite(db, toWrite, `documents of ${db}`)) {
    if (result.ok) {
      if (replacing.has(result.id)) report.replaced++
      else report.written++
    } else if (result.error === 'conflict') {
      // Written by someone else between the read and the write.
      report.conflicts.push({ db, id: result.id })
    } else {
      report.failed.push({ db, id: result.id, reason: `${result.error ?? ''} ${result.reason ?? ''}`.trim() })
    }
  }
}
