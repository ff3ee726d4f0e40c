/**
 * `api/update` against the mTLS simulator: authorised callers (bearer token, trusted proxy header)
 * update; anonymous and wrong credentials get 401/403 and cause no cmsweb request; identical
 * concurrent requests run once; the queue bound answers busy. cmsweb traffic is counted at the simulator.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { Authoriser } from '../../src/main/serve/auth'
import { addLogSink, type LogRecord } from '../../src/main/log/logger'
import { comparable } from '../helpers/conformance'
import { call, fillPublicStore, serveStore, type FilledStore, type ServiceUnderTest } from './helpers'

const TOKEN = 'a3f9c2d4e5b6a7980112233445566778'
const OTHER_TOKEN = 'ffeeddccbbaa00998877665544332211'
const NAME = 'amaltaro_MonteCarlo_eff_HG1812_Validation_181203_120941_3893'
const OTHER = 'amaltaro_ReDigi_3steps_HG1812_Validation_181203_120956_4300'
const MISSING = "Please provide the workflow name via 'workflow_name' query parameter"

let work: string
let filled: FilledStore
let store: CouchStore
let svc: ServiceUnderTest
let untrustedProxySvc: ServiceUnderTest
let narrowSvc: ServiceUnderTest
let tokensFile: string

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((sum, n) => sum + n, 0)
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-update-'))
  // Latency on every cmsweb call: one workflow's update lasts long enough for requests to overlap.
  filled = await fillPublicStore(work, { latencyMs: 150 })
  tokensFile = join(work, 'tokens')
  await writeFile(tokensFile, `# update tokens\n${TOKEN}\n\n${OTHER_TOKEN}\nshort\n`)
  await chmod(tokensFile, 0o600)
  store = await CouchStore.open(filled.config.db)
  const env = { ...filled.env, STATS2_SERVE_TOKENS_FILE: tokensFile, STATS2_SERVE_TRUSTED_HEADER: 'X-Forwarded-User' }
  svc = await serveStore(store, filled.config, { ...env, STATS2_SERVE_TRUSTED_PROXIES: '127.0.0.1' })
  untrustedProxySvc = await serveStore(store, filled.config, { ...env, STATS2_SERVE_TRUSTED_PROXIES: '10.1.2.3' })
  narrowSvc = await serveStore(store, filled.config, { ...env, STATS2_SERVE_TRUSTED_PROXIES: '127.0.0.1', STATS2_SERVE_UPDATES: '1', STATS2_SERVE_UPDATE_QUEUE: '0' })
})

afterAll(async () => {
  for (const service of [svc, untrustedProxySvc, narrowSvc]) await service?.close()
  await store?.close()
  await filled?.sim.close()
  await rm(work, { recursive: true, force: true })
})

describe('who may update', () => {
  it('refuses anonymous callers (401) and wrong credentials (403) without any cmsweb request', async () => {
    const before = await store.getWorkflow(NAME)
    filled.sim.resetCounts()
    const anonymous = await call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(JSON.parse(anonymous.text).error).toMatch(/Authorization: Bearer/)
    const cases: Array<[string, Promise<{ status: number; text: string }>]> = [
      ['wrong token', call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: bearer('0'.repeat(32)) })],
      ['short token from the file', call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: bearer('short') })],
      ['basic auth', call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } })],
      ['POST with a wrong token', call(`${svc.origin}/stats/api/update`, { method: 'POST', headers: { ...bearer('x'.repeat(40)), 'content-type': 'application/json' }, body: JSON.stringify({ workflow: NAME }) })],
      ['proxy header from an address that is not a trusted proxy', call(`${untrustedProxySvc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: { 'x-forwarded-user': 'alice' } })]
    ]
    for (const [label, pending] of cases) {
      const answer = await pending
      expect(answer.status, label).toBe(403)
      expect(answer.text).not.toMatch(/\n\s+at /)
    }
    expect(total(filled.sim.requestCounts())).toBe(0)
    expect((await store.getWorkflow(NAME))?._rev).toBe(before?._rev)
  })

  it('warns about a tokens file readable by others and ignores tokens under 16 characters', async () => {
    const loose = join(work, 'loose-tokens')
    await writeFile(loose, `${TOKEN}\nabc\n`)
    await chmod(loose, 0o644)
    const records: LogRecord[] = []
    const remove = addLogSink((record) => records.push(record))
    try {
      const auth = new Authoriser({ tokensFile: loose, trustedProxies: [] })
      expect(auth.configured).toBe(true)
    } finally {
      remove()
    }
    const warnings = records.filter((r) => r.level === 'warn').map((r) => r.message)
    expect(warnings.some((m) => /readable by other users \(mode 644\)/.test(m))).toBe(true)
    expect(warnings.some((m) => /1 token\(s\) shorter than 16/.test(m))).toBe(true)
    expect(warnings.join('\n')).not.toContain(TOKEN)
  })
})

describe('updating one workflow', () => {
  it('runs the single-workflow update for a token holder and answers as the old service', async () => {
    const before = (await store.getWorkflow(NAME))!
    // Gone from the store: the update must bring it back from ReqMgr2 and DBS.
    expect(await store.deleteWorkflows([NAME])).toEqual([NAME])
    filled.sim.resetCounts()
    const answer = await call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: bearer(TOKEN) })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('application/json')
    expect(JSON.parse(answer.text)).toEqual({ msg: `Workflow ${NAME} has been updated successfully` })
    expect(total(filled.sim.requestCounts())).toBeGreaterThan(0)
    const after = (await store.getWorkflow(NAME))!
    const { EventNumberHistory: _h1, ...restAfter } = comparable(after as unknown as Record<string, unknown>)
    const { EventNumberHistory: _h2, ...restBefore } = comparable(before as unknown as Record<string, unknown>)
    expect(restAfter).toEqual(restBefore)
  })

  it('accepts the trusted proxy header from a trusted address, and POST with workflow in the body or query', async () => {
    const viaProxy = await call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: { 'x-forwarded-user': 'alice' } })
    expect(viaProxy.status).toBe(200)
    const body = await call(`${svc.origin}/stats/api/update`, {
      method: 'POST', headers: { ...bearer(OTHER_TOKEN), 'content-type': 'application/json' }, body: JSON.stringify({ workflow: OTHER })
    })
    expect(body.status).toBe(200)
    expect(JSON.parse(body.text)).toEqual({ msg: `Workflow ${OTHER} has been updated successfully` })
    const query = await call(`${svc.origin}/stats/api/update?workflow=${OTHER}`, { method: 'POST', headers: bearer(TOKEN) })
    expect(JSON.parse(query.text)).toEqual({ msg: `Workflow ${OTHER} has been updated successfully` })
  })

  it('answers 400 without a name or with one no ReqMgr2 name can be, and 500 with the reason when the update fails', async () => {
    for (const url of [`api/update`, `api/update?workflow_name=`, `api/update?workflow_name=%20`]) {
      const answer = await call(`${svc.origin}/stats/${url}`, { headers: bearer(TOKEN) })
      expect(answer.status, url).toBe(400)
      expect(JSON.parse(answer.text)).toEqual({ msg: MISSING })
    }
    const emptyPost = await call(`${svc.origin}/stats/api/update`, { method: 'POST', headers: bearer(TOKEN) })
    expect(emptyPost.status).toBe(400)
    expect(JSON.parse(emptyPost.text)).toEqual({ msg: MISSING })
    const badJson = await call(`${svc.origin}/stats/api/update`, { method: 'POST', headers: { ...bearer(TOKEN), 'content-type': 'application/json' }, body: '{"workflow":' })
    expect(badJson.status).toBe(400)
    const odd = await call(`${svc.origin}/stats/api/update?workflow_name=${encodeURIComponent('a b<c>')}`, { headers: bearer(TOKEN) })
    expect(odd.status).toBe(400)
    expect(JSON.parse(odd.text).msg).toMatch(/^Invalid workflow name/)

    const unknown = 'nobody_NotInReqMgr2_000000_000000_0'
    const failed = await call(`${svc.origin}/stats/api/update?workflow_name=${unknown}`, { headers: bearer(TOKEN) })
    expect(failed.status).toBe(500)
    const { error } = JSON.parse(failed.text) as { error: string }
    expect(error.startsWith(`Unfortunately, there were issues updating workflow: ${unknown}, there are described below:\n`)).toBe(true)
    expect(error.split('\n')[1]!.length).toBeGreaterThan(0)
    expect(error).not.toMatch(/\n\s+at /)
  })
})

describe('coalescing and the queue', () => {
  it('runs identical concurrent requests once and gives every caller the same answer', async () => {
    filled.sim.resetCounts()
    const single = await call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: bearer(TOKEN) })
    expect(single.status).toBe(200)
    const oneRun = filled.sim.requestCounts()
    expect(total(oneRun)).toBeGreaterThan(0)

    filled.sim.resetCounts()
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      i % 2 === 0
        ? call(`${svc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: bearer(TOKEN) })
        : call(`${svc.origin}/stats/api/update`, { method: 'POST', headers: { ...bearer(OTHER_TOKEN), 'content-type': 'application/json' }, body: JSON.stringify({ workflow: NAME }) })
    ))
    for (const answer of answers) {
      expect(answer.status).toBe(200)
      expect(answer.text).toBe(single.text)
    }
    expect(filled.sim.requestCounts()).toEqual(oneRun)
  })

  it('answers busy beyond the configured number of running and queued updates', async () => {
    const answers = await Promise.all([
      call(`${narrowSvc.origin}/stats/api/update?workflow_name=${NAME}`, { headers: bearer(TOKEN) }),
      call(`${narrowSvc.origin}/stats/api/update?workflow_name=${OTHER}`, { headers: bearer(TOKEN) })
    ])
    // Whichever arrived first ran; the other found the one slot taken and no room to wait.
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 503])
    expect(JSON.parse(answers.find((answer) => answer.status === 503)!.text).error).toMatch(/try again/)
    // Once the first is done, the next one runs.
    expect((await call(`${narrowSvc.origin}/stats/api/update?workflow_name=${OTHER}`, { headers: bearer(TOKEN) })).status).toBe(200)
  })
})

describe('stopping', () => {
  it('drains an update in flight before closing, then refuses connections', async () => {
    const env = { ...filled.env, STATS2_SERVE_TOKENS_FILE: tokensFile }
    const draining = await serveStore(store, filled.config, env)
    filled.sim.resetCounts()
    const pending = call(`${draining.origin}/stats/api/update?workflow_name=${NAME}`, { headers: bearer(TOKEN) })
    // Until the update is under way (its first cmsweb call; each has 150 ms latency here).
    for (let waited = 0; total(filled.sim.requestCounts()) === 0 && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20))
    const closed = draining.close()
    const answer = await pending
    await closed
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text)).toEqual({ msg: `Workflow ${NAME} has been updated successfully` })
    await expect(call(`${draining.origin}/stats/healthz`)).rejects.toThrow()
  })
})
