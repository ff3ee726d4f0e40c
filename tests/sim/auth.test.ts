/**
 * Client certificates on the cmsweb routes; Keycloak tokens and the PdmV notification endpoints;
 * the /_sim controls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import { agentsFor, type Agents, call, COUCH, DBS, postJson, PUBLIC_SCENARIO, tempDir } from './helpers'

let sim: Simulator
let agents: Agents
let cleanup: () => Promise<void>

const DATASET = '/JetHT/Run2012C-v1/RAW'
const NAME = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'

const CMSWEB_CALLS: Array<{ label: string; path: string; init?: { method: string; headers: Record<string, string>; body: string } }> = [
  { label: 'reqmgr2.changes', path: `${COUCH}/_changes?since=0` },
  { label: 'reqmgr2.doc', path: `${COUCH}/${NAME}` },
  { label: 'reqmgr2.all_docs', path: `${COUCH}/_all_docs?include_docs=true`, init: postJson({ keys: [NAME] }) },
  { label: 'reqmgr2.request', path: '/reqmgr2/data/request?mask=RequestType&prep_id=TEST-ReReco-Run2022C-MuonEG-27Jun2023-00001' },
  { label: 'dbs.filesummaries', path: `${DBS}/filesummaries?dataset=${DATASET}` },
  { label: 'dbs.datasetlist', path: `${DBS}/datasetlist`, init: postJson({ dataset: [DATASET], detail: 1, dataset_access_type: '*' }) },
  { label: 'dbs.datasets', path: `${DBS}/datasets?min_ldate=0&dataset_access_type=*` },
  { label: 'dbs.files', path: `${DBS}/files?dataset=${DATASET}&detail=true&run_num=202205&lumi_list=[[1,100]]` },
  { label: 'wmstats.filtered_requests', path: '/wmstatsserver/data/filtered_requests?mask=RequestName' }
]

function form(fields: Record<string, string>): { method: string; headers: Record<string, string>; body: string } {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() }
}

async function token(audience: string, secret = 'secret'): Promise<string> {
  const reply = await call(
    sim,
    agents.none,
    '/auth/realms/cern/api-access/token',
    form({ grant_type: 'client_credentials', client_id: 'stats2-callback', client_secret: secret, audience })
  )
  expect(reply.status).toBe(200)
  return reply.json<{ access_token: string }>().access_token
}

beforeAll(async () => {
  const tmp = await tempDir()
  cleanup = tmp.cleanup
  sim = await startSimulator({ scenario: await loadScenario(PUBLIC_SCENARIO), tlsDir: tmp.dir })
  agents = await agentsFor(sim)
})

afterAll(async () => {
  await agents?.close()
  await sim?.close()
  await cleanup?.()
})

describe('client certificates on cmsweb routes', () => {
  it('with the simulator-issued client certificate every cmsweb route serves data', async () => {
    sim.resetCounts()
    for (const { label, path, init } of CMSWEB_CALLS) {
      const reply = await call(sim, agents.cert, path, init)
      expect(reply.status, label).toBe(200)
    }
    expect(sim.requestCounts()).toEqual(Object.fromEntries(CMSWEB_CALLS.map((c) => [c.label, 1])))
  })

  it('without a client certificate: 401 HTML naming the requirement, and no handler runs', async () => {
    sim.resetCounts()
    for (const { label, path, init } of CMSWEB_CALLS) {
      const reply = await call(sim, agents.none, path, init)
      expect(reply.status, label).toBe(401)
      expect(reply.headers['content-type']).toContain('text/html')
      expect(reply.text).toContain('client certificate required')
      expect(reply.text).not.toContain(DATASET)
      expect(reply.text).not.toContain(NAME)
    }
    expect(sim.requestCounts()).toEqual({ 'auth.rejected': CMSWEB_CALLS.length })
  })

  it('a client certificate from another CA is refused with the verification error', async () => {
    sim.resetCounts()
    const reply = await call(sim, agents.foreign, `${DBS}/filesummaries?dataset=${DATASET}`)
    expect(reply.status).toBe(401)
    expect(reply.text).toContain('client certificate required')
    expect(reply.text).toMatch(/UNABLE_TO_VERIFY|unable to verify|self.signed|UNABLE_TO_GET_ISSUER/i)
    expect(reply.text).not.toContain('num_event')
    expect(sim.requestCounts()).toEqual({ 'auth.rejected': 1 })
  })
})

describe('Keycloak', () => {
  it('issues a bearer token naming the audience, without a client certificate', async () => {
    const reply = await call(
      sim,
      agents.none,
      '/auth/realms/cern/api-access/token',
      form({ grant_type: 'client_credentials', client_id: 'stats2-callback', client_secret: 's3cret', audience: 'cms-pdmv-prod' })
    )
    expect(reply.status).toBe(200)
    const body = reply.json<Record<string, unknown>>()
    expect(body).toMatchObject({ expires_in: 300, token_type: 'Bearer', refresh_expires_in: 0 })
    const [, payload] = String(body.access_token).split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>
    expect(claims).toMatchObject({ aud: 'cms-pdmv-prod', sub: 'service-account-stats2-callback', azp: 'stats2-callback' })
  })

  it('an empty secret is a 401 invalid_client; another grant type a 400', async () => {
    const empty = await call(
      sim,
      agents.none,
      '/auth/realms/cern/api-access/token',
      form({ grant_type: 'client_credentials', client_id: 'stats2-callback', client_secret: '', audience: 'x' })
    )
    expect(empty.status).toBe(401)
    expect(empty.json()).toMatchObject({ error: 'invalid_client' })
    const password = await call(sim, agents.none, '/auth/realms/cern/api-access/token', form({ grant_type: 'password', client_id: 'a', client_secret: 'b' }))
    expect(password.status).toBe(400)
    expect(password.json()).toMatchObject({ error: 'unsupported_grant_type' })
  })
})

describe('PdmV notification endpoints', () => {
  it('refuse calls without a token or with a token the simulator did not issue, and record nothing', async () => {
    const before = sim.notifications().length
    const bare = await call(sim, agents.none, `/mcm/restapi/requests/fetch_stats_by_wf/${NAME}`)
    expect(bare.status).toBe(401)
    const forged = await call(sim, agents.none, '/rereco/api/requests/update_workflows', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.token' },
      body: JSON.stringify({ prepid: 'ReReco-X-00001' })
    })
    expect(forged.status).toBe(401)
    expect(sim.notifications()).toHaveLength(before)
  })

  it('record what they receive in production and development, and answer {"results": true}', async () => {
    sim.resetCounts()
    const prod = await token('cms-pdmv-prod')
    const dev = await token('cms-pdmv-dev')
    const calls = [
      { path: `/mcm/restapi/requests/fetch_stats_by_wf/${NAME}`, method: 'GET', token: prod },
      { path: '/dev/rereco/api/requests/update_workflows', method: 'POST', token: dev, body: { prepid: 'ReReco-Run2024C-JetMET0-15Mar2025-00001' } },
      { path: '/relval/api/relvals/update_workflows', method: 'POST', token: prod, body: { prepid: 'CMSSW_14_0_0__2024-ZMM_14-00001' } }
    ]
    const before = sim.notifications().length
    for (const c of calls) {
      const reply = await call(sim, agents.none, c.path, {
        method: c.method,
        headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
        body: c.body ? JSON.stringify(c.body) : undefined
      } as never)
      expect(reply.status, c.path).toBe(200)
      expect(reply.json()).toEqual({ results: true })
    }
    const recorded = sim.notifications().slice(before)
    expect(recorded.map((n) => [n.service, n.environment, n.method, n.path])).toEqual([
      ['mcm', 'prod', 'GET', `/mcm/restapi/requests/fetch_stats_by_wf/${NAME}`],
      ['rereco', 'dev', 'POST', '/dev/rereco/api/requests/update_workflows'],
      ['relval', 'prod', 'POST', '/relval/api/relvals/update_workflows']
    ])
    expect(recorded[1]!.body).toEqual({ prepid: 'ReReco-Run2024C-JetMET0-15Mar2025-00001' })
    expect(recorded[1]!.authorization).toBe(`Bearer ${dev}`)
    expect(recorded[1]!.audience).toBe('cms-pdmv-dev')
    expect(sim.requestCounts()).toEqual({ 'keycloak.token': 2, 'mcm.fetch_stats': 1, 'rereco.update_workflows': 1, 'relval.update_workflows': 1 })
  })

  it('refuse an expired token', async () => {
    const tmp = await tempDir()
    const short = await startSimulator({ scenario: await loadScenario(PUBLIC_SCENARIO), tlsDir: tmp.dir, tokenLifetimeSeconds: 1 })
    const shortAgents = await agentsFor(short)
    try {
      const reply = await call(
        short,
        shortAgents.none,
        '/auth/realms/cern/api-access/token',
        form({ grant_type: 'client_credentials', client_id: 'c', client_secret: 's', audience: 'a' })
      )
      const access = reply.json<{ access_token: string }>().access_token
      await new Promise((resolve) => setTimeout(resolve, 2100))
      const late = await call(short, shortAgents.none, `/mcm/restapi/requests/fetch_stats_by_wf/${NAME}`, {
        headers: { authorization: `Bearer ${access}` }
      })
      expect(late.status).toBe(401)
      expect(short.notifications()).toHaveLength(0)
    } finally {
      await shortAgents.close()
      await short.close()
      await tmp.cleanup()
    }
  })
})

describe('/_sim controls', () => {
  it('state, step and reset-counts work without a client certificate and are not counted', async () => {
    await call(sim, agents.cert, `${DBS}/filesummaries?dataset=${DATASET}`)
    const state = (await call(sim, agents.none, '/_sim/state')).json<{ step: number; steps: number; counts: Record<string, number> }>()
    expect(state.step).toBe(0)
    expect(state.steps).toBe(2)
    expect(state.counts['dbs.filesummaries']).toBeGreaterThan(0)
    const reset = await call(sim, agents.none, '/_sim/reset-counts', { method: 'POST' })
    expect(reset.status).toBe(200)
    expect(sim.requestCounts()).toEqual({})
    const moved = await call(sim, agents.none, '/_sim/step', { method: 'POST' })
    expect(moved.json()).toEqual({ step: 1 })
    expect(sim.step).toBe(1)
    expect((await call(sim, agents.none, '/_sim/step', { method: 'POST' })).json()).toEqual({ step: 1 })
    expect(sim.requestCounts()).toEqual({})
  })
})
