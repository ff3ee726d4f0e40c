/**
 * Bad input and odd stores, through every door: `GET api/overview` answers 400 with the reason for
 * an unknown, empty or repeated parameter; `stats2 overview` exits 2 with the reason; the IPC
 * contract refuses a bad selection; an empty selection is an empty board with a clear sentence;
 * documents that do not fit the schema are counted as not readable, named, and break nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { loadConfig } from '../../src/main/config/config'
import { dispatch } from '../../src/main/ipc/handlers'
import { readOnlyHandlers } from '../../src/main/serve/dashboard'
import { ReadModel } from '../../src/main/read-model/read-model'
import { overviewJsonSchema, type OverviewJson, type OverviewView } from '../../src/shared/overview/types'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import type { Result } from '../../src/shared/result'
import { runCli } from '../helpers/cli'
import { call, serveStore, type ServiceUnderTest } from '../serve/helpers'

let work: string
let store: CouchStore
let served: ServiceUnderTest
let env: Record<string, string>

const NOW = Math.floor(Date.now() / 1000)

function doc(i: number, over: Record<string, unknown> = {}): WorkflowDoc {
  const name = `pdmvserv_task_B2G-Camp-${String(i).padStart(5, '0')}__v1_T_250101_101010_${1000 + i}`
  const output = `/Prim${i}/Camp-v1/AODSIM`
  return {
    _id: name, RequestName: name, PrepID: `B2G-Camp-${i}`, RequestType: 'TaskChain', Campaigns: ['CampA'], Requests: [], RequestPriority: 90000,
    RequestTransition: [{ Status: 'new', UpdateTime: NOW - 86_400 }, { Status: 'running-open', UpdateTime: NOW - 3600 }],
    OutputDatasets: [output], TotalEvents: 1000, TotalInputLumis: -1,
    EventNumberHistory: [{ Time: NOW - 600, Datasets: { [output]: { Type: 'PRODUCTION', Events: 100 * i, Size: 1 } } }],
    ...over
  } as WorkflowDoc
}

const ODD = [
  doc(90, { RequestTransition: 'running' }),
  doc(91, { PrepID: { nested: true } }),
  doc(92, { EventNumberHistory: [{ Time: 'yesterday', Datasets: {} }] }),
  doc(93, { OutputDatasets: [42], Campaigns: ['CampA', { odd: 1 }] })
]

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-overview-bad-'))
  store = await CouchStore.open({ dataDir: work }, { inMemory: true })
  const written = await store.saveWorkflows([doc(1), doc(2), doc(3, { Campaigns: ['CampB'], RequestPriority: 63000 }), ...ODD])
  expect(written.filter((result) => !result.ok)).toEqual([])
  const server = store.embeddedServer!
  env = { HOME: work, DB_URL: server.url, STATS_DB_AUTH_HEADER: server.authHeader }
  served = await serveStore(store, loadConfig(env), env)
})

afterAll(async () => {
  await served?.close()
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

const api = (query: string) => call(`${served.origin}/stats/api/overview${query}`)

describe('api/overview', () => {
  it('answers 400 with the reason for an unknown, empty or repeated parameter, or a bad stall time', async () => {
    const cases: Array<[string, RegExp]> = [
      ['?colour=blue', /Unknown parameter "colour".*campaign/],
      ['?watchlist', /Unknown parameter "watchlist"/],
      ['?campaign=', /Parameter "campaign" is empty/],
      ['?search=%20', /Parameter "search" is empty/],
      ['?campaign=CampA&campaign=CampB', /more than once/],
      ['?stall_hours=0', /stall_hours must be a whole number/],
      ['?stall_hours=2.5', /stall_hours must be a whole number/],
      ['?scope=yes', /takes no value/],
      [`?prepid=${'x'.repeat(1200)}`, /1200 characters long/],
      ['?campaign=a%0Ab', /control characters/]
    ]
    for (const [query, reason] of cases) {
      const answer = await api(query)
      expect(answer.status, query).toBe(400)
      expect(answer.headers['content-type']).toBe('application/json')
      expect((JSON.parse(answer.text) as { error: string }).error, query).toMatch(reason)
    }
  })

  it('counts documents that do not fit the schema as not readable, and an empty selection as an empty board', async () => {
    const all = JSON.parse((await api('')).text) as OverviewJson
    expect(overviewJsonSchema.parse(all)).toEqual(all)
    expect(all.total).toBe(7)
    expect(all.notReadable).toBe(4)
    expect(all.byStatus).toEqual({ 'running-open': { workflows: 3, events: 600, expected: 3000 } })
    expect(Object.keys(all.byCampaign)).toEqual(['CampA', 'CampB'])
    expect(Object.keys(all.byPriorityBlock)).toEqual(['block 2', 'block 6'])
    // Selected by what the views would find it by, even when not readable (its campaign is a string).
    const campaign = JSON.parse((await api('?campaign=CampA')).text) as OverviewJson
    expect([campaign.total, campaign.notReadable]).toEqual([6, 4])
    const none = await api('?campaign=NoSuchCampaign')
    expect(none.status).toBe(200)
    expect(JSON.parse(none.text)).toMatchObject({ total: 0, notReadable: 0, byStatus: {}, byCampaign: {}, durations: {}, attention: [] })
  })
})

describe('stats2 overview', () => {
  it('exits 2 with the reason on a usage error', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['overview', '--colour', 'blue'], /colour/],
      [['overview', '--campaign', 'CampA', '--prepid', 'P'], /one selection at a time/],
      [['overview', '--campaign', ' '], /--campaign needs a value/],
      [['overview', '--stall-hours', '0'], /--stall-hours must be a whole number/],
      [['overview', 'CampA'], /options only/]
    ]
    for (const [args, reason] of cases) {
      const run = await runCli(args, env)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.err, args.join(' ')).toMatch(reason)
    }
  })

  it('says so when nothing is selected, and counts what is not readable', async () => {
    const empty = await runCli(['overview', '--campaign', 'NoSuchCampaign'], env)
    expect(empty.code).toBe(0)
    expect(empty.out).toMatch(/campaign NoSuchCampaign: 0 workflows\.\nNothing to show: no stored workflow is in this selection/)
    const all = await runCli(['overview'], env)
    expect(all.code).toBe(0)
    expect(all.out).toMatch(/every stored workflow: 7 workflows \(4 not readable/)
    expect(all.out).toMatch(/running-open\s+3\s+600\s+3.000\s+20\.0 %/)
  })
})

describe('the read-only dashboard\'s overview channels', () => {
  it('validate their arguments, answer the view, and leave the last look to the browser', async () => {
    const handlers = readOnlyHandlers(new ReadModel(store))
    const bad = await dispatch(handlers, 'getOverview', { selection: { kind: 'field', field: 'colour', value: 'blue' } })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    const extra = await dispatch(handlers, 'getOverview', { selection: { kind: 'all' }, sneaky: true })
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    const watchlist = await dispatch(handlers, 'getOverview', { selection: { kind: 'watchlist' } })
    expect(watchlist).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/no watchlist here/) } })
    const answer = await dispatch(handlers, 'getOverview', { selection: { kind: 'all' } }) as Result<OverviewView>
    expect(answer.ok).toBe(true)
    const view = (answer as { value: OverviewView }).value
    expect(view.notReadable.count).toBe(4)
    expect(view.notReadable.examples.map((example) => example.workflow).sort()).toEqual(ODD.map((odd) => odd._id).sort())
    expect(view.notReadable.examples.every((example) => example.issue.length > 0)).toBe(true)
    expect(await dispatch(handlers, 'markOverviewLook', {})).toEqual({ ok: true, value: { where: 'browser' } })
    const list = await dispatch(handlers, 'getOverviewList', { selection: { kind: 'all' }, drill: { status: 'running-open', block: 2 } })
    expect(list).toMatchObject({ ok: true, value: { total: 2, rows: [{ name: doc(1)._id }, { name: doc(2)._id }] } })
    const badDrill = await dispatch(handlers, 'getOverviewList', { selection: { kind: 'all' }, drill: { block: 9 } })
    expect(badDrill).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
  })
})
