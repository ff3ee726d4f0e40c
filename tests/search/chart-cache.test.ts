/**
 * Chart answers from the chart cache and the changes follower behind both caches, over a real
 * embedded store: the same answer as reading the document, served from memory when opened again,
 * and fresh after every write or deletion.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { ChartCache } from '../../src/main/search/chart-cache'
import { StoreChanges } from '../../src/main/search/store-changes'
import { chartView } from '../../src/main/core/workflow-boundary'
import { isInvalidWorkflow } from '../../src/shared/workflow-view'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let store: CouchStore

const D = (i: number): string => `/Prim${i}/Chart-v1/AODSIM`
function doc(i: number, entries = 3): WorkflowDoc {
  const id = `pdmvserv_task_HIG-Chart-${String(i).padStart(5, '0')}__v1_T_240110_101010_${1000 + i}`
  return {
    _id: id, RequestName: id, PrepID: `HIG-Chart-${i}`, Campaigns: ['Chart'], Requests: [], RequestPriority: 1,
    RequestTransition: [{ Status: 'new', UpdateTime: 1 }], OutputDatasets: [D(i)], TotalEvents: 10_000, TotalInputLumis: -1,
    EventNumberHistory: Array.from({ length: entries }, (_, k) => ({ Time: 1000 + k * 900, Datasets: { [D(i)]: { Type: 'PRODUCTION', Events: 10 * (k + 1), Size: 1 } } }))
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-chartcache-'))
  store = await CouchStore.open({ dataDir: work }, { inMemory: true })
  await store.saveWorkflows(Array.from({ length: 10 }, (_, i) => doc(i)))
})

afterEach(() => {
  vi.restoreAllMocks()
})

afterAll(async () => {
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

describe('chart cache', () => {
  it('answers what reading the document answers, and from memory when the workflow is opened again', async () => {
    const cache = new ChartCache(store)
    const name = doc(1)._id
    const first = await cache.answer(name)
    expect(first).toEqual(chartView(await store.getWorkflow(name)))
    const reads = vi.spyOn(store, 'getWorkflow')
    expect(await cache.answer(name)).toEqual(first)
    expect(reads).not.toHaveBeenCalled()
    expect(await cache.answer('no-such-workflow')).toBeUndefined()
  })

  it('drops the answer of a workflow written or deleted since the last lookup', async () => {
    const cache = new ChartCache(store)
    const name = doc(2)._id
    const before = await cache.answer(name)
    expect(isInvalidWorkflow(before) ? undefined : before?.historyLength).toBe(3)
    const stored = (await store.getWorkflow(name))!
    await store.saveWorkflow({ ...stored, EventNumberHistory: [...stored.EventNumberHistory, { Time: 9999, Datasets: { [D(2)]: { Type: 'VALID', Events: 10_000, Size: 2 } } }] })
    const after = await cache.answer(name)
    if (isInvalidWorkflow(after) || !after) throw new Error('expected a chart answer')
    expect(after.historyLength).toBe(4)
    expect(after.series.datasets[0]!.points.at(-1)).toEqual({ t: 9999, v: 10_000, type: 'VALID' })
    // Another workflow's write leaves this answer in memory.
    await store.saveWorkflows([doc(50)])
    const reads = vi.spyOn(store, 'getWorkflow')
    expect(await cache.answer(name)).toEqual(after)
    expect(reads).not.toHaveBeenCalled()
    await store.deleteWorkflows([name])
    expect(await cache.answer(name)).toBeUndefined()
  })

  it('keeps a document of the wrong shape as the invalid marker, and stays within its weight bound', async () => {
    const bad = { _id: 'bad_HIG-Chart-99999_240101_000000_1', RequestName: 'bad_HIG-Chart-99999_240101_000000_1', EventNumberHistory: 'none' }
    await store.saveWorkflows([bad as unknown as WorkflowDoc])
    const cache = new ChartCache(store, 200)
    expect(await cache.answer(bad._id)).toMatchObject({ invalid: true, name: bad._id })
    for (let i = 3; i < 10; i++) await cache.answer(doc(i)._id)
    // 50 + 3 points each: at most three answers fit in 200.
    expect(cache.size).toBeLessThanOrEqual(3)
    expect(cache.size).toBeGreaterThan(0)
  })
})

describe('store changes', () => {
  it('reads the changes feed only when the database moved, and reports what was written or deleted', async () => {
    const changes = new StoreChanges(store)
    expect(await changes.read()).toEqual({ reset: true })
    const raw = vi.spyOn(store, 'raw')
    const feedReads = (): number => raw.mock.calls.filter(([, params]) => params.path === '_changes').length
    expect(await changes.read()).toEqual({ reset: false, ids: [] })
    expect(feedReads()).toBe(0)
    await store.saveWorkflows([doc(60), doc(61)])
    await store.deleteWorkflows([doc(60)._id])
    const changed = await changes.read()
    expect(changed.reset).toBe(false)
    expect(new Set(changed.reset ? [] : changed.ids)).toEqual(new Set([doc(60)._id, doc(61)._id]))
    expect(feedReads()).toBe(1)
    expect(await changes.read()).toEqual({ reset: false, ids: [] })
    expect(feedReads()).toBe(1)
  })

  it('starts afresh when more changed than it reads at once', async () => {
    const changes = new StoreChanges(store, 3)
    await changes.read()
    await store.saveWorkflows([doc(70), doc(71), doc(72), doc(73)])
    expect(await changes.read()).toEqual({ reset: true })
    expect(await changes.read()).toEqual({ reset: false, ids: [] })
  })
})
