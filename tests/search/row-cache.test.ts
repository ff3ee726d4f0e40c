/** Row summaries from the row cache, over a real embedded store: fresh after every write, bounded. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { RowCache } from '../../src/main/search/row-cache'
import { WorkflowSearch } from '../../src/main/search/search'
import { workflowRow } from '../../src/shared/rules/workflow-row'
import { aggregateHistory, aggregateTracks } from '../../src/shared/rules/series'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let store: CouchStore

const D = (i: number): string => `/Prim${i}/Camp-v1/AODSIM`
function doc(i: number, events = 100 * i): WorkflowDoc {
  const id = `pdmvserv_task_HIG-Camp-${String(i).padStart(5, '0')}__v1_T_2401${String(10 + (i % 20))}_101010_${1000 + i}`
  return {
    _id: id, RequestName: id, PrepID: `HIG-Camp-${i}`, Campaigns: ['Camp'], Requests: [], RequestPriority: 1,
    RequestTransition: [{ Status: 'new', UpdateTime: 1 }], OutputDatasets: [D(i)], TotalEvents: 1000, TotalInputLumis: -1,
    EventNumberHistory: [{ Time: 100 + i, Datasets: { [D(i)]: { Type: 'PRODUCTION', Events: events, Size: 1 } } }]
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-rowcache-'))
  store = await CouchStore.open({ dataDir: work }, { inMemory: true })
  await store.saveWorkflows(Array.from({ length: 30 }, (_, i) => doc(i)))
})

afterAll(async () => {
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

describe('row cache', () => {
  it('gives the rows of the stored documents, in the order the search found them', async () => {
    const search = new WorkflowSearch(store)
    const whole = await search.search({ text: 'Camp', field: 'campaign', pageSize: 50 })
    const { names, ...rest } = await search.findNames({ text: 'Camp', field: 'campaign', pageSize: 50 })
    const { workflows, ...wholeRest } = whole
    expect(rest).toEqual(wholeRest)
    expect(names).toEqual(workflows.map((w) => w._id))
    const cache = new RowCache(store)
    const digests = await cache.digests(names)
    expect(names.map((name) => digests.get(name)!.row)).toEqual(workflows.map((w) => workflowRow(w)))
    expect(aggregateTracks([...digests.values()].map((d) => d.track))).toEqual(aggregateHistory(workflows))
    expect((await cache.digests(['no-such-workflow'])).size).toBe(0)
  })

  it('drops what was written or deleted since the last lookup', async () => {
    const cache = new RowCache(store)
    const name = doc(3)._id
    expect((await cache.digests([name])).get(name)!.row.datasets[0]!.events).toBe(300)
    const stored = (await store.getWorkflow(name))!
    await store.saveWorkflow({ ...stored, EventNumberHistory: [...stored.EventNumberHistory, { Time: 999, Datasets: { [D(3)]: { Type: 'VALID', Events: 777, Size: 2 } } }] })
    const after = (await cache.digests([name])).get(name)!
    expect(after.row.datasets[0]).toMatchObject({ events: 777, type: 'VALID' })
    expect(after.track.times).toEqual([103, 999])
    await store.deleteWorkflows([name])
    expect((await cache.digests([name])).has(name)).toBe(false)
  })

  it('remembers the matches of a text for paging, until the store changes', async () => {
    const cache = new RowCache(store)
    const search = new WorkflowSearch(store, cache.memo)
    await cache.fresh()
    const first = await search.findNames({ text: 'Camp', field: 'campaign', pageSize: 5 })
    const second = await search.findNames({ text: 'Camp', field: 'campaign', pageSize: 5, page: 1 })
    const all = await new WorkflowSearch(store).findNames({ text: 'Camp', field: 'campaign', pageSize: 1000 })
    expect([...first.names, ...second.names]).toEqual(all.names.slice(0, 10))
    expect(cache.memo.get('campaign\u0000Camp')?.names).toEqual(all.names)
    await store.saveWorkflows([{ ...doc(777), Campaigns: ['Camp'] }])
    await cache.fresh()
    expect(cache.memo.get('campaign\u0000Camp')).toBeUndefined()
    const after = await search.findNames({ text: 'Camp', field: 'campaign', pageSize: 1000 })
    expect(after.total).toBe(all.total + 1)
    expect(after.names).toContain(doc(777)._id)
  })

  it('stays within its weight bound, least recently used out', async () => {
    const cache = new RowCache(store, 60)
    const names = Array.from({ length: 20 }, (_, i) => doc(i + 5)._id)
    const digests = await cache.digests(names)
    expect(digests.size).toBe(20)
    expect(cache.size).toBeLessThanOrEqual(60 / 11)
    expect(cache.size).toBeGreaterThan(0)
  })

  it('marks a stored document of the wrong shape invalid instead of failing the page', async () => {
    const bad = { _id: 'bad_HIG-Camp-99999_240101_000000_1', RequestName: 'bad_HIG-Camp-99999_240101_000000_1', PrepID: { nested: true }, Campaigns: ['Camp'], RequestTransition: [{ Status: 'new', UpdateTime: 'soon' }], EventNumberHistory: 'none' }
    await store.saveWorkflows([bad as unknown as WorkflowDoc])
    const digests = await new RowCache(store).digests([bad._id])
    expect(digests.get(bad._id)!.row).toMatchObject({ name: bad._id, invalid: true })
    expect(digests.get(bad._id)!.track.times).toEqual([])
  })
})
