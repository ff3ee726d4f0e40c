/**
 * The desktop's Settings → Source "a shared Stats2 CouchDB, replicated here", through the IPC
 * handlers (validated by the contract) of an Electron-free AppCore: the password goes to the secret
 * store, never to settings.json or the renderer; Pull fills the embedded store with the source's
 * documents while `replicaState` events tell the progress; the status names the replica; update-all
 * is refused (it would make the replica a second updater); a missing source and a store on a
 * CouchDB are refused with the field to fix.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { createHandlers, dispatch, type Handlers } from '../../src/main/ipc/handlers'
import type { AppStatus, ReplicaState } from '../../src/shared/ipc-contract'
import { removeTempDirs, tempDir } from '../scope/helpers'
import { fillSource, snapshot, snapshotDifferences, startSource, type Source } from './helpers'

let work: string
let source: Source
let core: AppCore
let handlers: Handlers
const states: ReplicaState[] = []

beforeAll(async () => {
  work = await tempDir()
  source = await startSource(join(work, 'source'))
  await fillSource(source, 300, 6)
  core = await AppCore.create({ userDataDir: join(work, 'user'), env: { HOME: work, STATS2_DATA_DIR: join(work, 'replica') }, secrets: new MemorySecretStore() })
  core.subscribe('replicaState', (state) => states.push(state))
  handlers = createHandlers(core, { openExternal: async () => undefined })
}, 60_000)

afterAll(async () => {
  await core?.close()
  await source?.close()
  await removeTempDirs()
})

describe('Settings → Source: a shared Stats2 CouchDB, replicated here', () => {
  it('refuses a pull before a source is set, and a source that is not an http(s) URL', async () => {
    const pull = await dispatch(handlers, 'pullReplica', {})
    expect(pull).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringMatching(/^source\.url: /) } })
    const bad = await dispatch(handlers, 'setSettings', { source: { kind: 'replica', url: 'ftp://somewhere' } })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    const onCouch = await dispatch(handlers, 'setSettings', { source: { kind: 'replica', url: source.url }, database: { kind: 'url', url: 'http://127.0.0.1:5984' } })
    expect(onCouch).toMatchObject({ ok: false, error: { message: expect.stringContaining('source.kind: a replica is kept in the embedded store') } })
  })

  it('keeps the password out of settings.json and the renderer', async () => {
    const saved = await dispatch(handlers, 'setSettings', { source: { kind: 'replica', url: source.urlWithCredentials } })
    expect(saved.ok).toBe(true)
    const view = (saved as { value: { source?: { url?: string; user?: string }; replicaPasswordStored: boolean } }).value
    expect(view.source).toEqual({ kind: 'replica', url: `${source.url}/`, user: source.couch.adminUser })
    expect(view.replicaPasswordStored).toBe(true)
    expect(JSON.stringify(view)).not.toContain(source.couch.adminPassword)
    expect(await readFile(join(work, 'user', 'settings.json'), 'utf8')).not.toContain(source.couch.adminPassword)
  })

  it('pulls, telling its progress; the status names the replica; update-all is refused, selected workflows are not', async () => {
    const before = (await dispatch(handlers, 'getStatus', {})) as { ok: true; value: AppStatus }
    expect(before.value.replica).toMatchObject({ source: source.url, scope: 'everything (no scope)' })
    expect(before.value.replica?.lastPull).toBeUndefined()
    const started = await dispatch(handlers, 'pullReplica', {})
    expect(started).toMatchObject({ ok: true, value: { state: 'running' } })
    const again = await dispatch(handlers, 'pullReplica', {})
    expect(again).toMatchObject({ ok: false, error: { code: 'busy' } })
    await core.replica.wait()
    const final = (await dispatch(handlers, 'getReplicaState', {})) as { ok: true; value: ReplicaState }
    expect(final.value).toMatchObject({ state: 'done', progress: { fetched: 300, written: 300, phase: 'done' } })
    expect(states.some((s) => s.state === 'running' && s.progress !== undefined)).toBe(true)
    expect(states.at(-1)?.state).toBe('done')

    const store = await core.activeStore()
    expect(snapshotDifferences(await snapshot(store.url, store.embeddedServer!.authHeader), await snapshot(source.url, source.authHeader))).toEqual([])
    const after = (await dispatch(handlers, 'getStatus', {})) as { ok: true; value: AppStatus }
    expect(after.value.replica?.lastPull).toBeGreaterThan(0)
    expect(after.value.store.workflows).toBe(300)

    const updateAll = await dispatch(handlers, 'updateAll', {})
    expect(updateAll).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining(`is a replica of ${source.url}:`) } })
    const selected = await dispatch(handlers, 'updateSelected', { names: [[...(await snapshot(source.url, source.authHeader)).keys()][0]!] })
    expect(selected).toMatchObject({ ok: true, value: { scope: 'names' } })
    await core.job.wait()
  })
})
