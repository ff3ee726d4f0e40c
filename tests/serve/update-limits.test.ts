/**
 * Issue 14, reproduction 10 (the update side), against the mTLS simulator and a store filled by the
 * updater: an authorised `api/update` of a name ReqMgr2 does not know is answered and never enters
 * `failed_workflows`; the list is capped, the oldest dropped with a log line; the 503 of a full update
 * queue says when to retry; an `all_settings` of the wrong shape stops an update before any ReqMgr2
 * call instead of asking for `since=[object Object]`.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { addLogSink } from '../../src/main/log/logger'
import { MAX_FAILED_WORKFLOWS } from '../../src/main/updater/update-run'
import { runCli } from '../helpers/cli'
import { call, fillPublicStore, serveStore, type FilledStore, type ServiceUnderTest } from './helpers'

const TOKEN = 'b4e0d3c5f6a7b8c9d0e1f2a3b4c5d6e7'
const KNOWN = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'
const UNKNOWN = 'pdmvserv_never_in_reqmgr2_990101_000000_0001'
let work: string
let filled: FilledStore
let store: CouchStore
let svc: ServiceUnderTest
let narrow: ServiceUnderTest
/** `stats2` run beside the open store: through its URL, as a second process would. */
let cliEnv: Record<string, string>
const bearer = { authorization: `Bearer ${TOKEN}` }

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-update-limits-'))
  filled = await fillPublicStore(work, { latencyMs: 100 })
  const tokensFile = join(work, 'tokens')
  await writeFile(tokensFile, `${TOKEN}\n`)
  await chmod(tokensFile, 0o600)
  store = await CouchStore.open(filled.config.db)
  cliEnv = { ...filled.env, DB_URL: store.embeddedServer!.url, STATS_DB_AUTH_HEADER: store.embeddedServer!.authHeader }
  const env = { ...filled.env, STATS2_SERVE_TOKENS_FILE: tokensFile }
  svc = await serveStore(store, filled.config, env)
  narrow = await serveStore(store, filled.config, { ...env, STATS2_SERVE_UPDATES: '1', STATS2_SERVE_UPDATE_QUEUE: '0' })
}, 120_000)

afterAll(async () => {
  await svc?.close()
  await narrow?.close()
  await store?.close()
  await filled?.sim.close()
  await rm(work, { recursive: true, force: true })
})

describe('the retry list', () => {
  it('never takes a name ReqMgr2 does not know from api/update', async () => {
    const answer = await call(`${svc.origin}/stats/api/update?workflow_name=${UNKNOWN}`, { headers: bearer })
    expect(answer.status).toBe(500)
    expect(JSON.parse(answer.text).error).toContain(`ReqMgr2 has no document for ${UNKNOWN}`)
    const settings = await store.getSettings()
    expect(settings.failed_workflows ?? []).not.toContain(UNKNOWN)
    expect(Object.keys(settings.failed_reasons ?? {})).not.toContain(UNKNOWN)
  })

  it(`holds at most ${MAX_FAILED_WORKFLOWS} names: the oldest are dropped, with a log line`, async () => {
    const old = Array.from({ length: MAX_FAILED_WORKFLOWS }, (_, index) => `old_${String(index).padStart(5, '0')}_000000_000000_1`)
    await store.updateSettings((doc) => ({ ...doc, failed_workflows: old, failed_reasons: Object.fromEntries(old.map((name) => [name, 'update: earlier'])) }))
    const lines: string[] = []
    const remove = addLogSink((record) => void lines.push(record.message))
    try {
      // `stats2 update --name` keeps an unknown name for retrying, as before: it is the newest failure.
      const result = await runCli(['update', '--name', UNKNOWN], cliEnv)
      expect(result.code).toBe(0)
    } finally {
      remove()
    }
    const settings = await store.getSettings()
    expect(settings.failed_workflows).toHaveLength(MAX_FAILED_WORKFLOWS)
    expect(settings.failed_workflows![0]).toBe(old[1])
    expect(settings.failed_workflows!.at(-1)).toBe(UNKNOWN)
    expect(settings.failed_reasons).not.toHaveProperty(old[0]!)
    expect(lines.some((line) => line.includes(`dropped the 1 oldest (${old[0]})`))).toBe(true)
    await store.updateSettings((doc) => ({ ...doc, failed_workflows: [], failed_reasons: {} }))
  })
})

describe('a full update queue', () => {
  it('answers 503 with Retry-After', async () => {
    const other = 'amaltaro_ReReco_Parents_HG1812_Validation_181203_121714_7387'
    const answers = await Promise.all([KNOWN, other].map((name) => call(`${narrow.origin}/stats/api/update?workflow_name=${name}`, { headers: bearer })))
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 503])
    expect(answers.find((answer) => answer.status === 503)!.headers['retry-after']).toMatch(/^\d+$/)
  })
})

describe('an all_settings of the wrong shape', () => {
  it('stops the update before any ReqMgr2 call, naming the field', async () => {
    const before = await store.getSettings()
    await store.updateSettings((doc) => ({ ...doc, last_reqmgr_sequence: { seq: 5 } as unknown as string }))
    filled.sim.resetCounts()
    try {
      const result = await runCli(['update'], cliEnv)
      expect(result.code).toBe(1)
      expect(result.err).toMatch(/all_settings in the settings database does not have the Stats2 shape \(last_reqmgr_sequence: /)
      expect(Object.values(filled.sim.requestCounts()).reduce((sum, count) => sum + count, 0)).toBe(0)
    } finally {
      await store.updateSettings((doc) => ({ ...doc, last_reqmgr_sequence: before.last_reqmgr_sequence }))
    }
  })
})
