/**
 * A pull replication of the shared Stats2's `requests` database into the local (embedded) store,
 * by CouchDB's replication protocol, driven from here over HTTP:
 *
 *   1. the source is checked (a CouchDB, the credentials, the database exists);
 *   2. the checkpoint is read from the replica (`_local/stats2-replica-<id>`: the id hashes the
 *      source and the selector, so another scope starts its own checkpoint);
 *   3. a page of `_changes` since the checkpoint (`style=all_docs`, `filter=_selector` with the
 *      scope's selector), `_revs_diff` on the replica, `_bulk_get?revs=true` of the missing
 *      revisions from the source, `_bulk_docs` with `new_edits: false` into the replica (the
 *      revisions keep their ids and ancestry: nothing is doubled when a page is pulled again);
 *   4. conflicts with local updates are merged and upstream deletions applied (conflicts.ts);
 *   5. the checkpoint moves to the page's `last_seq`; then the next page, and in continuous mode a
 *      longpoll for the next change.
 *
 * Killed at any point, a pull starts again from its last checkpoint: pages after it are read again,
 * `_revs_diff` leaves out what already arrived, and the merge is idempotent. The source is never
 * written to. Design documents are not pulled (the replica keeps its own, identical views), nor
 * are tombstones of workflows the replica never had.
 */
import { createHash } from 'node:crypto'
import type { CouchStore } from '../store/couch-store'
import { REQUESTS_DB, SETTINGS_DB, SETTINGS_DOC_ID, type WorkflowDoc } from '../../shared/stats2-doc'
import { canonicalScope, describeScope, isScoped, type SyncScope } from '../../shared/sync-scope'
import { canonicalJson } from '../util/canonical-json'
import { chunk, mapPool } from '../util/pool'
import { createLogger } from '../log/logger'
import { ReplicaSourceError, type ChangeRow, type ChangesAnswer, type RevisionDoc, type SourceCouch } from './source'
import { scopeSelector, scopeTest } from './scope-filter'
import { resolveAfterPull } from './conflicts'
import { writeReplicaMarker } from './marker'

const log = createLogger('replica')

/** `_bulk_get` calls in flight at once. */
const FETCHES_AT_ONCE = 4

/** Bumped when what a checkpoint means changes: older checkpoints are then not trusted. */
const PROTOCOL_VERSION = 1

export type ReplicaPhase = 'connecting' | 'pulling' | 'waiting' | 'retrying' | 'done'

export interface ReplicaProgress {
  phase: ReplicaPhase
  source: string
  /** The checkpoint: the source's last sequence whose changes are all in the replica. */
  seq: unknown
  /** Changes the source says are left after this page, when it says. */
  pending?: number
  /** Change rows read, documents transferred (revisions fetched from the source), written. */
  changes: number
  fetched: number
  written: number
  /** Documents that arrived but are outside the scope (their previous state, if any, is kept). */
  skipped: number
  deleted: number
  merged: number
  /** Documents transferred per second since the start of this pull. */
  rate: number
  startedAt: number
  /** The retry in progress, or why the pull stopped. */
  message?: string
}

export interface PullSummary extends ReplicaProgress {
  replicationId: string
  finishedAt: number
  cancelled: boolean
  /** Whether the pull started from a checkpoint (a resumed or incremental pull). */
  resumed: boolean
}

export interface PullOptions {
  source: SourceCouch
  target: CouchStore
  scope?: SyncScope
  /** Keep following the source's changes until `signal` aborts. */
  continuous?: boolean
  /** Change rows per page (default 500). */
  pageSize?: number
  /** Documents per `_bulk_get` (default 100; halved when an answer is over the size limit). */
  fetchBatch?: number
  /** How long one longpoll waits in continuous mode (default 60 s). */
  longpollMs?: number
  /** Continuous mode: pause after a failed attempt that exhausted the retries (default 30 s). */
  reconnectMs?: number
  signal?: AbortSignal
  onProgress?: (progress: ReplicaProgress) => void
  /** Unix seconds; injectable for tests. */
  now?: () => number
}

interface Checkpoint {
  _id: string
  _rev?: string
  source: string
  selector: Record<string, unknown> | null
  last_seq: unknown
  version: number
  updated: number
  /** Workflows whose conflict could not be resolved yet (a local write came in between), with upstream's leaves. */
  unresolved?: Record<string, string[]>
}

export class ReplicaTargetError extends Error {
  override name = 'ReplicaTargetError'
}

/** The replication's id: the same source and selector always resume the same checkpoint. */
export function replicationId(sourceUrl: string, scope: SyncScope | undefined): string {
  const selector = scopeSelector(scope) ?? null
  return createHash('sha256').update(canonicalJson({ v: PROTOCOL_VERSION, source: sourceUrl, db: REQUESTS_DB, selector })).digest('hex').slice(0, 32)
}

const checkpointId = (id: string): string => `_local/stats2-replica-${id}`

async function readCheckpoint(target: CouchStore, id: string): Promise<Checkpoint | undefined> {
  try {
    const doc = await target.raw<Checkpoint>('read the replication checkpoint', { db: REQUESTS_DB, path: checkpointId(id), method: 'get' })
    return doc.version === PROTOCOL_VERSION ? doc : undefined
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined
    throw error
  }
}

async function writeCheckpoint(target: CouchStore, checkpoint: Checkpoint): Promise<Checkpoint> {
  const answer = await target.raw<{ rev: string }>('write the replication checkpoint', {
    db: REQUESTS_DB, path: checkpoint._id, method: 'put', body: checkpoint
  })
  return { ...checkpoint, _rev: answer.rev }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

const isAbort = (error: unknown, signal?: AbortSignal): boolean => Boolean(signal?.aborted) || (error instanceof Error && error.name === 'AbortError')

export async function pullReplica(options: PullOptions): Promise<PullSummary> {
  return new Pull(options).run()
}

class Pull {
  private readonly scope: SyncScope | undefined
  private readonly inScope: (doc: WorkflowDoc) => boolean
  private readonly selector: Record<string, unknown> | undefined
  private readonly id: string
  private readonly now: () => number
  private fetchBatch: number
  private readonly progress: ReplicaProgress
  private checkpoint: Checkpoint | undefined
  /** Workflows whose conflict a resolution could not finish, with upstream's leaves (kept in the checkpoint, retried). */
  private unresolved = new Map<string, string[]>()
  /** True until the first page of a pull that resumed from a checkpoint has been applied. */
  private resumedPage = false

  constructor(private readonly options: PullOptions) {
    this.scope = isScoped(options.scope) ? options.scope : undefined
    this.selector = scopeSelector(this.scope)
    this.inScope = scopeTest(this.scope)
    this.id = replicationId(options.source.url, this.scope)
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000))
    this.fetchBatch = options.fetchBatch ?? 100
    this.progress = {
      phase: 'connecting', source: options.source.url, seq: 0,
      changes: 0, fetched: 0, written: 0, skipped: 0, deleted: 0, merged: 0, rate: 0, startedAt: Date.now()
    }
  }

  private report(change: Partial<ReplicaProgress>): void {
    Object.assign(this.progress, change)
    const seconds = (Date.now() - this.progress.startedAt) / 1000
    this.progress.rate = seconds > 0 ? Math.round((this.progress.fetched / seconds) * 10) / 10 : 0
    this.options.onProgress?.({ ...this.progress })
  }

  async run(): Promise<PullSummary> {
    const { source, target, signal } = this.options
    target.assertWritable('replicating into this store')
    let cancelled = false
    let resumed = false
    try {
      this.report({ phase: 'connecting' })
      await source.checkServer(signal)
      await source.database(REQUESTS_DB, signal)
      this.checkpoint = await readCheckpoint(target, this.id)
      resumed = this.checkpoint !== undefined
      this.resumedPage = resumed
      this.unresolved = new Map(Object.entries(this.checkpoint?.unresolved ?? {}))
      const since = this.checkpoint?.last_seq ?? 0
      this.report({ seq: since })
      log.info(`pulling ${REQUESTS_DB} from ${source.url} (${describeScope(this.scope)}) ${resumed ? `from checkpoint ${String(since)}` : 'from the start'}`)
      // Marked before the first document lands, so an update-all asks even during the first pull.
      await writeReplicaMarker(target, { source: source.url, scope: this.scope ?? null })
      await this.loop(since)
    } catch (error) {
      if (!isAbort(error, signal)) {
        this.report({ phase: 'done', message: (error as Error).message })
        throw error
      }
      cancelled = true
      log.warn(`pull stopped; the next one resumes from checkpoint ${String(this.progress.seq)}`)
    }
    this.report({ phase: 'done' })
    return { ...this.progress, replicationId: this.id, finishedAt: Date.now(), cancelled, resumed }
  }

  private async loop(start: unknown): Promise<void> {
    const { source, signal, continuous } = this.options
    const pageSize = this.options.pageSize ?? 500
    let since = start
    let caughtUp = false
    const read = (from: unknown, wait: boolean): Promise<ChangesAnswer> =>
      source.changes(REQUESTS_DB, {
        since: from, limit: pageSize, ...(this.selector ? { selector: this.selector } : {}), ...(wait ? { longpollMs: this.options.longpollMs ?? 60_000 } : {})
      }, signal)
    // The next page is read while the current one is applied (the source is usually far away).
    let next: Promise<ChangesAnswer> | undefined
    for (;;) {
      signal?.throwIfAborted()
      const wait = continuous === true && caughtUp
      this.report({ phase: wait ? 'waiting' : 'pulling', message: undefined })
      let page: ChangesAnswer
      try {
        page = await (next ?? read(since, wait))
      } catch (error) {
        next = undefined
        if (!continuous || !(error instanceof ReplicaSourceError) || !error.transient || signal?.aborted) throw error
        // Continuous: an outage is waited out (each attempt already retried with backoff).
        const pause = this.options.reconnectMs ?? 30_000
        this.report({ phase: 'retrying', message: `${error.message}; trying again in ${Math.round(pause / 1000)} s` })
        await sleep(pause, signal)
        continue
      }
      next = undefined
      const full = page.results.length >= pageSize && (page.pending ?? 1) > 0
      if (full) {
        next = read(page.last_seq ?? since, false)
        next.catch(() => undefined) // awaited (and its failure handled) on the next turn
      }
      await this.apply(page.results)
      since = page.last_seq ?? since
      await this.saveCheckpoint(since)
      this.report({ seq: since, ...(page.pending !== undefined ? { pending: page.pending } : {}), changes: this.progress.changes + page.results.length })
      if (!full && !caughtUp) {
        caughtUp = true
        await this.caughtUp()
        if (!continuous) return
      }
    }
  }

  /** One page of changes: transfer what is missing, write it, resolve, count. */
  private async apply(rows: ChangeRow[]): Promise<void> {
    const { target, signal } = this.options
    const relevant = rows.filter((row) => !row.id.startsWith('_design/') && row.changes.length > 0)
    if (relevant.length === 0 && this.unresolved.size === 0) return
    const local = await this.localWinners(relevant.map((row) => row.id))
    const deletedUpstream = new Set(relevant.filter((row) => row.deleted && local.has(row.id)).map((row) => row.id))
    // A tombstone matters only for a workflow the replica has.
    const wanted = relevant.filter((row) => !row.deleted || local.has(row.id))
    const missing = await this.revsDiff(wanted)
    // A few `_bulk_get`s at once: the source's latency, not its throughput, is the usual limit.
    const fetched = (await mapPool(chunk(missing, this.fetchBatch), FETCHES_AT_ONCE, (batch) => this.fetch(batch), signal)).flat()
    const toWrite: RevisionDoc[] = []
    let skipped = 0
    for (const doc of fetched) {
      if (!doc._deleted && !this.inScope(doc as unknown as WorkflowDoc)) {
        skipped++
        continue
      }
      if ('_attachments' in doc) {
        // Stats2 documents carry none; a stub cannot be written without its data.
        log.warn(`${doc._id} has attachments upstream; they are not replicated`)
        delete doc._attachments
      }
      toWrite.push(doc)
    }
    await this.write(toWrite)
    const candidates = this.conflictCandidates(wanted, local, toWrite)
    const resolved = await resolveAfterPull(target, candidates, deletedUpstream)
    this.unresolved = new Map(resolved.failed.filter((id) => candidates.has(id)).map((id) => [id, [...candidates.get(id)!]]))
    this.resumedPage = false
    this.report({
      fetched: this.progress.fetched + fetched.length,
      written: this.progress.written + toWrite.length,
      skipped: this.progress.skipped + skipped,
      // Present here and deleted upstream: gone now (by the tombstone, or by the resolution).
      deleted: this.progress.deleted + deletedUpstream.size - resolved.failed.filter((id) => deletedUpstream.has(id)).length,
      merged: this.progress.merged + resolved.merged.length
    })
  }

  /**
   * Which documents of the page may now hold conflicting leaves: those whose revision here was not
   * an ancestor of what arrived (a local update), those a previous resolution could not finish,
   * and, on the first page of a resumed pull (the one a killed pull was working on), all of them.
   * Documents that only moved forward along upstream's branch are not read again.
   */
  private conflictCandidates(rows: ChangeRow[], local: Map<string, string>, written: RevisionDoc[]): Map<string, Set<string>> {
    // id → upstream's leaf revisions (what is not among them is the replica's own).
    const candidates = new Map([...this.unresolved].map(([id, revs]) => [id, new Set(revs)]))
    const add = (row: ChangeRow): void => {
      candidates.set(row.id, new Set(row.changes.map((c) => c.rev)))
    }
    const arrived = new Map<string, Set<string>>()
    for (const doc of written) {
      const revs = arrived.get(doc._id) ?? new Set<string>()
      const ancestry = doc._revisions
      if (ancestry) ancestry.ids.forEach((id, k) => revs.add(`${ancestry.start - k}-${id}`))
      else revs.add(doc._rev)
      arrived.set(doc._id, revs)
    }
    for (const row of rows) {
      const here = local.get(row.id)
      if (this.resumedPage) {
        add(row)
        continue
      }
      if (here === undefined) continue // new here: nothing to conflict with
      const upstream = arrived.get(row.id)
      const known = upstream ? upstream.has(here) : row.changes.some((c) => c.rev === here)
      if (!known) add(row)
    }
    return candidates
  }

  /** The winning revision of each of these ids that has a live document here. */
  private async localWinners(ids: string[]): Promise<Map<string, string>> {
    const winners = new Map<string, string>()
    for (const batch of chunk([...new Set(ids)], 500)) {
      const answer = await this.options.target.raw<{ rows: Array<{ key: string; id?: string; value?: { rev?: string; deleted?: boolean } }> }>(`look up ${batch.length} workflows`, {
        db: REQUESTS_DB, path: '_all_docs', method: 'post', body: { keys: batch }
      })
      for (const row of answer.rows ?? []) if (row.value?.rev && !row.value.deleted && row.id === row.key) winners.set(row.key, row.value.rev)
    }
    return winners
  }

  /** The revisions of these rows the replica lacks (`_revs_diff`). */
  private async revsDiff(rows: ChangeRow[]): Promise<Array<{ id: string; rev: string }>> {
    const missing: Array<{ id: string; rev: string }> = []
    for (const batch of chunk(rows, 500)) {
      const body: Record<string, string[]> = {}
      for (const row of batch) body[row.id] = [...new Set([...(body[row.id] ?? []), ...row.changes.map((c) => c.rev)])]
      const answer = await this.options.target.raw<Record<string, { missing?: string[] }>>(`compare ${batch.length} revisions`, {
        db: REQUESTS_DB, path: '_revs_diff', method: 'post', body
      })
      for (const [id, diff] of Object.entries(answer ?? {})) for (const rev of diff?.missing ?? []) missing.push({ id, rev })
    }
    return missing
  }

  /** `_bulk_get` of a batch; an answer over the size limit is asked for again in halves. */
  private async fetch(batch: Array<{ id: string; rev: string }>): Promise<RevisionDoc[]> {
    try {
      return await this.options.source.revisions(REQUESTS_DB, batch, this.options.signal)
    } catch (error) {
      if (!(error instanceof ReplicaSourceError) || error.code !== 'too-large' || batch.length === 1) throw error
      this.fetchBatch = Math.max(1, Math.floor(batch.length / 2))
      log.info(`answers too large: fetching ${this.fetchBatch} documents at a time`)
      const half = Math.ceil(batch.length / 2)
      return [...(await this.fetch(batch.slice(0, half))), ...(await this.fetch(batch.slice(half)))]
    }
  }

  private async write(docs: RevisionDoc[]): Promise<void> {
    for (const batch of chunk(docs, 200)) {
      const answer = await this.options.target.raw<Array<{ id: string; error?: string; reason?: string }>>(`write ${batch.length} replicated documents`, {
        db: REQUESTS_DB, path: '_bulk_docs', method: 'post', body: { docs: batch, new_edits: false }
      })
      const refused = (Array.isArray(answer) ? answer : []).filter((row) => row.error)
      if (refused.length > 0) {
        const first = refused[0]!
        throw new ReplicaTargetError(`The replica refused ${refused.length} of ${batch.length} documents (${first.id}: ${first.error} ${first.reason ?? ''}); nothing after the last checkpoint was lost`)
      }
    }
  }

  private async saveCheckpoint(seq: unknown): Promise<void> {
    const previous = this.checkpoint
    const unresolved = Object.fromEntries([...this.unresolved].slice(0, 10_000))
    if (previous && canonicalJson(previous.last_seq) === canonicalJson(seq) && canonicalJson(previous.unresolved ?? {}) === canonicalJson(unresolved)) return
    this.checkpoint = await writeCheckpoint(this.options.target, {
      _id: checkpointId(this.id),
      ...(previous?._rev ? { _rev: previous._rev } : {}),
      source: this.options.source.url,
      selector: this.selector ?? null,
      last_seq: seq,
      version: PROTOCOL_VERSION,
      updated: this.now(),
      ...(this.unresolved.size > 0 ? { unresolved } : {})
    })
  }

  /** Caught up with the source: the mark's `last_pull`, and the source's last update time for the page's header. */
  private async caughtUp(): Promise<void> {
    const { source, target, signal } = this.options
    await writeReplicaMarker(target, { source: source.url, scope: this.scope ?? null, last_pull: this.now() })
    const upstream = await source.optionalDoc(SETTINGS_DB, SETTINGS_DOC_ID, signal).catch((error: unknown) => {
      if (isAbort(error, signal)) throw error
      log.debug(`the source's settings are not readable: ${(error as Error).message}`)
      return undefined
    })
    const last = upstream?.last_dbs_update_date
    if (typeof last === 'number') {
      await target.updateSettings((doc) => (typeof doc.last_dbs_update_date === 'number' && doc.last_dbs_update_date >= last ? doc : { ...doc, last_dbs_update_date: last }))
    }
    log.info(`caught up with ${source.url} at ${String(this.progress.seq)}: ${this.progress.fetched} documents transferred, ${this.progress.skipped} outside the scope (${canonicalScope(this.scope) === 'none' ? 'no scope' : describeScope(this.scope)})`)
  }
}
