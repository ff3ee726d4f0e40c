/**
 * The Stats2 store over real HTTP against the embedded CouchDB-protocol server: schema, the seed's
 * views, admin-only writes, conflicts, bulk reads and writes, paging, and the messages an operator
 * sees when the database is unreachable or refuses a write.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore, StoreError } from '../../src/main/store/couch-store'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { DESIGN_DOC_ID, VALIDATE_WRITE_ID, VIEW_MAPS, VIEW_NAMES } from '../../src/main/store/design-docs'
import { SHARED_DIR } from '../helpers/paths'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let couch: EmbeddedCouch
let store: CouchStore

const doc = (id: string, over: Partial<WorkflowDoc> = {}): WorkflowDoc => ({
  _id: id, RequestName: id, Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0,
  RequestTransition: [], Requests: [], TotalEvents: -1, TotalInputLumis: -1, ...over
})

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-store-test-'))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'couch') })
  store = CouchStore.connect(couch.url, couch.authHeader, 3)
  await store.ensureSchema()
})

afterAll(async () => {
  await couch?.close()
  await rm(work, { recursive: true, force: true })
})

describe('schema', () => {
  it('creates the design documents once; a second start changes nothing and keeps other tools’ views', async () => {
    const revisions = async (): Promise<string[]> => Promise.all(
      [DESIGN_DOC_ID, VALIDATE_WRITE_ID].map(async (id) => (await store.raw<{ _rev: string }>('read', { db: 'requests', doc: id, method: 'get' }))._rev)
    )
    const before = await revisions()
    await store.ensureSchema()
    expect(await revisions()).toEqual(before)

    const design = await store.raw<{ _rev: string; views: Record<string, { map: string }> }>('read', { db: 'requests', doc: DESIGN_DOC_ID, method: 'get' })
    expect(Object.keys(design.views).sort()).toEqual([...VIEW_NAMES].sort())
    await store.raw('write', { db: 'requests', doc: DESIGN_DOC_ID, method: 'put', body: { ...design, views: { ...design.views, byPmp: { map: 'function (doc) { emit(doc._id, 1) }' } } } })
    await store.ensureSchema()
    const after = await store.raw<{ views: Record<string, unknown> }>('read', { db: 'requests', doc: DESIGN_DOC_ID, method: 'get' })
    expect(Object.keys(after.views)).toContain('byPmp')
  })

  it('stores the old Stats2 view code verbatim (as its README gives it)', async () => {
    const readme = await readFile(join(SHARED_DIR, 'seeds', '000_8d199255ac47018b.txt'), 'utf8')
    const squeeze = (code: string): string => code.replace(/\s+/g, ' ').trim()
    for (const view of VIEW_NAMES) {
      const match = new RegExp(`\\(view name:${view}\\):\\s*\\n\\s*(function \\(doc\\) \\{[\\s\\S]*?\\n\\})`).exec(readme)
      expect(match, view).not.toBeNull()
      expect(squeeze(VIEW_MAPS[view]), view).toBe(squeeze(match![1]!))
    }
  })

  it('completes an existing design document without rewriting the views it has', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'stats2-store-ddoc-'))
    const other = await startEmbeddedCouch({ dataDir: fresh, inMemory: true })
    try {
      const s = CouchStore.connect(other.url, other.authHeader)
      await s.raw('create', { db: 'requests', method: 'put' })
      const ownPrepids = 'function (doc) { if (doc.PrepID) emit(doc.PrepID, doc.RequestName); }'
      await s.raw('write', { db: 'requests', doc: DESIGN_DOC_ID, method: 'put', body: { views: { prepids: { map: ownPrepids } } } })
      await s.ensureSchema()
      const design = await s.raw<{ views: Record<string, { map: string }> }>('read', { db: 'requests', doc: DESIGN_DOC_ID, method: 'get' })
      expect(design.views.prepids!.map).toBe(ownPrepids)
      expect(Object.keys(design.views).sort()).toEqual([...VIEW_NAMES].sort())
    } finally {
      await other.close()
      await rm(fresh, { recursive: true, force: true })
    }
  })

  it('emits the seed’s keys and values: each distinct campaign and task request once, datasets, PrepID, type, processing string', async () => {
    await store.saveWorkflows([
      doc('wf_view_1', {
        Campaigns: ['C1', 'C1', 'C2'], Requests: ['R1', 'R1'], OutputDatasets: ['/a/b/AOD', '/a/b/MINIAOD'], InputDataset: '/in/put/RAW',
        PrepID: 'P-1', RequestType: 'ReReco', ProcessingString: 'PS1'
      }),
      doc('wf_view_2', { ProcessingString: '' })
    ])
    const rows = async (view: (typeof VIEW_NAMES)[number]): Promise<Array<[string, string]>> =>
      (await store.queryView(view)).rows.filter((row) => row.id.startsWith('wf_view_')).map((row) => [row.key, row.value])
    expect(await rows('campaigns')).toEqual([['C1', 'wf_view_1'], ['C2', 'wf_view_1']])
    expect(await rows('requests')).toEqual([['R1', 'wf_view_1']])
    expect(await rows('outputDatasets')).toEqual([['/a/b/AOD', 'wf_view_1'], ['/a/b/MINIAOD', 'wf_view_1']])
    expect(await rows('inputDatasets')).toEqual([['/in/put/RAW', 'wf_view_1']])
    expect(await rows('prepids')).toEqual([['P-1', 'wf_view_1']])
    expect(await rows('types')).toEqual([['ReReco', 'wf_view_1']])
    expect(await rows('processingStrings')).toEqual([['PS1', 'wf_view_1']])
    expect([...(await store.namesByOutputDatasets(['/a/b/MINIAOD', '/x/y/Z']))]).toEqual(['wf_view_1'])
    expect(await store.namesByViewKey('campaigns', 'C2')).toEqual(['wf_view_1'])
  })
})

describe('reads and writes', () => {
  it('reads in bulk, reports conflicts per document, deletes', async () => {
    const [first] = await store.saveWorkflows([doc('wf_rw_1'), doc('wf_rw_2')])
    expect(first).toMatchObject({ id: 'wf_rw_1', ok: true })
    const docs = await store.getWorkflows(['wf_rw_1', 'wf_rw_2', 'wf_rw_missing'])
    expect([...docs.keys()].sort()).toEqual(['wf_rw_1', 'wf_rw_2'])
    const stale = { ...docs.get('wf_rw_1')!, RequestPriority: 1 }
    expect((await store.saveWorkflow(stale)).ok).toBe(true)
    const conflict = await store.saveWorkflow({ ...stale, RequestPriority: 2 })
    expect(conflict).toMatchObject({ ok: false, error: 'conflict' })
    expect(await store.deleteWorkflows(['wf_rw_2', 'wf_rw_missing'])).toEqual(['wf_rw_2'])
    expect(await store.getWorkflow('wf_rw_2')).toBeUndefined()
  })

  it('pages names without the design documents, whatever the case of the names', async () => {
    const names = ['AAA_1', 'Zed_2', 'abc_3', 'pdmvserv_4', 'zz_5']
    const fresh = await mkdtemp(join(tmpdir(), 'stats2-store-names-'))
    const other = await startEmbeddedCouch({ dataDir: fresh, inMemory: true })
    try {
      const s = CouchStore.connect(other.url, other.authHeader)
      await s.ensureSchema()
      await s.saveWorkflows(names.map((name) => doc(name)))
      expect(await s.countWorkflows()).toBe(5)
      const pages: string[] = []
      for (let skip = 0; skip < 5; skip += 2) pages.push(...(await s.listNames({ skip, limit: 2 })).names)
      expect(pages).toEqual(names)
      expect((await s.listNames({ limit: 1 })).total).toBe(5)
      expect((await s.listNames({ startkey: 'Zed', endkey: 'Zed\ufff0' })).names).toEqual(['Zed_2'])
      const all: string[] = []
      for await (const page of s.allWorkflows(2)) all.push(...page.map((d) => d._id))
      expect(all).toEqual(names)
    } finally {
      await other.close()
      await rm(fresh, { recursive: true, force: true })
    }
  })

  it('re-applies a settings change on top of a concurrent one instead of losing either', async () => {
    await store.updateSettings((s) => ({ ...s, failed_workflows: ['a'] }))
    let calls = 0
    const result = await store.updateSettings(async (s) => {
      if (calls++ === 0) {
        // Another updater writes between our read and our write.
        await store.raw('race', { db: 'settings', doc: 'all_settings', method: 'put', body: { ...s, failed_workflows: ['a', 'c'], last_dbs_update_date: 42 } })
      }
      return { ...s, failed_workflows: [...(s.failed_workflows ?? []), 'b'] }
    })
    expect(calls).toBe(2)
    const settings = await store.getSettings()
    expect(result.failed_workflows).toEqual(['a', 'c', 'b'])
    expect(settings).toMatchObject({ failed_workflows: ['a', 'c', 'b'], last_dbs_update_date: 42 })
  })
})

describe('what the operator is told', () => {
  it('names the URL when CouchDB is unreachable', async () => {
    const nowhere = CouchStore.connect('http://127.0.0.1:1')
    await expect(nowhere.getWorkflow('x')).rejects.toThrow(/Cannot reach CouchDB at http:\/\/127\.0\.0\.1:1/)
    await expect(CouchStore.open({ url: 'http://127.0.0.1:1', dataDir: work })).rejects.toBeInstanceOf(StoreError)
  })

  it('refuses writes without the admin credentials, saying which setting is missing', async () => {
    const anonymous = CouchStore.connect(couch.url)
    expect(await anonymous.getWorkflow('wf_rw_1')).toBeDefined()
    const refused = await anonymous.saveWorkflow(doc('wf_anon'))
    expect(refused).toMatchObject({ ok: false, error: 'forbidden' })
    await expect(anonymous.updateSettings((s) => ({ ...s, failed_workflows: ['x'] }))).rejects.toThrow(/STATS_DB_AUTH_HEADER/)
  })

  it('accepts credentials in the DB_URL itself', async () => {
    const url = new URL(couch.url)
    url.username = couch.adminUser
    url.password = couch.adminPassword
    const withUserInfo = CouchStore.connect(url.toString())
    expect(withUserInfo.url).toBe(couch.url)
    expect((await withUserInfo.saveWorkflow(doc('wf_userinfo'))).ok).toBe(true)
  })
})
