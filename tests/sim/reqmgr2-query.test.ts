/**
 * ReqMgr2's query API and couchapp views in the simulator, as WMCore's Request.get answers them:
 * intersection of the filters (union within one), names only with detail=false, masks, common_dict,
 * ACTIVE, the archived-with-detail refusal, unknown parameters ignored; views by key range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import type { Scenario } from '../../src/sim/scenario'
import { STATUS_SETS } from '../../src/shared/sync-scope'
import { agentsFor, call, COUCH, tempDir, type Agents } from './helpers'

type Doc = Record<string, unknown>
let scenario: Scenario
let sim: Simulator
let agents: Agents
let cleanup: () => Promise<void>

beforeAll(async () => {
  scenario = generateScenario({ workflows: 300, steps: 1, seed: 4 })
  const tmp = await tempDir()
  cleanup = tmp.cleanup
  sim = await startSimulator({ scenario, tlsDir: tmp.dir })
  agents = await agentsFor(sim)
})

afterAll(async () => {
  await agents.close()
  await sim.close()
  await cleanup()
})

const docs = (): Array<[string, Doc]> => [...scenario.steps[0]!.reqmgr2]
const where = (test: (doc: Doc) => boolean): string[] => docs().filter(([, doc]) => test(doc)).map(([name]) => name).sort()

async function names(query: string): Promise<string[]> {
  const reply = await call(sim, agents.cert, `/reqmgr2/data/request?${query}&detail=false`)
  expect(reply.status).toBe(200)
  return reply.json<{ result: string[] }>().result.sort()
}

describe('reqmgr2/data/request', () => {
  it('intersects the filters and unites the values of one filter', async () => {
    const campaign = String(docs().find(([, d]) => d.RequestType === 'ReReco')![1].Campaign)
    const other = String(docs().find(([, d]) => d.RequestType === 'TaskChain' && d.Campaign !== campaign)![1].Campaign)
    expect(await names(`campaign=${campaign}`)).toEqual(where((d) => d.Campaign === campaign))
    expect(await names(`campaign=${campaign}&campaign=${other}`)).toEqual(where((d) => d.Campaign === campaign || d.Campaign === other))
    const both = where((d) => d.Campaign === campaign && ['running-open', 'completed'].includes(String(d.RequestStatus)))
    expect(both.length).toBeGreaterThan(0)
    expect(await names(`campaign=${campaign}&status=running-open&status=completed`)).toEqual(both)
    expect(await names('status=ACTIVE')).toEqual(where((d) => (STATUS_SETS.ACTIVE ?? []).includes(String(d.RequestStatus))))
    // A task's PrepID finds its request, as the byprepid view emits them.
    const chain = docs().find(([, d]) => d.RequestType === 'TaskChain' && (d.Task2 as Doc | undefined)?.PrepID !== d.PrepID)!
    const taskPrepId = String((chain[1].Task2 as Doc).PrepID)
    expect(await names(`prep_id=${encodeURIComponent(taskPrepId)}`)).toContain(chain[0])
    // Unknown parameters are ignored; date_range (one string key of an array-keyed view) matches nothing.
    expect(await names(`campaign=${campaign}&whatever=1`)).toEqual(where((d) => d.Campaign === campaign))
    expect(await names(`campaign=${campaign}&date_range=2024`)).toEqual([])
    expect(await names('campaign=NoSuchCampaign')).toEqual([])
  })

  it('answers documents keyed by name, masked fields, or a list with common_dict=1', async () => {
    const [name, doc] = docs().find(([, d]) => d.RequestType === 'StepChain')!
    const full = await call(sim, agents.cert, `/reqmgr2/data/request?name=${name}`)
    expect(full.json<{ result: Doc[] }>().result[0]![name]).toEqual({ ...doc, _id: name })
    const masked = await call(sim, agents.cert, `/reqmgr2/data/request?name=${name}&mask=RequestStatus&mask=Campaign&mask=NoSuchKey`)
    const value = masked.json<{ result: Doc[] }>().result[0]![name] as Doc
    expect(value.RequestStatus).toBe(doc.RequestStatus)
    expect(value.NoSuchKey).toBeNull()
    expect(Array.isArray(value.Campaign)).toBe(true) // per-step values of a StepChain
    const listed = await call(sim, agents.cert, `/reqmgr2/data/request?name=${name}&common_dict=1&mask=RequestName`)
    expect(listed.json()).toEqual({ result: [{ RequestName: name }] })
  })

  it('refuses archived statuses with detail on, in ReqMgr2\'s error shape', async () => {
    const reply = await call(sim, agents.cert, '/reqmgr2/data/request?status=normal-archived')
    expect(reply.status).toBe(400)
    expect(reply.headers['x-rest-status']).toBe('1102')
    expect(await names('status=normal-archived')).toEqual([])
  })
})

describe('ReqMgr couchapp views', () => {
  it('bydate by key range, with the status in the value; byprepid by prefix', async () => {
    const reply = await call(sim, agents.cert, `${COUCH}/_design/ReqMgr/_view/bydate?startkey=${encodeURIComponent('[2024,12,20,0]')}&endkey=${encodeURIComponent('[2024,12,25,23]')}`)
    expect(reply.status).toBe(200)
    const rows = reply.json<{ rows: Array<{ id: string; key: number[]; value: Doc }> }>().rows
    const expected = where((d) => {
      const [y, m, day] = d.RequestDate as number[]
      return y === 2024 && m === 12 && day! >= 20 && day! <= 25
    })
    expect(rows.map((row) => row.id).sort()).toEqual(expected)
    for (const row of rows) expect(row.value.RequestStatus).toBe(scenario.steps[0]!.reqmgr2.get(row.id)!.RequestStatus)
    const order = (a: number[], b: number[]): number => a.reduce((c, x, i) => c || x - b[i]!, 0)
    for (let i = 1; i < rows.length; i++) expect(order(rows[i - 1]!.key, rows[i]!.key)).toBeLessThanOrEqual(0)

    const prefix = await call(sim, agents.cert, `${COUCH}/_design/ReqMgr/_view/byprepid?startkey=${encodeURIComponent('"ReReco-"')}&endkey=${encodeURIComponent('"ReReco-\ufff0"')}`)
    const ids = new Set(prefix.json<{ rows: Array<{ id: string; key: string }> }>().rows.map((row) => row.id))
    expect([...ids].sort()).toEqual(where((d) => String(d.PrepID).startsWith('ReReco-')))
    const missing = await call(sim, agents.cert, `${COUCH}/_design/ReqMgr/_view/nosuchview`)
    expect(missing.status).toBe(404)
    expect(missing.json()).toEqual({ error: 'not_found', reason: 'missing_named_view' })
  })
})
