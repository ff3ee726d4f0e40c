/**
 * The scope on Stats2 documents: the exact test (`inScope`) on hand-made documents, and the Mango
 * selector evaluated by a real store's `_changes?filter=_selector` (the embedded store over HTTP):
 * it lets through every document in the scope, leaves out most of the others, and lets tombstones
 * through.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inScope, scopeSelector } from '../../src/main/replica/scope-filter'
import type { SyncScope } from '../../src/shared/sync-scope'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { EPOCH, fillSource, startSource, syntheticDoc, type Source } from './helpers'

const scope = (over: Partial<SyncScope>): SyncScope => ({ campaigns: [], prepIds: [], statuses: [], workflows: [], ...over })

function doc(over: Partial<WorkflowDoc> & { _id: string }): WorkflowDoc {
  return { Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0, RequestTransition: [], Requests: [], TotalEvents: 0, TotalInputLumis: -1, ...over }
}

describe('inScope on Stats2 documents', () => {
  const running = doc({
    _id: 'wf_running', Campaigns: ['CampA', 'CampB'], PrepID: 'HIG-CampA-00001', Requests: ['HIG-Task-00007'],
    RequestTransition: [{ Status: 'new', UpdateTime: EPOCH + 3600 }, { Status: 'assigned', UpdateTime: EPOCH + 90_000 }, { Status: 'running-open', UpdateTime: EPOCH + 200_000 }]
  })
  const archived = doc({
    _id: 'wf_archived', Campaigns: ['CampA'], PrepID: 'EXO-CampA-00002',
    RequestTransition: [{ Status: 'new', UpdateTime: EPOCH + 5 * 86_400 }, { Status: 'running-open', UpdateTime: EPOCH + 6 * 86_400 }, { Status: 'normal-archived', UpdateTime: EPOCH + 9 * 86_400 }]
  })

  it('campaigns match any of Campaigns; PrepIDs the top level or a task, exact or glob', () => {
    expect(inScope(scope({ campaigns: ['CampB'] }), running)).toBe(true)
    expect(inScope(scope({ campaigns: ['CampC'] }), running)).toBe(false)
    expect(inScope(scope({ prepIds: ['HIG-CampA-00001'] }), running)).toBe(true)
    expect(inScope(scope({ prepIds: ['HIG-Task-*'] }), running)).toBe(true)
    expect(inScope(scope({ prepIds: ['HIG-Task-0000?'] }), running)).toBe(true)
    expect(inScope(scope({ prepIds: ['HIG-Task'] }), running)).toBe(false)
    expect(inScope(scope({ prepIds: ['EXO-*'] }), running)).toBe(false)
  })

  it('the status is the last transition; ACTIVE leaves archived workflows out', () => {
    expect(inScope(scope({ statuses: ['running-open'] }), running)).toBe(true)
    expect(inScope(scope({ statuses: ['assigned'] }), running)).toBe(false) // an earlier status does not count
    expect(inScope(scope({ statuses: ['ACTIVE'] }), running)).toBe(true)
    expect(inScope(scope({ statuses: ['ACTIVE'] }), archived)).toBe(false)
    expect(inScope(scope({ campaigns: ['CampA'], statuses: ['ARCHIVED'] }), archived)).toBe(true)
  })

  it('the request date is the day of the "new" transition (UTC, inclusive window); named workflows are always in', () => {
    expect(inScope(scope({ requestedFrom: '2025-01-01', requestedTo: '2025-01-01' }), running)).toBe(true)
    expect(inScope(scope({ requestedFrom: '2025-01-02' }), running)).toBe(false)
    expect(inScope(scope({ requestedTo: '2025-01-05' }), archived)).toBe(false)
    expect(inScope(scope({ requestedTo: '2025-01-06' }), archived)).toBe(true)
    expect(inScope(scope({ campaigns: ['Other'], workflows: ['wf_archived'] }), archived)).toBe(true)
    expect(inScope(scope({ workflows: ['wf_archived'] }), running)).toBe(false)
    expect(inScope(undefined, running)).toBe(true)
  })
})

describe('the selector, evaluated by a real store', () => {
  let work: string
  let source: Source
  let docs: WorkflowDoc[]

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'stats2-selector-'))
    source = await startSource(join(work, 'source'))
    docs = await fillSource(source, 600, 5)
    // Two tombstones: one of a workflow in every scope below, one of a workflow in none.
    await source.store.deleteWorkflows([docs[0]!._id, docs[1]!._id])
  }, 60_000)
  afterAll(async () => {
    await source?.close()
    await rm(work, { recursive: true, force: true })
  })

  async function selected(syncScope: SyncScope): Promise<{ live: Set<string>; deleted: Set<string> }> {
    const answer = await fetch(`${source.url}/requests/_changes?filter=_selector&style=all_docs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ selector: scopeSelector(syncScope) })
    })
    expect(answer.status).toBe(200)
    const body = (await answer.json()) as { results: Array<{ id: string; deleted?: boolean }> }
    return {
      live: new Set(body.results.filter((r) => !r.deleted).map((r) => r.id)),
      deleted: new Set(body.results.filter((r) => r.deleted).map((r) => r.id))
    }
  }

  const cases: Array<[string, SyncScope]> = [
    ['two campaigns', scope({ campaigns: ['Run3Summer03', 'Run3Summer17'] })],
    ['a PrepID glob (top level)', scope({ prepIds: ['task_HIG-Run3Summer05-*'] })],
    ['a task PrepID, exact', scope({ prepIds: [syntheticDoc(42, 5).Requests[0] as string] })],
    ['ACTIVE in a campaign', scope({ campaigns: ['Run3Summer02'], statuses: ['ACTIVE'] })],
    ['RUNNING', scope({ statuses: ['RUNNING'] })],
    ['a request-date window', scope({ requestedFrom: '2025-01-10', requestedTo: '2025-01-20' })],
    ['named workflows only', scope({ workflows: [syntheticDoc(7, 5)._id, syntheticDoc(8, 5)._id] })]
  ]

  it.each(cases)('%s: every document in the scope passes, most others do not, tombstones pass', async (_what, syncScope) => {
    const live = docs.slice(2)
    const wanted = live.filter((d) => inScope(syncScope, d)).map((d) => d._id)
    expect(wanted.length).toBeGreaterThan(0)
    const { live: passed, deleted } = await selected(syncScope)
    for (const id of wanted) expect(passed.has(id), `${id} is in the scope`).toBe(true)
    // A superset only where statuses are involved (a selector cannot read the last transition).
    const extra = [...passed].filter((id) => !wanted.includes(id))
    if (syncScope.statuses.length === 0) expect(extra).toEqual([])
    else expect(extra.length).toBeLessThan(live.length - wanted.length)
    expect([...deleted].sort()).toEqual([docs[0]!._id, docs[1]!._id].sort())
  })

  it('no scope: no selector at all', () => {
    expect(scopeSelector(undefined)).toBeUndefined()
    expect(scopeSelector(scope({}))).toBeUndefined()
  })
})
