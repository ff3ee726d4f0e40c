/**
 * A store the overview was used on holds `_design/stats2-overview`: its backup loads into a fresh
 * store as Stats2's own design document, while one whose facts function was changed is refused as
 * foreign (its function would run inside the store), like any other.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { OverviewService } from '../../src/main/overview/service'
import { FACTS_VIEW, OVERVIEW_DESIGN_ID } from '../../src/main/overview/facts-view'
import { runCli } from '../helpers/cli'

let work: string
const env = (name: string): Record<string, string> => ({ HOME: work, STATS2_DATA_DIR: join(work, name) })

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-overview-backup-'))
  const store = await CouchStore.open({ dataDir: join(work, 'used') })
  await store.saveWorkflows([{
    _id: 'w1', RequestName: 'w1', Campaigns: ['C'], Requests: [], RequestPriority: 0, OutputDatasets: [], TotalEvents: 1, TotalInputLumis: -1,
    EventNumberHistory: [], RequestTransition: [{ Status: 'new', UpdateTime: 1 }]
  }])
  expect((await new OverviewService(store).overview({ kind: 'all' })).total).toBe(1)
  await store.close()
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('the overview\'s design document in backups', () => {
  it('loads as Stats2\'s own, and is refused as foreign once its function is changed', async () => {
    const dumped = await runCli(['dump', '--backup'], env('used'))
    expect(dumped.code, dumped.err).toBe(0)
    expect(dumped.out).toContain(OVERVIEW_DESIGN_ID)
    const file = join(work, 'backup.ndjson')
    await writeFile(file, dumped.out)
    const loaded = await runCli(['load', file], env('fresh'))
    expect(loaded.code, loaded.err).toBe(0)

    const tampered = (await readFile(file, 'utf8')).split('\n').map((line) => {
      if (!line.includes(OVERVIEW_DESIGN_ID)) return line
      const entry = JSON.parse(line) as { doc: { views: Record<string, { map: string }> } }
      entry.doc.views[FACTS_VIEW] = { map: 'function (doc) { while (true) {} }' }
      return JSON.stringify(entry)
    }).join('\n')
    await writeFile(file, tampered)
    const refused = await runCli(['load', file], env('other'))
    expect(refused.code).not.toBe(0)
    expect(refused.err).toContain(`requests/${OVERVIEW_DESIGN_ID}`)
  })
})
