/**
 * What was written to the requests database since the last look, for the caches of this folder
 * (row-cache.ts, chart-cache.ts). Each look first reads the database information (a few ms): when
 * its `update_seq` is the one seen last time, nothing was written and the `_changes` feed (10–20 ms
 * on the embedded store even when empty) is not read. Sequence values are compared for equality only
 * (opaque strings on CouchDB 3, where an unchanged database may still give a different string: that
 * only costs a feed read). The feed position is taken before anything is read, so nothing written
 * meanwhile is missed; at worst a write is reported twice.
 */
import type { CouchStore } from '../store/couch-store'
import { REQUESTS_DB } from '../../shared/stats2-doc'

/** More changes than this since the last look: start afresh rather than read them all. */
export const CHANGES_LIMIT = 2000

/** `reset`: start afresh (the first look, or too much changed); else the ids written or deleted. */
export type Changed = { reset: true } | { reset: false; ids: string[] }

interface ChangesAnswer {
  results: Array<{ id: string }>
  last_seq: string | number
}

export class StoreChanges {
  private since: string | number | undefined
  /** `update_seq` of the database information at the last look, as JSON. */
  private seenSeq: string | undefined

  constructor(private readonly store: CouchStore, private readonly limit = CHANGES_LIMIT) {}

  async read(): Promise<Changed> {
    const info = await this.store.raw<{ update_seq: string | number }>('read the database information', { db: REQUESTS_DB, method: 'get' })
    const seq = JSON.stringify(info.update_seq)
    if (this.since === undefined) {
      this.since = info.update_seq
      this.seenSeq = seq
      return { reset: true }
    }
    if (seq === this.seenSeq) return { reset: false, ids: [] }
    const answer = await this.store.raw<ChangesAnswer>('read the changes feed', {
      db: REQUESTS_DB, path: '_changes', method: 'get', qs: { since: this.since, limit: this.limit }
    })
    if (answer.results.length >= this.limit) {
      this.since = info.update_seq
      this.seenSeq = seq
      return { reset: true }
    }
    this.since = answer.last_seq
    this.seenSeq = seq
    return { reset: false, ids: answer.results.map((change) => change.id) }
  }
}
