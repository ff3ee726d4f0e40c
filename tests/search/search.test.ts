/** The search box's resolution (spec §9) over a real embedded store. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { SearchError, WorkflowSearch } from '../../src/main/search/search'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let store: CouchStore
let search: WorkflowSearch

const doc = (id: string, over: Partial<WorkflowDoc>): WorkflowDoc => ({
  _id: id, RequestName: id, Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0,
  RequestTransition: [], Requests: [], TotalEvents: -1, TotalInputLumis: -1, ...over
})

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-search-'))
  store = await CouchStore.open({ dataDir: work }, { inMemory: true })
  await store.saveWorkflows([
    // Newest request first in id order: the date-time ordering must put it last.
    doc('alice_ACDC0_HIG-X-00001_230629_120000_2222', { PrepID: 'HIG-X-00001', Campaigns: ['Shared'], OutputDatasets: ['/A/HIG-v1/AODSIM'] }),
    doc('bob_HIG-X-00001_230627_101500_1111', { PrepID: 'HIG-X-00001', Campaigns: ['RunX'], ProcessingString: 'Shared', OutputDatasets: ['/A/HIG-v1/AODSIM', '/A/HIG-v1/MINIAODSIM'], InputDataset: '/A/in-v1/GEN-SIM', RequestType: 'TaskChain', Requests: ['HIG-Req-00007'] }),
    doc('carol_B2G-Y-00002_240101_000000_3333', { PrepID: 'B2G-Y-00002', Campaigns: ['RunY'], ProcessingString: 'PS_only', RequestType: 'StepChain' })
  ])
  search = new WorkflowSearch(store)
})

afterAll(async () => {
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

describe('search resolution', () => {
  it('tries PrepID first and orders its workflows by the date-time in their names', async () => {
    const result = await search.search({ text: 'HIG-X-00001' })
    expect(result).toMatchObject({ field: 'prepid', prefix: false, total: 2 })
    expect(result.workflows.map((w) => w._id)).toEqual(['bob_HIG-X-00001_230627_101500_1111', 'alice_ACDC0_HIG-X-00001_230629_120000_2222'])
  })

  it('follows the seed’s order: a text that is both a campaign and a processing string is a campaign', async () => {
    expect(await search.search({ text: 'Shared' })).toMatchObject({ field: 'campaign', total: 1 })
    expect(await search.search({ text: 'Shared', field: 'processing_string' })).toMatchObject({ field: 'processing_string', total: 1 })
    expect(await search.search({ text: '/A/HIG-v1/AODSIM' })).toMatchObject({ field: 'output_dataset', total: 2 })
    expect(await search.search({ text: '/A/in-v1/GEN-SIM' })).toMatchObject({ field: 'input_dataset', total: 1 })
    expect(await search.search({ text: 'StepChain' })).toMatchObject({ field: 'type', total: 1 })
    expect(await search.search({ text: 'HIG-Req-00007' })).toMatchObject({ field: 'request', total: 1 })
    expect(await search.search({ text: 'carol_B2G-Y-00002_240101_000000_3333' })).toMatchObject({ field: 'workflow', total: 1 })
  })

  it('falls back to prefixes of names, PrepIDs and datasets, and says so', async () => {
    expect(await search.search({ text: 'bob_' })).toMatchObject({ field: 'workflow', prefix: true, total: 1 })
    expect(await search.search({ text: 'B2G-Y' })).toMatchObject({ field: 'prepid', prefix: true, total: 1 })
    expect(await search.search({ text: '/A/HIG' })).toMatchObject({ field: 'output_dataset', prefix: true, total: 2 })
    expect(await search.search({ text: 'nothing-like-this' })).toMatchObject({ total: 0, workflows: [] })
    expect(await search.search({ text: '"HIG-X-00001"' })).toMatchObject({ total: 0 })
  })

  it('pages, lists everything for an empty text, and refuses what no value can be', async () => {
    const everything = await search.search({ text: '', pageSize: 2 })
    expect(everything).toMatchObject({ field: 'any', total: 3 })
    expect(everything.workflows).toHaveLength(2)
    expect((await search.search({ text: '', pageSize: 2, page: 1 })).workflows).toHaveLength(1)
    await expect(search.search({ text: 'x'.repeat(600) })).rejects.toBeInstanceOf(SearchError)
    await expect(search.search({ text: 'a\tb' })).rejects.toThrow(/control characters/)
  })

  it('gathers every match for exports and charts', async () => {
    expect((await search.searchAll({ text: '/A/HIG-v1/AODSIM' })).workflows).toHaveLength(2)
  })
})
