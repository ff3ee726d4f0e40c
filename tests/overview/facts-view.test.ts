/**
 * The facts view's slim copies give the same facts as the whole documents (src/main/overview/facts-view.ts),
 * over the real embedded store and its native view index: real Stats2 documents, long histories,
 * and documents shaped to catch a slimming that would hide a problem the schema sees, or lose
 * a point the ETA or a dataset's "since" needs. A store whose design document holds another
 * function falls back to whole documents, with the same facts.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { openFactsSource } from '../../src/main/overview/facts-source'
import { FACTS_VIEW, OVERVIEW_DESIGN_ID } from '../../src/main/overview/facts-view'
import { factsOf } from '../../src/shared/overview/facts'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { REFERENCE_DIR } from '../helpers/paths'

let work: string
let store: CouchStore

const HOUR = 3600
const T0 = 1_760_000_000
const out = (tier: string): string => `/Prim/Camp-v1/${tier}`

function base(name: string, over: Partial<WorkflowDoc> = {}): WorkflowDoc {
  return {
    _id: name, RequestName: name, PrepID: `HIG-${name}`, RequestType: 'TaskChain', Campaigns: ['Camp'], Requests: [], RequestPriority: 85000,
    RequestTransition: [{ Status: 'new', UpdateTime: T0 }, { Status: 'running-open', UpdateTime: T0 + HOUR }],
    OutputDatasets: [out('GEN-SIM'), out('AODSIM')], TotalEvents: 100_000, TotalInputLumis: -1, EventNumberHistory: [], ...over
  }
}

/** 300 entries every 30 minutes: GEN-SIM goes PRODUCTION → VALID, AODSIM grows, then INVALID at the end. */
function longHistory(): WorkflowDoc['EventNumberHistory'] {
  return Array.from({ length: 300 }, (_, i) => ({
    Time: T0 + 2 * HOUR + i * 1800,
    Datasets: {
      [out('GEN-SIM')]: { Type: i < 120 ? 'PRODUCTION' : 'VALID', Events: Math.min(100_000, i * 900), Size: i },
      [out('AODSIM')]: { Type: i < 290 ? 'PRODUCTION' : 'INVALID', Events: i * 250, Size: i },
      '/Other/NotAnOutput/RAW': { Type: 'VALID', Events: 1, Size: 1 }
    }
  }))
}

const ODD: Array<[string, Partial<WorkflowDoc> & Record<string, unknown>]> = [
  ['long', { EventNumberHistory: longHistory() }],
  ['lumis', {
    RequestType: 'ReReco', TotalInputLumis: 500, LumiList: { 1: [[1, 10], [20, 30]], 7: [[5, 5]] } as never,
    EventNumberHistory: Array.from({ length: 80 }, (_, i) => ({ Time: T0 + i * 3600, Datasets: { [out('AODSIM')]: { Type: 'PRODUCTION', Events: i * 10, Size: 1, Lumis: i * 3 } } }))
  }],
  ['equal-times', { EventNumberHistory: [
    { Time: T0 + 10, Datasets: { [out('AODSIM')]: { Type: 'PRODUCTION', Events: 5, Size: 1 } } },
    { Time: T0 + 10, Datasets: { [out('AODSIM')]: { Type: 'VALID', Events: 7, Size: 1 } } },
    { Time: T0 + 10, Datasets: { [out('AODSIM')]: { Type: 'VALID', Events: 9, Size: 1 } } },
    { Time: T0 + 5, Datasets: { [out('AODSIM')]: { Type: 'PRODUCTION', Events: 1, Size: 1 } } }
  ] }],
  ['deleted-then-back', { OutputDatasets: [out('AODSIM'), out('AODSIM')], EventNumberHistory: [
    { Time: T0 + 1, Datasets: { [out('AODSIM')]: { Type: 'INVALID', Events: 5, Size: 1 } } },
    { Time: T0 + 2, Datasets: {} },
    { Time: T0 + 3, Datasets: { [out('AODSIM')]: { Type: 'DELETED', Events: 5, Size: 1 } } },
    { Time: T0 + 9, Datasets: { [out('GEN-SIM')]: { Type: 'VALID', Events: 5, Size: 1 } } }
  ] }],
  // Problems in entries a slim copy would drop: the schema must still see them.
  ['bad-old-time', { EventNumberHistory: [{ Time: -5, Datasets: {} }, ...longHistory().slice(0, 10)] }],
  ['bad-old-lumis', { EventNumberHistory: [{ Time: T0, Datasets: { [out('GEN-SIM')]: { Type: 'PRODUCTION', Events: 1, Size: 1, Lumis: null as never } } }, ...longHistory().slice(0, 10)] }],
  ['bad-other-dataset', { EventNumberHistory: [{ Time: T0, Datasets: { '/X/Y/RAW': { Type: 7 as never, Events: 1, Size: 1 } } }, ...longHistory().slice(0, 10)] }],
  ['lone-surrogate', { EventNumberHistory: [{ Time: T0, Datasets: { '/X/Y/RAW': { Type: 'VALID\ud800', Events: 1, Size: 1 } } }, ...longHistory().slice(0, 10)] }],
  ['deep', { EventNumberHistory: [{ Time: T0, Datasets: { '/X/Y/RAW': { Type: 'VALID', Events: 1, Size: 1, extra: JSON.parse('['.repeat(70) + ']'.repeat(70)) } as never } }] }],
  ['history-object', { EventNumberHistory: { Time: T0 } as never }],
  ['outputs-not-text', { OutputDatasets: [5, out('AODSIM')] as never, EventNumberHistory: longHistory().slice(0, 3) }],
  ['lumis-odd', { LumiList: { 1: 'all' } as never, RequestType: 'ReReco', TotalInputLumis: 10 }],
  ['lumis-surrogate-key', { LumiList: { '\udc00': [[1, 2]] } as never }],
  ['no-history', { EventNumberHistory: [], RequestTransition: [] }],
  ['priority-string', { RequestPriority: '90000' as never }]
]

function realDocs(): WorkflowDoc[] {
  return (JSON.parse(readFileSync(join(REFERENCE_DIR, 'stats2', 'stats2_workflow_docs_sample.json'), 'utf8')) as WorkflowDoc[]).map(({ _rev, ...doc }) => doc as WorkflowDoc)
}

const docs = (): WorkflowDoc[] => [...realDocs(), ...ODD.map(([name, over]) => base(`odd_${name}`, over))]

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-facts-view-'))
  store = await CouchStore.open({ dataDir: work }, { inMemory: true })
  const results = await store.saveWorkflows(docs())
  expect(results.filter((result) => !result.ok)).toEqual([])
})

afterAll(async () => {
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

async function everything(source: Awaited<ReturnType<typeof openFactsSource>>): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>()
  for await (const page of source.all()) for (const [name, doc] of page) found.set(name, doc)
  return found
}

describe('the facts view', () => {
  it('gives, for every document, the facts of the whole document, and slim copies of long histories', async () => {
    const source = await openFactsSource(store)
    expect(source.kind).toBe('view')
    const slim = await everything(source)
    const whole = new Map((await store.getWorkflows(docs().map((doc) => doc._id))).entries())
    expect([...slim.keys()].sort()).toEqual([...whole.keys()].sort())
    for (const [name, doc] of whole) expect(factsOf(slim.get(name), name), name).toEqual(factsOf(doc, name))
    // The odd ones are judged as intended (not readable where the schema refuses the whole document).
    const readable = (name: string): boolean => factsOf(whole.get(`odd_${name}`), `odd_${name}`).readable
    expect(['bad-old-time', 'bad-old-lumis', 'bad-other-dataset', 'lone-surrogate', 'deep', 'history-object', 'outputs-not-text', 'lumis-odd', 'lumis-surrogate-key', 'priority-string'].filter(readable)).toEqual([])
    expect(['long', 'lumis', 'equal-times', 'deleted-then-back', 'no-history'].every(readable)).toBe(true)
    // What makes the view worth it: the long history is a fraction of its document.
    const size = (value: unknown): number => JSON.stringify(value).length
    expect(size(slim.get('odd_long'))).toBeLessThan(size(whole.get('odd_long')) / 3)
    // The same through the key lookup the engine uses after a change.
    const some = await source.some(['odd_long', 'odd_lumis', 'no-such-workflow'])
    expect([...some.keys()].sort()).toEqual(['odd_long', 'odd_lumis'])
    expect(factsOf(some.get('odd_long'), 'odd_long')).toEqual(factsOf(whole.get('odd_long'), 'odd_long'))
  })

  it('falls back to whole documents when the design document holds another function, with the same facts', async () => {
    const design = await store.raw<Record<string, unknown>>('read', { db: 'requests', path: OVERVIEW_DESIGN_ID, method: 'get' })
    const views = design.views as Record<string, { map: string }>
    await store.raw('write', { db: 'requests', path: OVERVIEW_DESIGN_ID, method: 'put', body: { ...design, views: { ...views, [FACTS_VIEW]: { map: 'function (doc) { emit(doc._id, {}); }' } } } })
    const source = await openFactsSource(store)
    expect(source.kind).toBe('documents')
    const all = await everything(source)
    const whole = await store.getWorkflows(docs().map((doc) => doc._id))
    for (const [name, doc] of whole) expect(factsOf(all.get(name), name)).toEqual(factsOf(doc, name))
  })
})
