/**
 * "Since my last look": the desktop core keeps each look in its settings folder (swapped, validated,
 * a damaged file kept aside) and the overview lists, from the documents' own times, the new
 * workflows, the status changes, the datasets that became VALID (named) and the new failures.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { OverviewLookFile } from '../../src/main/overview/look-file'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let core: AppCore

const LOOK = 1_765_000_000
const D = (name: string, tier: string): string => `/${name}/Camp-v1/${tier}`

function doc(name: string, transitions: Array<[string, number]>, history: WorkflowDoc['EventNumberHistory'], outputs: string[]): WorkflowDoc {
  return {
    _id: name, RequestName: name, PrepID: `PPD-${name}`, RequestType: 'TaskChain', Campaigns: ['Camp'], Requests: [], RequestPriority: 85000,
    RequestTransition: transitions.map(([Status, UpdateTime]) => ({ Status, UpdateTime })), OutputDatasets: outputs,
    TotalEvents: 100, TotalInputLumis: -1, EventNumberHistory: history, LastUpdate: LOOK - 10
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-overview-look-'))
  core = await AppCore.create({
    userDataDir: join(work, 'user-data'),
    env: { HOME: work, STATS2_DATA_DIR: join(work, 'store') },
    secrets: new MemorySecretStore()
  })
  const store = await core.activeStore()
  const old = doc('old', [['new', LOOK - 900], ['running-open', LOOK - 500], ['completed', LOOK + 60]], [
    { Time: LOOK - 400, Datasets: { [D('old', 'GEN-SIM')]: { Type: 'PRODUCTION', Events: 5, Size: 1 }, [D('old', 'AODSIM')]: { Type: 'VALID', Events: 9, Size: 1 } } },
    { Time: LOOK + 50, Datasets: { [D('old', 'GEN-SIM')]: { Type: 'VALID', Events: 100, Size: 1 }, [D('old', 'AODSIM')]: { Type: 'VALID', Events: 100, Size: 1 } } }
  ], [D('old', 'GEN-SIM'), D('old', 'AODSIM')])
  const fresh = doc('fresh', [['new', LOOK + 30], ['assignment-approved', LOOK + 40]], [], [D('fresh', 'AODSIM')])
  const quiet = doc('quiet', [['new', LOOK - 900]], [], [D('quiet', 'AODSIM')])
  expect((await store.saveWorkflows([old, fresh, quiet])).every((result) => result.ok)).toBe(true)
  await store.updateSettings((settings) => ({ ...settings, failed_workflows: ['quiet', 'old'], failed_reasons: { quiet: 'DBS answered 500', old: 'timed out' } }))
})

afterAll(async () => {
  await core?.close()
  await rm(work, { recursive: true, force: true })
})

describe('since my last look', () => {
  it('lists what changed after the look, from the documents\' own times, with dataset names and new failures', async () => {
    const view = await core.overview({ kind: 'all' }, { time: LOOK, failed: ['old'] })
    expect(view.sinceLook).toEqual({
      since: LOOK,
      counts: { 'new-workflow': 1, status: 2, 'dataset-valid': 1, 'update-failed': 1 },
      total: 5,
      entries: [
        { kind: 'update-failed', workflow: 'quiet', detail: 'DBS answered 500' },
        { kind: 'status', workflow: 'old', time: LOOK + 60, detail: 'running-open → completed' },
        { kind: 'dataset-valid', workflow: 'old', time: LOOK + 50, detail: D('old', 'GEN-SIM') },
        { kind: 'status', workflow: 'fresh', time: LOOK + 40, detail: 'new → assignment-approved' },
        { kind: 'new-workflow', workflow: 'fresh', time: LOOK + 30, detail: 'assignment-approved' }
      ]
    })
    // A later look sees none of it; no look, no list.
    expect((await core.overview({ kind: 'all' }, { time: LOOK + 3600, failed: ['old', 'quiet'] })).sinceLook?.total).toBe(0)
    expect((await core.overview({ kind: 'all' })).sinceLook).toBeUndefined()
    expect((await core.overview({ kind: 'field', field: 'prepid', value: 'PPD-fresh' }, { time: LOOK, failed: [] })).sinceLook?.counts)
      .toEqual({ 'new-workflow': 1, status: 1, 'dataset-valid': 0, 'update-failed': 0 })
  })

  it('keeps each look in the settings folder and answers the previous one', async () => {
    const first = await core.markOverviewLook()
    expect(first).toEqual({ where: 'app' })
    const second = await core.markOverviewLook()
    expect(second).toMatchObject({ where: 'app', previous: { failed: ['old', 'quiet'] } })
    const stored = JSON.parse(await readFile(join(work, 'user-data', 'overview-look.json'), 'utf8')) as { version: number; look: { time: number } }
    expect(stored.version).toBe(1)
    expect(Math.abs(stored.look.time - Date.now() / 1000)).toBeLessThan(60)
  })

  it('keeps a damaged file aside and starts afresh', async () => {
    const folder = join(work, 'damaged')
    const file = OverviewLookFile.in(folder)
    await file.swap({ time: 5, failed: [] })
    await writeFile(file.file, '{"version": 1, "look": {"time": "soon"}}')
    expect(await file.swap({ time: 6, failed: ['x'] })).toBeUndefined()
    expect((await readdir(folder)).filter((name) => name.includes('.invalid-'))).toHaveLength(1)
    expect(await file.swap({ time: 7, failed: [] })).toEqual({ time: 6, failed: ['x'] })
  })
})
