/**
 * The watchlist service over the real embedded store (in memory): pinned-first ordering of an
 * update-all, notifications from the documents before and after a run, no repeats, a failed run.
 * The update itself is stood for by a function that writes documents into the store the way an
 * update would (the real updater is exercised end to end in tests/e2e/watchlist.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { Watchlist } from '../../src/main/watchlist/watchlist'
import type { UpdateReport, UpdateScope } from '../../src/shared/update-types'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import type { WatchEvent } from '../../src/shared/watchlist'
import { viewName } from '../../src/shared/workflow-view'

const NOW = 1_790_000_000
let dir: string
let store: CouchStore
let watch: Watchlist
const told: WatchEvent[] = []

function doc(name: string, prepId: string, status: string, valid = false): WorkflowDoc {
  return {
    _id: name,
    RequestName: name,
    PrepID: prepId,
    Campaigns: ['Run3Summer22GS'],
    Requests: [prepId],
    RequestPriority: 1,
    RequestTransition: [{ Status: 'running-open', UpdateTime: NOW - 7200 }, ...(status === 'running-open' ? [] : [{ Status: status, UpdateTime: NOW - 60 }])],
    OutputDatasets: ['/P/E-v1/GEN-SIM'],
    TotalEvents: 100,
    TotalInputLumis: null,
    EventNumberHistory: [{ Time: NOW - 3600, Datasets: { '/P/E-v1/GEN-SIM': { Type: valid ? 'VALID' : 'PRODUCTION', Events: 90, Size: 9 } } }]
  }
}

const A = 'pdmvserv_task_HIG-Run3Summer22GS-00001__v1_T_260101_101010_1111'
const B = 'pdmvserv_task_HIG-Run3Summer22GS-00002__v1_T_260102_101010_2222'
const C = 'pdmvserv_task_EXO-Run3Summer22GS-00003__v1_T_260103_101010_3333'

function report(scope: UpdateScope, failed: Array<{ name: string; reason: string }> = []): UpdateReport {
  return {
    scope: scope.kind, startedAt: 0, finishedAt: 0, changed: 0, deleted: 0, written: 0, unchanged: 0, recalculated: 0, historyAdded: 0,
    failed, notifications: { sent: 0, failed: 0 }, warnings: [], cancelled: false
  }
}

async function save(...docs: WorkflowDoc[]): Promise<void> {
  const existing = await store.getWorkflows(docs.map((d) => d._id))
  await store.saveWorkflows(docs.map((d) => ({ ...d, ...(existing.get(d._id)?._rev ? { _rev: existing.get(d._id)!._rev } : {}) })))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stats2-watch-service-'))
  store = await CouchStore.open({ dataDir: join(dir, 'store'), url: undefined }, { inMemory: true })
  await save(doc(A, 'HIG-Run3Summer22GS-00001', 'running-open'), doc(B, 'HIG-Run3Summer22GS-00002', 'running-open'), doc(C, 'EXO-Run3Summer22GS-00003', 'running-open'))
  watch = await Watchlist.open(join(dir, 'user'), { store: async () => store, now: () => NOW, onEvents: (events) => told.push(...events) })
}, 60_000)

afterAll(async () => {
  await store?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('watchlist service', () => {
  it('resolves pinned PrepIDs and workflows to stored workflow names', async () => {
    await watch.add({ kind: 'prepid', value: 'HIG-Run3Summer22GS-00001' })
    await watch.add({ kind: 'workflow', value: B })
    expect((await watch.pinnedNames()).sort()).toEqual([A, B])
    const view = await watch.view()
    expect(view.items.map((i) => [i.item.value, i.total, i.workflows.map(viewName)])).toEqual([
      ['HIG-Run3Summer22GS-00001', 1, [A]],
      [B, 1, [B]]
    ])
  })

  it('updates the pinned workflows first, then everything, and notifies what changed for them only', async () => {
    const scopes: UpdateScope[] = []
    const result = await watch.runWatched({ kind: 'all' }, async (scope) => {
      scopes.push(scope)
      if (scope.kind === 'names') await save(doc(A, 'HIG-Run3Summer22GS-00001', 'completed'))
      else await save(doc(B, 'HIG-Run3Summer22GS-00002', 'running-open', true), doc(C, 'EXO-Run3Summer22GS-00003', 'completed'))
      return report(scope)
    })
    expect(scopes.map((s) => s.kind)).toEqual(['names', 'all'])
    expect((scopes[0] as { names: string[] }).names.sort()).toEqual([A, B])
    expect(result.scope).toBe('all')
    expect(told.map((e) => [e.kind, e.workflow]).sort()).toEqual([['dataset-valid', B], ['status', A]])
    expect((await watch.view()).recent.map((e) => e.workflow).sort()).toEqual([A, B])
  })

  it('does not tell the same facts again on the next run', async () => {
    const before = told.length
    await watch.runWatched({ kind: 'all' }, async (scope) => report(scope))
    expect(told.length).toBe(before)
  })

  it('tells a failed update of a pinned workflow, and a failed watchlist run, once each', async () => {
    const before = told.length
    const fail = async (scope: UpdateScope): Promise<UpdateReport> => report(scope, scope.kind === 'names' ? [{ name: B, reason: 'ReqMgr2 answered 502' }] : [])
    await watch.runWatched({ kind: 'names', names: [B] }, fail)
    await watch.runWatched({ kind: 'names', names: [B] }, fail)
    expect(told.slice(before).map((e) => [e.kind, e.workflow, e.body])).toEqual([['update-failed', B, `${B}: ReqMgr2 answered 502`]])
    const down = async (): Promise<UpdateReport> => {
      throw new Error('cmsweb unreachable')
    }
    await expect(watch.runWatched({ kind: 'all' }, down)).rejects.toThrow('cmsweb unreachable')
    await expect(watch.runWatched({ kind: 'all' }, down)).rejects.toThrow('cmsweb unreachable')
    const whole = told.slice(before + 1)
    expect(whole.map((e) => [e.kind, e.workflow, e.title, e.body])).toEqual([['update-failed', '', 'Watchlist update failed', 'cmsweb unreachable']])
  })

  it('without pinned items runs the update as asked, once', async () => {
    await watch.remove({ kind: 'prepid', value: 'HIG-Run3Summer22GS-00001' })
    await watch.remove({ kind: 'workflow', value: B })
    const scopes: UpdateScope[] = []
    await watch.runWatched({ kind: 'all' }, async (scope) => {
      scopes.push(scope)
      return report(scope)
    })
    expect(scopes).toEqual([{ kind: 'all' }])
  })
})
