/**
 * Fault injection at probability 1.0 (each kind alone), latency, and request counting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadScenario, startSimulator, type Scenario, type Simulator, type SimulatorOptions } from '../../src/sim'
import { agentsFor, type Agents, call, COUCH, DBS, postJson, PUBLIC_SCENARIO, tempDir } from './helpers'

const DATASET = '/JetHT/Run2012C-v1/RAW'
let scenario: Scenario
let tls: { dir: string; cleanup: () => Promise<void> }
const open: Array<() => Promise<void>> = []

beforeAll(async () => {
  scenario = await loadScenario(PUBLIC_SCENARIO)
  tls = await tempDir() // shared by the simulators of this file (ensureTlsDir reuses it)
})

afterAll(async () => {
  await tls?.cleanup()
})

async function start(options: Partial<SimulatorOptions>): Promise<{ sim: Simulator; agents: Agents }> {
  const sim = await startSimulator({ scenario, tlsDir: tls.dir, ...options })
  open.push(() => sim.close())
  const agents = await agentsFor(sim)
  open.push(() => agents.close())
  return { sim, agents }
}

afterEach(async () => {
  while (open.length > 0) await open.pop()!()
})

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

describe('faults at probability 1', () => {
  it('error5xx: 503 in each service’s error shape', async () => {
    const { sim, agents } = await start({ faults: { error5xx: 1 } })
    const dbs = await call(sim, agents.cert, `${DBS}/filesummaries?dataset=${DATASET}`)
    expect(dbs.status).toBe(503)
    const list = dbs.json<Array<{ error: { code: number }; http: { code: number }; type: string }>>()
    expect(list[0]!.http.code).toBe(503)
    expect(list[0]!.type).toBe('HTTPError')
    const reqmgr = await call(sim, agents.cert, '/reqmgr2/data/request?mask=RequestType&prep_id=X')
    expect(reqmgr.status).toBe(503)
    expect(reqmgr.headers['content-type']).toContain('text/html')
    expect(reqmgr.headers['x-error-detail']).toBeTruthy()
    const wmstats = await call(sim, agents.cert, '/wmstatsserver/data/filtered_requests?mask=RequestName')
    expect(wmstats.status).toBe(503)
    expect(wmstats.headers['x-error-http']).toBe('503')
    const couch = await call(sim, agents.cert, `${COUCH}/_changes?since=0`)
    expect(couch.status).toBe(503)
    // Keycloak, PdmV and /_sim never get faults.
    const state = await call(sim, agents.none, '/_sim/state')
    expect(state.status).toBe(200)
    expect(sim.requestCounts()).toEqual({ 'dbs.filesummaries': 1, 'reqmgr2.request': 1, 'wmstats.filtered_requests': 1, 'reqmgr2.changes': 1 })
  })

  it('reset: the connection is destroyed before any answer', async () => {
    const { sim, agents } = await start({ faults: { reset: 1 } })
    for (let i = 0; i < 3; i++) {
      await expect(call(sim, agents.cert, `${DBS}/filesummaries?dataset=${DATASET}`)).rejects.toThrow(/other side closed|socket|ECONNRESET|closed/i)
    }
    const token = await call(sim, agents.none, '/auth/realms/cern/api-access/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=a&client_secret=b&audience=c'
    })
    expect(token.status).toBe(200)
    expect(sim.requestCounts()['dbs.filesummaries']).toBe(3)
  })

  it('truncated: cut JSON bodies, with a consistent or a lying Content-Length', async () => {
    const { sim, agents } = await start({ faults: { truncated: 1, seed: 7 } })
    let short = 0
    let aborted = 0
    for (let i = 0; i < 16; i++) {
      try {
        const reply = await call(sim, agents.cert, `${DBS}/datasets?min_ldate=0&dataset_access_type=*`)
        expect(reply.status).toBe(200)
        expect(parses(reply.text)).toBe(false)
        expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(reply.text))
        short += 1
      } catch (error) {
        expect(String((error as Error).message)).toMatch(/closed|socket|terminated|premature|length|aborted/i)
        aborted += 1
      }
    }
    expect(short).toBeGreaterThan(0)
    expect(aborted).toBeGreaterThan(0)
  })

  it('slow: every cmsweb call takes at least slowMs; /_sim does not', async () => {
    const { sim, agents } = await start({ faults: { slow: 1, slowMs: 300 } })
    const t0 = Date.now()
    const reply = await call(sim, agents.cert, `${DBS}/filesummaries?dataset=${DATASET}`)
    expect(reply.status).toBe(200)
    expect(reply.json<Array<{ num_event: number }>>()[0]!.num_event).toBe(12600)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    const t1 = Date.now()
    await call(sim, agents.none, '/_sim/state')
    expect(Date.now() - t1).toBeLessThan(250)
  })

  it('without faults nothing fails', async () => {
    const { sim, agents } = await start({})
    for (let i = 0; i < 20; i++) {
      const reply = await call(sim, agents.cert, `${DBS}/datasets?min_ldate=0&dataset_access_type=*`)
      expect(reply.status).toBe(200)
      expect(parses(reply.text)).toBe(true)
    }
  })

  it('rejects probabilities outside [0, 1]', async () => {
    await expect(startSimulator({ scenario, tlsDir: tls.dir, faults: { reset: 2 } })).rejects.toThrow(/reset/)
  })
})

describe('latency', () => {
  it('is added to cmsweb calls only', async () => {
    const { sim, agents } = await start({ latencyMs: 250 })
    const t0 = Date.now()
    await call(sim, agents.cert, `${COUCH}/_changes?since=now`)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240)
    const t1 = Date.now()
    await call(sim, agents.none, '/_sim/state')
    await call(sim, agents.none, '/auth/realms/cern/api-access/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=a&client_secret=b&audience=c'
    })
    expect(Date.now() - t1).toBeLessThan(240)
  })
})

describe('request counting', () => {
  it('counts by endpoint label and resets', async () => {
    const { sim, agents } = await start({})
    await call(sim, agents.cert, `${COUCH}/_changes?since=0`)
    await call(sim, agents.cert, `${COUCH}/_changes?since=now`)
    await call(sim, agents.cert, `${COUCH}/pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111`)
    await call(sim, agents.cert, `${COUCH}/_all_docs`, postJson({ keys: ['a'] }))
    await call(sim, agents.cert, `${DBS}/filesummaries?dataset=${DATASET}`)
    await call(sim, agents.cert, `${DBS}/files?dataset=${DATASET}&run_num=202205&lumi_list=[[1,2]]`)
    await call(sim, agents.cert, `${DBS}/datasets?min_ldate=0`)
    await call(sim, agents.cert, `${DBS}/datasetlist`, postJson({ dataset: [DATASET] }))
    await call(sim, agents.cert, '/wmstatsserver/data/filtered_requests?mask=RequestName')
    await call(sim, agents.cert, '/reqmgr2/data/request?mask=RequestType&prep_id=X')
    await call(sim, agents.none, '/mcm/restapi/requests/fetch_stats_by_wf/x')
    await call(sim, agents.none, '/nowhere')
    expect(sim.requestCounts()).toEqual({
      'reqmgr2.changes': 2,
      'reqmgr2.doc': 1,
      'reqmgr2.all_docs': 1,
      'dbs.filesummaries': 1,
      'dbs.files': 1,
      'dbs.datasets': 1,
      'dbs.datasetlist': 1,
      'wmstats.filtered_requests': 1,
      'reqmgr2.request': 1,
      'mcm.fetch_stats': 1,
      unknown: 1
    })
    const state = (await call(sim, agents.none, '/_sim/state')).json<{ counts: Record<string, number> }>()
    expect(state.counts).toEqual(sim.requestCounts())
    sim.resetCounts()
    expect(sim.requestCounts()).toEqual({})
  })
})

describe('demo mode', () => {
  it('autoAdvanceMs moves through the steps and stops at the last', async () => {
    const sim = await startSimulator({ scenario, tlsDir: tls.dir, autoAdvanceMs: 150 })
    open.push(() => sim.close())
    expect(sim.step).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(sim.step).toBe(1)
    expect(sim.advance()).toBe(1)
  })
})
