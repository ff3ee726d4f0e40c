/**
 * The overview's facts of every stored workflow, in memory (src/shared/overview/facts-table.ts),
 * kept current from the store's `_changes` feed: the first use reads them all (the facts view's slim
 * copies, or whole documents, facts-source.ts); every later use first reads the database's
 * `update_seq` (a few ms) and, when it moved, the ids changed since the last seq, and reads the
 * facts of those only. The feed position is taken before anything is read, so nothing written
 * meanwhile is missed (at worst read twice). Uses run one at a time.
 */
import type { CouchStore } from '../store/couch-store'
import { StoreError } from '../store/couch-store'
import { createLogger } from '../log/logger'
import { FactsTable } from '../../shared/overview/facts-table'
import { factsOf } from '../../shared/overview/facts'
import { REQUESTS_DB } from '../../shared/stats2-doc'
import { openFactsSource, type FactsSource } from './facts-source'

const log = createLogger('overview')

/** Changes read per page of the feed. */
const CHANGES_PAGE = 5000

interface ChangesAnswer {
  results: Array<{ id: string; deleted?: boolean }>
  last_seq: string | number
}

export interface EngineStats {
  workflows: number
  source?: FactsSource['kind']
  /** The first read of every workflow's facts, in ms. */
  buildMs?: number
  /** Full reads of every workflow's facts (1 unless the design document went away). */
  builds: number
  /** Workflows re-read after a change since the first build. */
  reread: number
}

export class OverviewEngine {
  readonly table = new FactsTable()
  private source: FactsSource | undefined
  private since: string | number | undefined
  private seenSeq: string | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private readonly counters: EngineStats = { workflows: 0, builds: 0, reread: 0 }

  constructor(private readonly store: CouchStore) {}

  get stats(): EngineStats {
    return { ...this.counters, workflows: this.table.size, ...(this.source ? { source: this.source.kind } : {}) }
  }

  /**
   * Runs `use` once the facts are current (the first call reads them all), after any use before it:
   * what it reads of the table cannot change under it.
   */
  run<T>(use: (table: FactsTable) => T | Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      await this.sync()
      return use(this.table)
    })
    this.queue = next.catch(() => undefined)
    return next
  }

  private async updateSeq(): Promise<string | number> {
    const info = await this.store.raw<{ update_seq: string | number }>('read the database information', { db: REQUESTS_DB, method: 'get' })
    return info.update_seq
  }

  private async sync(): Promise<void> {
    if (!this.source) return this.build()
    const seq = await this.updateSeq()
    if (JSON.stringify(seq) === this.seenSeq) return
    const changed = new Set<string>()
    const deleted = new Set<string>()
    let since = this.since
    for (;;) {
      const answer = await this.store.raw<ChangesAnswer>('read the changes feed', {
        db: REQUESTS_DB, path: '_changes', method: 'get', qs: { since, limit: CHANGES_PAGE }
      })
      for (const change of answer.results) {
        if (typeof change.id !== 'string' || change.id.startsWith('_design/')) continue
        if (change.deleted) {
          deleted.add(change.id)
          changed.delete(change.id)
        } else {
          changed.add(change.id)
          deleted.delete(change.id)
        }
      }
      since = answer.last_seq
      if (answer.results.length < CHANGES_PAGE) break
    }
    for (const name of deleted) this.table.delete(name)
    if (changed.size > 0) {
      let docs: Map<string, unknown>
      try {
        docs = await this.source.some([...changed])
      } catch (error) {
        // The design document went away (deleted by hand, a restored backup): start afresh next time.
        if (error instanceof StoreError && error.status === 404) this.reset()
        throw error
      }
      for (const name of changed) {
        const doc = docs.get(name)
        if (doc === undefined) this.table.delete(name)
        else this.table.set(factsOf(doc, name))
      }
      this.counters.reread += changed.size
    }
    this.since = since
    this.seenSeq = JSON.stringify(seq)
  }

  private async build(): Promise<void> {
    const started = performance.now()
    const seq = await this.updateSeq()
    const source = await openFactsSource(this.store)
    this.table.clear()
    for await (const page of source.all()) for (const [name, doc] of page) this.table.set(factsOf(doc, name))
    this.source = source
    this.since = seq
    this.seenSeq = JSON.stringify(seq)
    this.counters.buildMs = Math.round(performance.now() - started)
    this.counters.builds++
    log.info(`overview: facts of ${this.table.size} workflows read from the ${source.kind === 'view' ? 'facts view' : 'whole documents'} in ${this.counters.buildMs} ms`)
  }

  /** Forgets everything: the next use reads all facts again. */
  reset(): void {
    this.source = undefined
    this.since = undefined
    this.seenSeq = undefined
  }

  /** Whole or slim documents of these workflows, from the same source (dataset names for a list). */
  async documents(names: readonly string[]): Promise<Map<string, unknown>> {
    if (!this.source) await this.run(() => undefined)
    return this.source!.some(names)
  }
}
