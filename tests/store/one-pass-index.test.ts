/**
 * The one-pass index build (all views of a design document together) gives exactly the rows of
 * PouchDB's per-view build, on a generated store, through writes, updates and deletions; and the
 * indexes it writes stay readable and updatable by the per-view build.
 */
import { describe, expect, it } from 'vitest'
import PouchDBCore from 'pouchdb-core'
import MemoryAdapter from 'pouchdb-adapter-memory'
import { PerViewMapReduce, SandboxedMapReduce } from '../../src/store-server/sandboxed-mapreduce'
import { searchDesignDoc, VIEW_NAMES } from '../../src/main/store/design-docs'

interface Db {
  bulkDocs(docs: unknown[]): Promise<Array<{ id: string; rev: string }>>
  allDocs(options: Record<string, unknown>): Promise<{ rows: Array<{ id: string; value: { rev: string } }> }>
  put(doc: unknown): Promise<unknown>
  destroy(): Promise<unknown>
  on(event: 'error', listener: () => void): unknown
}
type Query = (this: unknown, fun: unknown, opts: unknown) => unknown

const Pouch = (PouchDBCore as { plugin(p: unknown): new (name: string, options: Record<string, unknown>) => Db }).plugin(MemoryAdapter)
let counter = 0
function fresh(): Db {
  const db = new Pouch(`one-pass-${process.pid}-${counter++}`, { adapter: 'memory' })
  // A map function that throws is reported as an 'error' event (printed when nobody listens).
  db.on('error', () => undefined)
  return db
}

/** Shapes the old Stats2's views meet: repeated campaigns and requests, empty and missing fields, odd types. */
function generated(i: number, version = 0): Record<string, unknown> {
  const id = `wf_${String(i).padStart(4, '0')}`
  const doc: Record<string, unknown> = {
    _id: id,
    RequestName: id,
    PrepID: i % 7 === 0 ? undefined : `PREP-${i % 40}`,
    Campaigns: i % 5 === 0 ? [`C${i % 3}`, `C${i % 3}`, `C${(i + 1) % 3}`] : [`C${(i + version) % 4}`],
    Requests: i % 4 === 0 ? [] : [`R-${i % 9}`, `R-${i % 9}`],
    OutputDatasets: Array.from({ length: (i + version) % 4 }, (_, k) => `/P${i % 11}/E-v${version}/${['GEN-SIM', 'AODSIM', 'MINIAODSIM'][k % 3]}`),
    InputDataset: i % 3 === 0 ? '' : `/In${i % 13}/E/GEN`,
    ProcessingString: i % 6 === 0 ? '' : `PS_${(i + version) % 8}`,
    RequestType: ['TaskChain', 'StepChain', 'ReReco'][i % 3],
    n: version
  }
  if (i % 17 === 0) doc.Campaigns = 'not-a-list'
  if (i % 19 === 0) doc.PrepID = { object: true }
  return doc
}

async function allRows(db: Db, query: Query): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const view of VIEW_NAMES) out[view] = await query.call(db, `_designDoc/${view}`, {})
  return out
}

async function update(db: Db, change: (revs: Map<string, string>) => unknown[]): Promise<void> {
  const { rows } = await db.allDocs({})
  const revs = new Map(rows.map((row) => [row.id, row.value.rev]))
  await db.bulkDocs(change(revs))
}

describe('one-pass index build', () => {
  it('writes the same rows as the per-view build, through writes, updates and deletions', async () => {
    const onePass = fresh()
    const perView = fresh()
    const docs = Array.from({ length: 1200 }, (_, i) => generated(i))
    for (const db of [onePass, perView]) {
      await db.put(searchDesignDoc())
      await db.bulkDocs(docs)
    }
    const reference = await allRows(perView, PerViewMapReduce.query)
    expect(await allRows(onePass, SandboxedMapReduce.query as Query)).toEqual(reference)
    expect((reference.campaigns as { rows: unknown[] }).rows.length).toBeGreaterThan(1000)

    // Updates (other keys, fewer and more datasets), deletions and new documents.
    const changeSet = (revs: Map<string, string>): unknown[] => [
      ...Array.from({ length: 300 }, (_, i) => ({ ...generated(i * 3, 1), _rev: revs.get(generated(i * 3)._id as string) })),
      ...Array.from({ length: 100 }, (_, i) => ({ _id: generated(i * 3 + 1)._id, _rev: revs.get(generated(i * 3 + 1)._id as string), _deleted: true })),
      ...Array.from({ length: 150 }, (_, i) => generated(5000 + i))
    ]
    for (const db of [onePass, perView]) await update(db, changeSet)
    // Querying one view brings all of them up to date: the others are then read without an update.
    await (SandboxedMapReduce.query as Query).call(onePass, '_designDoc/types', { limit: 0 })
    const staleOk = await (SandboxedMapReduce.query as Query).call(onePass, '_designDoc/outputDatasets', { stale: 'ok' })
    const updatedReference = await allRows(perView, PerViewMapReduce.query)
    expect(staleOk).toEqual(updatedReference.outputDatasets)
    expect(await allRows(onePass, SandboxedMapReduce.query as Query)).toEqual(updatedReference)

    // The per-view build continues from the one-pass indexes.
    const more = (revs: Map<string, string>): unknown[] => Array.from({ length: 50 }, (_, i) => ({ ...generated(i * 5, 2), _rev: revs.get(generated(i * 5)._id as string) }))
    for (const db of [onePass, perView]) await update(db, more)
    expect(await allRows(onePass, PerViewMapReduce.query)).toEqual(await allRows(perView, PerViewMapReduce.query))
    await onePass.destroy()
    await perView.destroy()
  }, 120_000)

  it('answers queries with keys, ranges, limits and reduce as before', async () => {
    const onePass = fresh()
    const perView = fresh()
    const ddoc = {
      _id: '_design/t',
      views: {
        byCampaign: { map: 'function (doc) { if (doc.Campaigns && doc.Campaigns.forEach) doc.Campaigns.forEach(function (c) { emit(c, doc.n) }) }', reduce: '_count' },
        throws: { map: 'function (doc) { emit(doc._id, 1); if (doc.n > 0) throw new Error("boom") }' },
        mutate: { map: 'function (doc) { doc.RequestName = "changed"; emit(doc._id, doc.RequestName) }' },
        sameKey: { map: 'function (doc) { emit("k", 2); emit("k", 1); emit("k", null) }' }
      }
    }
    for (const db of [onePass, perView]) {
      await db.put(ddoc)
      await db.bulkDocs(Array.from({ length: 60 }, (_, i) => generated(i, i % 2)))
    }
    const queries: Array<[string, Record<string, unknown>]> = [
      ['t/byCampaign', { reduce: false }], ['t/byCampaign', { group: true }], ['t/byCampaign', { key: 'C1', reduce: false, include_docs: true }],
      ['t/byCampaign', { startkey: 'C1', endkey: 'C2', reduce: false, limit: 5, skip: 2 }], ['t/byCampaign', { keys: ['C2', 'C0'], reduce: false }],
      ['t/throws', {}], ['t/mutate', {}], ['t/sameKey', { descending: true }]
    ]
    for (const [fun, opts] of queries) {
      expect(await (SandboxedMapReduce.query as Query).call(onePass, fun, { ...opts }), `${fun} ${JSON.stringify(opts)}`).toEqual(await PerViewMapReduce.query.call(perView, fun, { ...opts }))
    }
    await onePass.destroy()
    await perView.destroy()
  }, 60_000)
})
