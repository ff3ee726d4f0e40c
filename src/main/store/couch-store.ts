/**
 * The Stats2 store: the `requests` and `settings` databases on any CouchDB (a real one through
 * DB_URL, or the embedded CouchDB-protocol server), spoken to over HTTP with nano.
 */
import nano from 'nano'
import { Agent } from 'undici'
import type { DatabaseConfig } from '../config/config'
import { createLogger } from '../log/logger'
import {
  REQUESTS_DB, SETTINGS_DB, SETTINGS_DOC_ID, type SettingsDoc, type WorkflowDoc
} from '../../shared/stats2-doc'
import {
  DESIGN_DOC_ID, VALIDATE_WRITE_ID, searchDesignDoc, validateWriteDesignDoc, VIEW_NAMES, type ViewName
} from './design-docs'
import { startEmbeddedCouch, type EmbeddedCouch } from './embedded-couch'
import { chunk } from '../util/pool'
import { canonicalJson } from '../util/canonical-json'

const log = createLogger('store')

export class StoreError extends Error {
  override name = 'StoreError'
  constructor(message: string, readonly status?: number, readonly couchError?: string) {
    super(message)
  }
}

export interface WriteResult {
  id: string
  ok: boolean
  rev?: string
  /** CouchDB's error name: 'conflict', 'forbidden', … */
  error?: string
  reason?: string
}

export interface ViewRow {
  id: string
  key: string
  value: string
  doc?: WorkflowDoc
}

export interface ViewQuery {
  key?: string
  startkey?: string
  endkey?: string
  limit?: number
  skip?: number
  includeDocs?: boolean
  descending?: boolean
}

export interface StoreInfo {
  url: string
  embedded: boolean
  workflows: number
  /** Bytes on disk and bytes of live data per database, when the server reports them. */
  /**
   * Per database: bytes of file and of live data when the server reports them (CouchDB 2+:
   * `sizes.file`/`sizes.active`; the embedded PouchDB server only has `disk_size`, without views).
   */
  databases: Record<string, { fileSize?: number; activeSize?: number; docCount: number; deletedCount: number }>
}

interface NanoError {
  statusCode?: number
  error?: string
  reason?: string
  message?: string
  description?: string
}

function describeCouchError(error: unknown, what: string, url: string): StoreError {
  const e = error as NanoError
  if (e && typeof e === 'object' && typeof e.statusCode === 'number') {
    if (e.statusCode === 401 || e.statusCode === 403) {
      const reason = e.reason ?? e.error ?? 'not allowed'
      return new StoreError(
        `CouchDB at ${url} refused to ${what}: ${reason}. Writes need an admin: set STATS_DB_AUTH_HEADER ("Basic <base64 user:password>").`,
        e.statusCode,
        e.error
      )
    }
    return new StoreError(`CouchDB at ${url} could not ${what}: ${e.statusCode} ${e.error ?? ''} ${e.reason ?? ''}`.trim(), e.statusCode, e.error)
  }
  const message = error instanceof Error ? error.message : String(error)
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return new StoreError(`Cannot reach CouchDB at ${url} to ${what} (${message}${cause})`)
}


export interface OpenStoreOptions {
  /** Embedded store only: keep the data in memory (demo mode, tests). */
  inMemory?: boolean
  /** Documents per bulk read/write. */
  batchSize?: number
}

export class CouchStore {
  private closed = false

  private constructor(
    /** The server's URL without credentials, for messages and the status line. */
    readonly url: string,
    private readonly server: nano.ServerScope,
    private readonly embedded: EmbeddedCouch | undefined,
    private readonly batchSize: number
  ) {}

  /** Embedded server when `cfg.url` is empty, else the CouchDB at `cfg.url`; schema created or brought up to date. */
  static async open(cfg: DatabaseConfig, options: OpenStoreOptions = {}): Promise<CouchStore> {
    const batchSize = options.batchSize ?? 500
    if (cfg.url) {
      const store = CouchStore.connect(cfg.url, cfg.authHeader, batchSize)
      await store.ensureSchema()
      return store
    }
    const embedded = await startEmbeddedCouch({ dataDir: cfg.dataDir, inMemory: options.inMemory ?? false })
    const store = new CouchStore(embedded.url, CouchStore.nanoFor(embedded.url, embedded.authHeader), embedded, batchSize)
    try {
      await store.ensureSchema()
    } catch (error) {
      await embedded.close()
      throw error
    }
    return store
  }

  /** A store on a running CouchDB, without touching its schema. */
  static connect(url: string, authHeader?: string, batchSize = 500): CouchStore {
    const parsed = new URL(url)
    let header = authHeader
    if (!header && parsed.username) {
      header = 'Basic ' + Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')
    }
    parsed.username = ''
    parsed.password = ''
    const plain = parsed.toString().replace(/\/+$/, '')
    return new CouchStore(plain, CouchStore.nanoFor(plain, header), undefined, batchSize)
  }

  private static nanoFor(url: string, authHeader?: string): nano.ServerScope {
    // No headers timeout: the first query of a view on a large store builds its index, which can
    // take many minutes (200 000 documents on the embedded server); fetch's default 300 s would abort it.
    const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000, connections: 32 })
    return nano({ url, headers: authHeader ? { Authorization: authHeader } : {}, agentOptions: agent as unknown as nano.Configuration['agentOptions'] })
  }

  get isEmbedded(): boolean {
    return this.embedded !== undefined
  }

  /** Credentials of the embedded server (the desktop's "share this store" hint); undefined on DB_URL. */
  get embeddedServer(): Pick<EmbeddedCouch, 'url' | 'authHeader' | 'dataDir'> | undefined {
    return this.embedded
  }

  private async request<T>(what: string, params: nano.RequestOptions): Promise<T> {
    try {
      return (await this.server.request(params)) as T
    } catch (error) {
      throw describeCouchError(error, what, this.url)
    }
  }

  /** Creates the databases and design documents, or brings them up to date; safe to run on every start. */
  async ensureSchema(): Promise<void> {
    for (const db of [REQUESTS_DB, SETTINGS_DB]) {
      try {
        await this.server.request({ db, method: 'put' })
        log.info(`created database ${db} on ${this.url}`)
      } catch (error) {
        // 412: it exists (perhaps created a moment ago by another process).
        const e = error as NanoError
        if (e?.statusCode !== 412) throw describeCouchError(error, `create database ${db}`, this.url)
      }
      await this.putDesignDoc(db, validateWriteDesignDoc())
    }
    await this.putDesignDoc(REQUESTS_DB, searchDesignDoc())
  }

  /**
   * Creates a design document, or adds what it lacks (a missing view, a missing validation).
   * Existing functions are left as they are, even when written differently: rewriting a view makes
   * CouchDB rebuild its index, hours on a production-sized database.
   */
  private async putDesignDoc(db: string, wanted: { _id: string } & Record<string, unknown>): Promise<void> {
    // Two processes starting at once (the app and a cron job on one DB_URL) race here: on a
    // conflict, read again and re-check.
    for (let attempt = 1; ; attempt++) {
      const existing = await this.getDoc<Record<string, unknown>>(db, wanted._id)
      let doc: Record<string, unknown>
      if (!existing) {
        doc = { ...wanted }
      } else {
        doc = { ...wanted, ...existing }
        if (wanted.views) {
          const existingViews = (existing.views as Record<string, { map?: unknown }> | undefined) ?? {}
          const views = { ...(wanted.views as Record<string, unknown>), ...existingViews }
          for (const [name, view] of Object.entries(existingViews)) {
            if (typeof view?.map !== 'string') views[name] = (wanted.views as Record<string, unknown>)[name] ?? view
          }
          doc.views = views
        }
        if (wanted.validate_doc_update && typeof existing.validate_doc_update !== 'string') doc.validate_doc_update = wanted.validate_doc_update
        if (canonicalJson(doc) === canonicalJson(existing)) return
      }
      try {
        await this.server.request({ db, doc: wanted._id, method: 'put', body: doc })
        log.info(`${existing ? 'completed' : 'created'} ${wanted._id} in ${db}`)
        return
      } catch (error) {
        if ((error as NanoError)?.statusCode === 409 && attempt < 5) continue
        throw describeCouchError(error, `write ${wanted._id} in ${db}`, this.url)
      }
    }
  }

  private async getDoc<T>(db: string, id: string): Promise<T | undefined> {
    try {
      return (await this.server.request({ db, doc: id, method: 'get' })) as T
    } catch (error) {
      if ((error as NanoError)?.statusCode === 404) return undefined
      throw describeCouchError(error, `read ${id} from ${db}`, this.url)
    }
  }

  async getWorkflow(name: string): Promise<WorkflowDoc | undefined> {
    return this.getDoc<WorkflowDoc>(REQUESTS_DB, name)
  }

  /** Bulk read (`POST _all_docs` with keys, include_docs); missing and deleted documents are absent. */
  async getWorkflows(names: readonly string[]): Promise<Map<string, WorkflowDoc>> {
    const found = new Map<string, WorkflowDoc>()
    for (const batch of chunk([...new Set(names)], this.batchSize)) {
      const answer = await this.request<{ rows: Array<{ key: string; doc?: WorkflowDoc | null; error?: string }> }>(
        `read ${batch.length} workflows`,
        { db: REQUESTS_DB, path: '_all_docs', method: 'post', qs: { include_docs: true }, body: { keys: batch } }
      )
      for (const row of answer.rows) if (row.doc) found.set(row.key, row.doc)
    }
    return found
  }

  /** Bulk write; each document's outcome is reported, conflicts included (the caller merges and retries). */
  async saveWorkflows(docs: readonly WorkflowDoc[]): Promise<WriteResult[]> {
    const results: WriteResult[] = []
    for (const batch of chunk(docs, this.batchSize)) {
      const answer = await this.request<WriteResult[]>(`write ${batch.length} workflows`, {
        db: REQUESTS_DB, path: '_bulk_docs', method: 'post', body: { docs: batch }
      })
      for (const row of answer) results.push({ ...row, ok: !row.error })
    }
    return results
  }

  async saveWorkflow(doc: WorkflowDoc): Promise<WriteResult> {
    const [result] = await this.saveWorkflows([doc])
    if (!result) throw new StoreError(`CouchDB at ${this.url} gave no answer for ${doc._id}`)
    return result
  }

  /** Deletes the named workflows (those that exist); returns the names deleted. */
  async deleteWorkflows(names: readonly string[]): Promise<string[]> {
    const deleted: string[] = []
    for (const batch of chunk([...new Set(names)], this.batchSize)) {
      const answer = await this.request<{ rows: Array<{ key: string; value?: { rev: string; deleted?: boolean } }> }>(
        `look up ${batch.length} workflows to delete`,
        { db: REQUESTS_DB, path: '_all_docs', method: 'post', body: { keys: batch } }
      )
      const tombstones = answer.rows
        .filter((row) => row.value && !row.value.deleted)
        .map((row) => ({ _id: row.key, _rev: row.value!.rev, _deleted: true }))
      if (tombstones.length === 0) continue
      const results = await this.request<WriteResult[]>(`delete ${tombstones.length} workflows`, {
        db: REQUESTS_DB, path: '_bulk_docs', method: 'post', body: { docs: tombstones }
      })
      for (const row of results) if (!row.error) deleted.push(row.id)
    }
    return deleted
  }

  async queryView(view: ViewName, query: ViewQuery = {}): Promise<{ rows: ViewRow[]; total: number }> {
    if (!VIEW_NAMES.includes(view)) throw new StoreError(`Unknown view ${view}`)
    const qs: Record<string, unknown> = {}
    if (query.key !== undefined) qs.key = query.key
    if (query.startkey !== undefined) qs.startkey = query.startkey
    if (query.endkey !== undefined) qs.endkey = query.endkey
    if (query.limit !== undefined) qs.limit = query.limit
    if (query.skip) qs.skip = query.skip
    if (query.includeDocs) qs.include_docs = true
    if (query.descending) qs.descending = true
    const answer = await this.request<{ rows: ViewRow[]; total_rows: number }>(`query view ${view}`, {
      db: REQUESTS_DB, path: `${DESIGN_DOC_ID}/_view/${view}`, method: 'get', qs
    })
    return { rows: answer.rows, total: answer.total_rows }
  }

  /** Names of the stored workflows whose `view` emits exactly `key`. */
  async namesByViewKey(view: ViewName, key: string): Promise<string[]> {
    const names = new Set<string>()
    const page = 5000
    for (let skip = 0; ; skip += page) {
      const { rows } = await this.queryView(view, { key, limit: page, skip })
      for (const row of rows) names.add(row.id)
      if (rows.length < page) break
    }
    return [...names]
  }

  /** Names of stored workflows that have any of these output datasets (one keys-query per batch). */
  async namesByOutputDatasets(datasets: readonly string[]): Promise<Set<string>> {
    const names = new Set<string>()
    for (const batch of chunk([...new Set(datasets)], this.batchSize)) {
      const answer = await this.request<{ rows: ViewRow[] }>(`find workflows of ${batch.length} datasets`, {
        db: REQUESTS_DB, path: `${DESIGN_DOC_ID}/_view/outputDatasets`, method: 'post', body: { keys: batch }
      })
      for (const row of answer.rows) names.add(row.id)
    }
    return names
  }

  /**
   * Workflow names in id order, for prefix search and paging: `_all_docs` without the design
   * documents, which collate in the middle of the names (`_` sorts between upper and lower case);
   * `skip` counts workflows only. (PouchDB reports no `offset`, so the design documents are counted
   * and filtered out rather than skipped by position.)
   */
  async listNames(options: { startkey?: string; endkey?: string; limit?: number; skip?: number } = {}): Promise<{ names: string[]; total: number }> {
    const design = await this.request<{ rows: unknown[]; total_rows: number }>('list design documents', {
      db: REQUESTS_DB, path: '_all_docs', method: 'get', qs: { startkey: '_design/', endkey: '_design0' }
    })
    const skip = options.skip ?? 0
    const qs: Record<string, unknown> = {}
    if (options.startkey !== undefined) qs.startkey = options.startkey
    if (options.endkey !== undefined) qs.endkey = options.endkey
    if (options.limit !== undefined) qs.limit = skip + options.limit + design.rows.length
    const answer = await this.request<{ rows: Array<{ id: string }> }>('list workflows', {
      db: REQUESTS_DB, path: '_all_docs', method: 'get', qs
    })
    const names = answer.rows.map((row) => row.id).filter((id) => !id.startsWith('_design/'))
    const page = names.slice(skip, options.limit === undefined ? undefined : skip + options.limit)
    return { names: page, total: design.total_rows - design.rows.length }
  }

  /** Every stored workflow, in pages, without design documents. */
  async *allWorkflows(pageSize = this.batchSize): AsyncGenerator<WorkflowDoc[]> {
    let startkey: string | undefined
    for (;;) {
      const qs: Record<string, unknown> = { include_docs: true, limit: pageSize + 1 }
      if (startkey !== undefined) qs.startkey = startkey
      const answer = await this.request<{ rows: Array<{ id: string; doc: WorkflowDoc }> }>('read all workflows', {
        db: REQUESTS_DB, path: '_all_docs', method: 'get', qs
      })
      const rows = answer.rows.slice(0, pageSize)
      const docs = rows.filter((row) => !row.id.startsWith('_design/')).map((row) => row.doc)
      if (docs.length > 0) yield docs
      if (answer.rows.length <= pageSize) return
      startkey = answer.rows[pageSize]!.id
    }
  }

  async countWorkflows(): Promise<number> {
    const answer = await this.request<{ rows: unknown[]; total_rows: number }>('count workflows', {
      db: REQUESTS_DB, path: '_all_docs', method: 'get', qs: { startkey: '_design/', endkey: '_design0', limit: 1000 }
    })
    return answer.total_rows - answer.rows.length
  }

  async getSettings(): Promise<SettingsDoc> {
    return (await this.getDoc<SettingsDoc>(SETTINGS_DB, SETTINGS_DOC_ID)) ?? { _id: SETTINGS_DOC_ID }
  }

  /**
   * Read-modify-write of `all_settings`; on a conflict (another updater wrote meanwhile) the change is
   * re-applied to the fresh document, so neither writer's intent is lost.
   */
  async updateSettings(change: (doc: SettingsDoc) => SettingsDoc | Promise<SettingsDoc>): Promise<SettingsDoc> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getSettings()
      const next = await change(structuredClone(current))
      if (JSON.stringify(next) === JSON.stringify(current)) return current
      try {
        const answer = await this.server.request({ db: SETTINGS_DB, doc: SETTINGS_DOC_ID, method: 'put', body: next })
        return { ...next, _rev: (answer as { rev: string }).rev }
      } catch (error) {
        if ((error as NanoError)?.statusCode === 409 && attempt < 20) continue
        throw describeCouchError(error, 'write the settings', this.url)
      }
    }
  }

  async info(): Promise<StoreInfo> {
    const databases: StoreInfo['databases'] = {}
    for (const db of [REQUESTS_DB, SETTINGS_DB]) {
      const answer = await this.request<{
        doc_count: number; doc_del_count: number; sizes?: { file?: number; active?: number }; disk_size?: number; data_size?: number
      }>(`read ${db} info`, { db, method: 'get' })
      databases[db] = {
        docCount: answer.doc_count,
        deletedCount: answer.doc_del_count,
        fileSize: answer.sizes?.file ?? answer.disk_size,
        activeSize: answer.sizes?.active ?? answer.data_size
      }
    }
    return { url: this.url, embedded: this.isEmbedded, workflows: await this.countWorkflows(), databases }
  }

  /** Raw access for the few calls that have no helper (compaction, view warming). */
  async raw<T>(what: string, params: nano.RequestOptions): Promise<T> {
    return this.request<T>(what, params)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.embedded?.close()
  }
}

export { VALIDATE_WRITE_ID }
