/** Store maintenance on the embedded server: compaction when the file has grown with old revisions, views warmed. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { isFragmented, maintainStore } from '../../src/main/store/maintenance'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let store: CouchStore

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-maintenance-'))
  store = await CouchStore.open({ dataDir: join(work, 'store') })
})

afterAll(async () => {
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

const doc = (i: number, round: number): WorkflowDoc => ({
  _id: `wf_${String(i).padStart(4, '0')}`, RequestName: `wf_${i}`, Campaigns: [`C${i % 7}`], Requests: [], OutputDatasets: [`/p${i}/x-v1/AODSIM`],
  EventNumberHistory: [{ Time: round, Datasets: { [`/p${i}/x-v1/AODSIM`]: { Type: 'PRODUCTION', Events: round * 10, Size: round } } }],
  RequestPriority: round, RequestTransition: [], TotalEvents: 1000, TotalInputLumis: -1, CMSSWVersion: 'x'.repeat(1500)
})

describe('store maintenance', () => {
  it('knows fragmentation only from real sizes', () => {
    expect(isFragmented(100 << 20, 10 << 20)).toBe(true)
    expect(isFragmented(100 << 20, 60 << 20)).toBe(false)
    expect(isFragmented(1 << 20, 1)).toBe(false)
    expect(isFragmented(undefined, 1)).toBe(false)
  })

  it('records a baseline, then compacts once rewrites have doubled the file, and warms the views', async () => {
    await store.saveWorkflows(Array.from({ length: 250 }, (_, i) => doc(i, 1)))
    const first = await maintainStore(store, { minBytes: 0 })
    expect(first.compacted).toEqual([])
    const baseline = ((await store.getSettings()) as { compacted_file_size?: Record<string, number> }).compacted_file_size?.requests
    expect(baseline).toBeGreaterThan(0)

    for (let round = 2; round <= 6; round++) {
      const current = await store.getWorkflows(Array.from({ length: 250 }, (_, i) => doc(i, 0)._id))
      await store.saveWorkflows([...current.values()].map((d) => ({ ...doc(Number(d._id.slice(3)), round), _rev: d._rev })))
    }
    const grown = (await store.info()).databases.requests!.fileSize!
    expect(grown).toBeGreaterThan(2 * baseline!)
    const revisions = async (): Promise<string[]> => {
      const answer = await store.raw<{ _revs_info: Array<{ status: string }> }>('revs', { db: 'requests', doc: 'wf_0007', method: 'get', qs: { revs_info: true } })
      return answer._revs_info.map((r) => r.status)
    }
    expect((await revisions()).filter((status) => status === 'available')).toHaveLength(6)
    const second = await maintainStore(store, { minBytes: 0 })
    expect(second.compacted).toContain('requests')
    // Old revision bodies are gone (LevelDB returns the disk space in its own time).
    expect((await revisions()).filter((status) => status === 'available')).toHaveLength(1)
    const newBaseline = ((await store.getSettings()) as { compacted_file_size?: Record<string, number> }).compacted_file_size?.requests
    expect(newBaseline).not.toBe(baseline)
    expect((await store.getWorkflow('wf_0007'))?.RequestPriority).toBe(6)
    expect(second.warmedMs).toBeGreaterThanOrEqual(0)
    expect((await store.queryView('campaigns', { key: 'C3', limit: 1000 })).rows.length).toBeGreaterThan(0)
  })
})
