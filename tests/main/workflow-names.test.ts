/**
 * The getWorkflow and exportWorkflow handlers (validated by the contract, Electron-free) over a
 * real embedded CouchDB-protocol server reached through DB_URL: any stored name opens as itself
 * (spaces, `:`, `%`, `/`, Unicode), and names that would address another endpoint or document if
 * put into a URL unencoded find nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { createHandlers, dispatch, type Handlers } from '../../src/main/ipc/handlers'
import { CouchStore } from '../../src/main/store/couch-store'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'

const STORED = ['with space 230101_000000_0001', 'colon:and%25percent', 'ünïcödé ✓ 名前', 'slash/inside', '..x', 'a+b']
let work: string
let couch: EmbeddedCouch
let core: AppCore
let handlers: Handlers

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-names-'))
  couch = await startEmbeddedCouch({ dataDir: '', inMemory: true })
  const admin = await CouchStore.open({ url: couch.url, authHeader: couch.authHeader, dataDir: '' })
  await admin.saveWorkflows(STORED.map((name) => ({
    _id: name, RequestName: name, Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0,
    RequestTransition: [], Requests: [], TotalEvents: 5, TotalInputLumis: -1
  })))
  await admin.updateSettings((doc) => ({ ...doc, last_reqmgr_sequence: 'secret-sequence' }))
  await admin.close()
  core = await AppCore.create({
    userDataDir: join(work, 'user'),
    env: { HOME: work, DB_URL: couch.url, STATS_DB_AUTH_HEADER: couch.authHeader },
    secrets: new MemorySecretStore()
  })
  handlers = createHandlers(core, { openExternal: async () => undefined })
}, 60_000)

afterAll(async () => {
  await core?.close()
  await couch?.close()
  await rm(work, { recursive: true, force: true })
})

describe('workflow names through the handlers', () => {
  it('opens and exports every stored name as itself', async () => {
    for (const name of STORED) {
      expect(await dispatch(handlers, 'getWorkflow', { name }), name).toMatchObject({ ok: true, value: { _id: name, TotalEvents: 5 } })
      const exported = await dispatch(handlers, 'exportWorkflow', { name })
      expect(exported.ok, name).toBe(true)
      const file = (exported as { value: { filename: string; content: string } }).value
      expect(JSON.parse(file.content)._id).toBe(name)
      expect(file.filename).toMatch(/^[A-Za-z0-9_.+-]+\.json$/)
      expect(file.filename.startsWith('.')).toBe(false)
    }
  })

  it('names of endpoints, other documents and traversals find nothing', async () => {
    for (const name of ['_changes', '_all_docs', '_design/_designDoc', 'x_local/../../settings/all_settings', '../settings/all_settings', '..', '.', '_local/x']) {
      for (const channel of ['getWorkflow', 'exportWorkflow']) {
        const result = await dispatch(handlers, channel, { name })
        expect(result, `${channel} ${name}`).toMatchObject({ ok: false, error: { code: 'not-found' } })
        expect(JSON.stringify(result)).not.toContain('secret-sequence')
      }
    }
  })
})
