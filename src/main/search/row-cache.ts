/**
 * Row summaries (and summed-chart tracks) of recently listed workflows, kept in memory so that a
 * result page does not read whole documents again. Reading 2 000 documents from the embedded store
 * takes about a second; a page of cached rows a few milliseconds.
 *
 * Freshness: before every lookup the store's `_changes` feed is read from the last position seen
 * (store-changes.ts: only when the database's update sequence moved), and every workflow written
 * since (by this process's updater or by anyone else on a shared CouchDB) is dropped; the feed
 * position is taken before any document is read, so nothing written meanwhile is missed. Lookups
 * run one at a time, so a slow read can never put an older document back over a newer one.
 * Bounded by weight (rows plus history points), least recently used out.
 */
import { WeightedLru } from './weighted-lru'
import type { CouchStore } from '../store/couch-store'
import type { WorkflowRow } from '../../shared/search-types'
import { workflowRow } from '../../shared/rules/workflow-row'
import { finalTrack, type FinalTrack } from '../../shared/rules/series'
import type { WorkflowDoc } from '../../shared/stats2-doc'
import type { MatchMemo, Matches } from './search'
import { listView } from '../core/workflow-boundary'
import { isInvalidWorkflow } from '../../shared/workflow-view'
import { StoreChanges } from './store-changes'

export interface WorkflowDigest {
  row: WorkflowRow
  track: FinalTrack
}

/** About 100 bytes a unit: the default keeps the cache to a few tens of MB. */
export const DEFAULT_MAX_WEIGHT = 400_000
/** Search texts whose matches are remembered (until the store changes). */
const MEMO_TEXTS = 20

function weightOf(digest: WorkflowDigest): number {
  return 8 + digest.row.datasets.length * 2 + digest.track.times.length
}

export class RowCache {
  private readonly entries: WeightedLru<WorkflowDigest>
  private readonly changes: StoreChanges
  private queue: Promise<unknown> = Promise.resolve()
  private readonly matches = new Map<string, Matches>()

  /** The matches of recent search texts, emptied whenever the store changed: call `fresh()` first. */
  readonly memo: MatchMemo = {
    get: (key) => this.matches.get(key),
    set: (key, value) => {
      // Matches as large as a whole store are not worth keeping.
      if (value.names.length > 50_000) return
      this.matches.delete(key)
      this.matches.set(key, value)
      for (const oldest of this.matches.keys()) {
        if (this.matches.size <= MEMO_TEXTS) break
        this.matches.delete(oldest)
      }
    }
  }

  constructor(private readonly store: CouchStore, maxWeight = DEFAULT_MAX_WEIGHT) {
    this.entries = new WeightedLru(maxWeight, weightOf)
    this.changes = new StoreChanges(store)
  }

  get size(): number {
    return this.entries.size
  }

  /** Digests of `names` (missing documents are absent), read from the store only where not cached. */
  digests(names: readonly string[]): Promise<Map<string, WorkflowDigest>> {
    const run = this.queue.then(() => this.lookup(names))
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Reads what changed since the last call (forgetting it) before a search uses `memo`. */
  fresh(): Promise<void> {
    const run = this.queue.then(() => this.sync())
    this.queue = run.catch(() => undefined)
    return run
  }

  private async lookup(names: readonly string[]): Promise<Map<string, WorkflowDigest>> {
    await this.sync()
    const found = new Map<string, WorkflowDigest>()
    const missing: string[] = []
    for (const name of names) {
      const digest = this.entries.get(name)
      if (digest) {
        found.set(name, digest)
      } else {
        missing.push(name)
      }
    }
    if (missing.length > 0) {
      const docs = await this.store.getWorkflows(missing)
      for (const name of missing) {
        const doc = docs.get(name)
        if (doc === undefined) continue
        const digest = digestOf(doc, name)
        found.set(name, digest)
        this.put(name, digest)
      }
    }
    return found
  }

  private put(name: string, digest: WorkflowDigest): void {
    this.entries.set(name, digest)
  }

  private drop(name: string): void {
    this.entries.delete(name)
  }

  private clear(): void {
    this.entries.clear()
    this.matches.clear()
  }

  /** Drops what was written since the last lookup. */
  private async sync(): Promise<void> {
    const changed = await this.changes.read()
    if (changed.reset) {
      this.clear()
      return
    }
    for (const id of changed.ids) this.drop(id)
    if (changed.ids.length > 0) this.matches.clear()
  }
}

const NO_TRACK: FinalTrack = { times: [], values: [], types: [], expected: 0 }

/**
 * The row and chart track of a stored document. A document the contract's schema refuses
 * (workflow-boundary.ts) gives an invalid row with the schema's reasons and the raw JSON, and no
 * track (the summed chart counts it as left out).
 */
export function digestOf(doc: WorkflowDoc, name: string): WorkflowDigest {
  const view = listView(doc)
  if (isInvalidWorkflow(view)) {
    const row = workflowRow(doc, name)
    return { row: { ...row, name: view.name || name, invalid: true, issues: view.issues, raw: view.raw }, track: NO_TRACK }
  }
  const row = workflowRow(doc, name)
  if (row.invalid) return { row, track: NO_TRACK }
  let track: FinalTrack
  try {
    track = finalTrack(doc)
  } catch {
    track = NO_TRACK
  }
  return { row, track }
}
