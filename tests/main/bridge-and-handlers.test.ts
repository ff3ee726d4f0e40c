/**
 * The browser-mode bridge and the contract handlers over the real desktop core (demo mode: the
 * cmsweb simulator and an embedded in-memory store): token, Host/Origin checks, static files with
 * the CSP, validation, typed errors, events over SSE.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { createHandlers } from '../../src/main/ipc/handlers'
import { RENDERER_CSP, startBridge, type Bridge } from '../../src/main/ipc/bridge-server'
import { RENDERER_DIR } from '../../src/main/cli/ui-command'
import type { Result } from '../../src/shared/result'

let work: string
let core: AppCore
let bridge: Bridge
const opened: string[] = []

async function call<T>(channel: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; result: Result<T> }> {
  const answer = await request(`${bridge.url}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stats2-token': bridge.token, ...headers },
    body: JSON.stringify(body)
  })
  const text = await answer.body.text()
  return { status: answer.statusCode, result: (answer.headers['content-type'] === 'application/json' ? JSON.parse(text) : { ok: false, error: { code: 'internal', message: text } }) as Result<T> }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-bridge-'))
  core = await AppCore.create({ userDataDir: join(work, 'user'), env: { HOME: work }, secrets: new MemorySecretStore(), demoStepEveryMs: 0 })
  bridge = await startBridge({
    handlers: createHandlers(core, { openExternal: async (url) => void opened.push(url) }),
    rendererDir: RENDERER_DIR,
    subscribe: (event, listener) => core.subscribe(event, listener)
  })
}, 60_000)

afterAll(async () => {
  await bridge?.close()
  await core?.close()
  await rm(work, { recursive: true, force: true })
})

describe('bridge security', () => {
  it('serves the renderer with the strict CSP, and nothing outside it', async () => {
    const page = await request(`${bridge.url}/`)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-security-policy']).toBe(RENDERER_CSP)
    expect(await page.body.text()).toContain('<div id="root">')
    const outside = await request(`${bridge.url}/..%2f..%2fpackage.json`)
    expect([403, 404]).toContain(outside.statusCode)
    await outside.body.dump()
  })

  it('answers the API only with the token, the loopback Host and the page’s own Origin', async () => {
    expect((await call('getStatus', {}, { 'x-stats2-token': 'wrong' })).status).toBe(401)
    expect((await call('getStatus', {}, { host: 'evil.example' })).status).toBe(403)
    expect((await call('getStatus', {}, { origin: 'http://evil.example' })).status).toBe(403)
    const ok = await call('getStatus', {}, { origin: bridge.url })
    expect(ok.status).toBe(200)
    expect(ok.result.ok).toBe(true)
  })

  it('validates arguments and answers typed errors', async () => {
    expect((await call('noSuchChannel', {})).result).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect((await call('search', { text: 'x'.repeat(5000) })).result).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/500 characters/) } })
    expect((await call('getWorkflow', { name: 'no_such_workflow_1' })).result).toMatchObject({ ok: false, error: { code: 'not-found' } })
    expect((await call('getWorkflowChart', { name: 'no_such_workflow_1' })).result).toMatchObject({ ok: false, error: { code: 'not-found' } })
    for (const bad of [{}, { name: 7 }, { name: '' }, { name: 'wf', extra: 1 }, null]) {
      expect((await call('getWorkflowChart', bad)).result, JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    }
    expect((await call('openExternal', { url: 'https://evil.example/' })).result).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect((await call('openExternal', { url: 'https://cmsweb.cern.ch/das/' })).result).toEqual({ ok: true, value: null })
    expect(opened).toEqual(['https://cmsweb.cern.ch/das/'])
  })
})

describe('demo mode through the handlers', () => {
  it('starts unconfigured, then a demo whose first update fills the store; events arrive over SSE', async () => {
    expect((await call<{ mode: string }>('getStatus', {})).result).toMatchObject({ ok: true, value: { mode: 'unconfigured' } })
    const events = await request(`${bridge.url}/api/events?token=${bridge.token}`)
    const received: string[] = []
    const reading = (async () => {
      for await (const chunk of events.body) {
        received.push(String(chunk))
        if (received.join('').includes('"state":"done"')) break
      }
    })()
    const started = await call<{ mode: string; demo: { workflows: number } }>('startDemo', { workflows: 40 })
    expect(started.result).toMatchObject({ ok: true, value: { mode: 'demo', demo: { workflows: 40 } } })
    await core.job.wait()
    await reading
    expect(received.join('')).toContain('event: updaterState')
    const status = await call<{ store: { workflows: number }; lastUpdate: number }>('getStatus', {})
    expect(status.result.ok && status.result.value.store.workflows).toBeGreaterThan(0)
    expect(status.result.ok && status.result.value.lastUpdate).toBeGreaterThan(0)
  })

  it('refuses a second update while one runs, with a busy error', async () => {
    core.demoSession!.sim.advance()
    expect((await call('updateAll', {})).result.ok).toBe(true)
    expect((await call('updateAll', {})).result).toMatchObject({ ok: false, error: { code: 'busy' } })
    await core.job.wait()
  })

  it('tests the connection piece by piece', async () => {
    const checks = await call<Array<{ id: string; ok: boolean; message: string }>>('testConnection', {})
    expect(checks.result.ok).toBe(true)
    const value = checks.result.ok ? checks.result.value : []
    expect(value.map((c) => c.id)).toEqual(['certificate', 'trust', 'reqmgr2', 'dbs', 'database'])
    expect(value.every((c) => c.ok)).toBe(true)
  })

  it('keeps settings, validates them, and never hands a passphrase back', async () => {
    expect((await call('setSettings', { concurrency: 0 })).result).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    const saved = await call<Record<string, unknown>>('setSettings', { concurrency: 12, scheduleMinutes: 30, passphrase: 's3cret', rememberPassphrase: true })
    expect(saved.result).toMatchObject({ ok: true, value: { concurrency: 12, scheduleMinutes: 30, passphraseStored: true, secureStorage: false } })
    expect(JSON.stringify(saved.result)).not.toContain('s3cret')
    expect((await call('getStatus', {})).result).toMatchObject({ ok: true, value: { schedule: { everyMinutes: 30 } } })
    await call('setSettings', { scheduleMinutes: 0 })
  })

  it('exports a workflow and a search', async () => {
    const search = await call<{ rows: Array<{ name: string; campaigns: string[] }> }>('search', { text: '' })
    const first = search.result.ok ? search.result.value.rows[0]! : undefined
    expect(first).toBeDefined()
    const one = await call<{ filename: string; content: string }>('exportWorkflow', { name: first!.name })
    expect(one.result.ok && JSON.parse(one.result.value.content)._id).toBe(first!.name)
    const csv = await call<{ filename: string; content: string; mimeType: string }>('exportSearch', { text: first!.campaigns[0]!, format: 'csv' })
    expect(csv.result).toMatchObject({ ok: true, value: { mimeType: 'text/csv' } })
  })

  it('stops the demo and is unconfigured again', async () => {
    expect((await call('stopDemo', {})).result).toMatchObject({ ok: true, value: { mode: 'unconfigured' } })
  })
})
