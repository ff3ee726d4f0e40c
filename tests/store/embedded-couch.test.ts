/**
 * The embedded CouchDB-protocol server, over real HTTP (fetch and nano) against real LevelDB and
 * memdown stores in temporary folders, and with a real second process for the folder lock.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, promises as fs } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Nano from 'nano'
import PouchDBCore from 'pouchdb-core'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { addLogSink, type LogRecord } from '../../src/main/log/logger'
import {
  ADMIN_FILE,
  ADMIN_USER,
  EmbeddedCouchError,
  startEmbeddedCouch,
  StoreInUseError,
  type EmbeddedCouch,
  type EmbeddedCouchOptions
} from '../../src/store-server/embedded-couch'
import { LOCK_FILE, processAlive } from '../../src/store-server/store-lock'

type AnyDoc = Record<string, unknown>

const REPO = resolve(__dirname, '../..')
const FIXTURE = join(__dirname, 'fixtures', 'start-couch.ts')

// ---------------------------------------------------------------------------------------------
// Helpers: temp folders, servers and child processes are all cleaned up after each test.

const tempDirs: string[] = []
const servers: EmbeddedCouch[] = []
const children: ChildProcess[] = []

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'stats2-couch-test-'))
  tempDirs.push(dir)
  return dir
}

async function start(options: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  const couch = await startEmbeddedCouch(options)
  servers.push(couch)
  return couch
}

// A crash route that slips through shows up here even when vitest keeps the worker alive.
const processErrors: unknown[] = []
const recordProcessError = (error: unknown): void => {
  processErrors.push(error)
}
beforeAll(() => {
  process.on('uncaughtException', recordProcessError)
  process.on('unhandledRejection', recordProcessError)
})

afterEach(async () => {
  await new Promise((r) => setTimeout(r, 20))
  const errors = processErrors.splice(0).map((error) => String((error as Error)?.stack ?? error))
  for (const couch of servers.splice(0)) await couch.close()
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end()
      child.kill('SIGTERM')
    }
  }
  expect(errors, 'uncaught exceptions or unhandled rejections during the test').toEqual([])
})

afterAll(async () => {
  process.removeListener('uncaughtException', recordProcessError)
  process.removeListener('unhandledRejection', recordProcessError)
  for (const dir of tempDirs.splice(0)) await fs.rm(dir, { recursive: true, force: true })
})

interface Reply {
  status: number
  body: Record<string, unknown>
  text: string
  type: string
}

async function request(couch: EmbeddedCouch, path: string, init: RequestInit & { admin?: boolean } = {}): Promise<Reply> {
  const headers = new Headers(init.headers)
  if (init.admin) headers.set('Authorization', couch.authHeader)
  if (init.body !== undefined && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json')
  headers.set('Accept', 'application/json')
  const response = await fetch(couch.url + path, { ...init, headers, signal: AbortSignal.timeout(10_000) })
  const text = await response.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    /* not JSON: the test looks at `text` and `type` */
  }
  return { status: response.status, body, text, type: response.headers.get('content-type') ?? '' }
}

/** The server still answers, reads and writes (a crash or a poisoned queue would show here). */
async function expectAlive(couch: EmbeddedCouch, db = 'alive'): Promise<void> {
  const root = await request(couch, '/')
  expect(root.status).toBe(200)
  const created = await request(couch, `/${db}`, { method: 'PUT', admin: true })
  expect([201, 412]).toContain(created.status)
  const id = `probe-${Date.now()}-${Math.random()}`
  expect((await request(couch, `/${db}/${id}`, { method: 'PUT', admin: true, body: '{"n":1}' })).status).toBe(201)
  expect((await request(couch, `/${db}/${id}`, { admin: true })).body.n).toBe(1)
}

function nanoFor(couch: EmbeddedCouch, admin: boolean): Nano.ServerScope {
  return Nano(admin ? { url: couch.url, headers: { Authorization: couch.authHeader } } : { url: couch.url })
}

const VALIDATE_WRITE = {
  _id: '_design/validate_write',
  validate_doc_update:
    "function (newDoc, oldDoc, userCtx) { if (userCtx.roles.indexOf('_admin') === -1) throw( { forbidden : 'Only admins can modify the database.'} ); }"
}

const PREPIDS_VIEW = {
  _id: '_design/_designDoc',
  views: { prepids: { map: 'function (doc) { if (doc.PrepID) { emit(doc.PrepID, doc.RequestName); } }' } }
}

function captureLogs(): { records: LogRecord[]; stop: () => void } {
  const records: LogRecord[] = []
  const stop = addLogSink((record) => records.push(record))
  return { records, stop }
}

interface ChildLine {
  ok: boolean
  pid: number
  url?: string
  name?: string
  message?: string
  holderPid?: number
  holderUrl?: string
}

/** `npx tsx fixtures/start-couch.ts <dir>`: resolves with the JSON line it prints. */
function spawnStore(dataDir: string): Promise<{ child: ChildProcess; line: ChildLine }> {
  const child = spawn('npx', ['tsx', FIXTURE, dataDir], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  return new Promise((done, fail) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(new Error(`the child printed nothing in 30 s; stderr: ${err}`)), 30_000)
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const newline = out.indexOf('\n')
      if (newline >= 0) {
        clearTimeout(timer)
        try {
          done({ child, line: JSON.parse(out.slice(0, newline)) as ChildLine })
        } catch (error) {
          fail(error as Error)
        }
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (!out.includes('\n')) fail(new Error(`the child exited (${code}) without a line; stderr: ${err}`))
    })
  })
}

async function waitUntil(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function readAdmin(dataDir: string): Promise<{ user: string; password: string }> {
  return JSON.parse(await fs.readFile(join(dataDir, ADMIN_FILE), 'utf8')) as { user: string; password: string }
}

const mode = async (path: string): Promise<number> => (await fs.stat(path)).mode & 0o777

// ---------------------------------------------------------------------------------------------

describe('startEmbeddedCouch on LevelDB', () => {
  it('serves CouchDB on 127.0.0.1 with a generated admin kept in admin.json (0600) in a 0700 folder', async () => {
    const parent = await tempDir()
    const dataDir = join(parent, 'nested', 'store')
    const couch = await start({ dataDir })

    expect(couch.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(couch.dataDir).toBe(dataDir)
    expect(couch.adminUser).toBe(ADMIN_USER)
    expect(Buffer.from(couch.adminPassword, 'base64url').length).toBeGreaterThanOrEqual(24)
    expect(couch.authHeader).toBe('Basic ' + Buffer.from(`${couch.adminUser}:${couch.adminPassword}`).toString('base64'))
    expect(await mode(dataDir)).toBe(0o700)
    expect(await mode(join(dataDir, ADMIN_FILE))).toBe(0o600)
    expect(await readAdmin(dataDir)).toEqual({ user: couch.adminUser, password: couch.adminPassword })

    const root = await request(couch, '/')
    expect(root.status).toBe(200)
    expect(root.body['express-pouchdb']).toBe('Welcome!')
    expect((await request(couch, '/_all_dbs', { admin: true })).body).toEqual(['_users'])
    // The admin is real: /_config is for server admins only, and a wrong password is refused.
    expect((await request(couch, '/_config')).status).toBe(401)
    expect((await request(couch, '/_config', { admin: true })).status).toBe(200)
    const wrong = await request(couch, '/_config', { headers: { Authorization: 'Basic ' + Buffer.from(`${ADMIN_USER}:nope`).toString('base64') } })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error).toBe('unauthorized')
  })

  it('needs the admin to create and delete databases, and the process survives the attempts', async () => {
    const couch = await start({ dataDir: await tempDir() })
    // Anonymous PUT /<newdb> once an admin exists: crashed express-pouchdb.
    const put = await request(couch, '/requests', { method: 'PUT' })
    expect(put.status).toBe(401)
    expect(put.body).toEqual({ error: 'unauthorized', reason: 'You are not a server admin.' })
    await expectAlive(couch)

    expect((await request(couch, '/requests', { method: 'PUT', admin: true })).status).toBe(201)
    expect((await request(couch, '/requests', { method: 'PUT', admin: true })).body.error).toBe('file_exists')

    // Anonymous DELETE: answered 401 but poisoned express-pouchdb's queue, so the next request crashed.
    expect((await request(couch, '/_session', { method: 'PUT' })).status).toBe(401)
    expect((await request(couch, '/_session', { method: 'DELETE' })).status).toBe(200) // logout still works
    for (const path of ['/requests', '/nothing-here', '/_users', '/requests/']) {
      const deleted = await request(couch, path, { method: 'DELETE' })
      expect(deleted.status).toBe(401)
      expect(deleted.body.error).toBe('unauthorized')
    }
    await expectAlive(couch)
    expect((await request(couch, '/requests')).status).toBe(200)

    expect((await request(couch, '/requests', { method: 'DELETE', admin: true })).status).toBe(200)
    expect((await request(couch, '/requests')).status).toBe(404)
    expect((await request(couch, '/_all_dbs', { admin: true })).body).toEqual(['_users', 'alive'])
    await expectAlive(couch)
  })

  it('refuses database names that would brick the server (a%zz) with illegal_database_name', async () => {
    const couch = await start({ dataDir: await tempDir() })
    for (const name of ['a%25zz', 'Upper', '9lives', '_private', '..%2Fescape']) {
      const reply = await request(couch, `/${name}`, { method: 'PUT', admin: true })
      expect(reply.status, name).toBe(400)
      expect(reply.body.error, name).toBe('illegal_database_name')
    }
    const malformed = await request(couch, '/a%zz', { method: 'PUT', admin: true })
    expect(malformed.status).toBe(400)
    expect((await request(couch, '/_all_dbs', { admin: true })).body).toEqual(['_users'])
    expect((await request(couch, '/ok-name_1$(x)+y', { method: 'PUT', admin: true })).status).toBe(201)
    await expectAlive(couch)
  })

  it('lets anyone read, and with validate_write only the admin write (403 otherwise)', async () => {
    const couch = await start({ dataDir: await tempDir() })
    const admin = nanoFor(couch, true)
    const anonymous = nanoFor(couch, false)
    await admin.db.create('requests')
    await admin.use<AnyDoc>('requests').insert(VALIDATE_WRITE)

    await expect(anonymous.use<AnyDoc>('requests').insert({ RequestName: 'x' }, 'x')).rejects.toMatchObject({
      statusCode: 403,
      error: 'forbidden',
      reason: 'Only admins can modify the database.'
    })
    const liar = Nano({ url: couch.url, headers: { Authorization: 'Basic ' + Buffer.from(`${ADMIN_USER}:guess`).toString('base64') } })
    await expect(liar.use<AnyDoc>('requests').insert({ RequestName: 'x' }, 'x')).rejects.toMatchObject({ statusCode: 401 })
    const bulk = await request(couch, '/requests/_bulk_docs', { method: 'POST', body: JSON.stringify({ docs: [{ _id: 'b' }] }) })
    expect(bulk.text).toContain('forbidden')

    const written = await admin.use<AnyDoc>('requests').insert({ RequestName: 'x' }, 'x')
    expect(written.ok).toBe(true)
    expect((await anonymous.use<{ RequestName: string }>('requests').get('x')).RequestName).toBe('x')
    await expect(anonymous.db.create('other')).rejects.toMatchObject({ statusCode: 401 })
    await expectAlive(couch)
  })

  it('answers _changes with a failing filter with a JSON error instead of crashing', async () => {
    const couch = await start({ dataDir: await tempDir() })
    const admin = nanoFor(couch, true)
    await admin.db.create('requests')
    const db = admin.use<AnyDoc>('requests')
    await db.insert({ RequestName: 'r1' }, 'r1')
    await db.insert({
      _id: '_design/d',
      filters: {
        ok: 'function (doc) { return true }',
        throws: 'function (doc) { throw new Error("boom") }',
        broken: 'function (doc) {',
        notAFunction: '42'
      },
      views: { v: { map: 'function (doc) { emit(doc._id, 1) }' }, broken: { map: 'function (doc) { emit(' } }
    })

    const bad = [
      'filter=_design',
      'filter=nope/x',
      'filter=d/missing',
      'filter=d/throws',
      'filter=d/broken',
      'filter=d/notAFunction',
      'filter=a/b/c',
      'filter=_view',
      'filter=_view&view=a/b/c',
      'filter=_view&view=d/broken',
      'filter=_doc_ids',
      'filter=_selector',
      'filter=_view&view=nope/v',
      'filter=_view&view=d/missing',
      'feed=longpoll&filter=nope/x',
      'feed=continuous&filter=nope/x&timeout=200'
    ]
    for (const query of bad) {
      const reply = await request(couch, `/requests/_changes?${query}`)
      expect(reply.status, query).toBeGreaterThanOrEqual(400)
      expect(typeof reply.body.error, query).toBe('string')
    }
    const posted = await request(couch, '/requests/_changes?filter=_design', { method: 'POST', body: '{}' })
    expect(posted.status).toBe(404)
    expect(posted.body).toEqual({ error: 'not_found', reason: 'missing' })
    await expectAlive(couch)

    // Working filters still work.
    const good = await request(couch, '/requests/_changes?filter=d/ok')
    expect(good.status).toBe(200)
    expect((good.body.results as unknown[]).length).toBe(2)
    const ids = await request(couch, '/requests/_changes?filter=_doc_ids', { method: 'POST', body: '{"doc_ids":["r1"]}' })
    expect((ids.body.results as Array<{ id: string }>).map((r) => r.id)).toEqual(['r1'])
  })

  it('guards the other routes found to crash or misbehave', async () => {
    const couch = await start({ dataDir: await tempDir() })
    const admin = nanoFor(couch, true)
    await admin.db.create('requests')
    await admin.use<AnyDoc>('requests').insert({ RequestName: 'r1' }, 'r1')
    await admin.use<AnyDoc>('requests').insert({ _id: '_design/d', views: { v: { map: 'function (doc) { emit(doc._id, 1) }' } } })

    // A missing list function crashed the process: list functions are off.
    const list = await request(couch, '/requests/_design/d/_list/missing/v')
    expect(list.status).toBe(404)
    expect(list.body.error).toBe('not_found')
    await expectAlive(couch)

    // Only 127.0.0.1/localhost as Host (DNS rebinding); fetch cannot set Host, so use http.get.
    const { get } = await import('node:http')
    const status = (host: string): Promise<number | undefined> =>
      new Promise((done, fail) => get(`${couch.url}/requests/r1`, { headers: { host } }, (res) => done(res.resume().statusCode)).on('error', fail))
    expect(await status('evil.example.com')).toBe(403)
    expect(await status(`localhost:${new URL(couch.url).port}`)).toBe(200)
    expect(await status(new URL(couch.url).host)).toBe(200)

    // _replicate let anyone create databases and copy documents.
    const replicate = await request(couch, '/_replicate', { method: 'POST', body: JSON.stringify({ source: 'requests', target: 'copy', create_target: true }) })
    expect(replicate.status).toBe(401)
    expect((await request(couch, '/copy', { admin: true })).status).toBe(404)

    // Errors thrown inside a route come back as CouchDB JSON, not Express's HTML page.
    const bulk = await request(couch, '/requests/_bulk_docs', { method: 'POST', admin: true, body: '{"docs":5}' })
    expect(bulk.status).toBeGreaterThanOrEqual(400)
    expect(bulk.type).toContain('application/json')
    expect(bulk.body.error).toBeTypeOf('string')
    const tempView = await request(couch, '/requests/_temp_view', { method: 'POST', admin: true, body: '{"map":"function ("}' })
    expect(tempView.status).toBeGreaterThanOrEqual(400)
    expect(tempView.text).not.toContain('<html')
    expect(tempView.body.error).toBeTypeOf('string')
    await expectAlive(couch)
  })

  it('keeps quiet: a throwing map function is logged once through the store logger, not on the console', async () => {
    const couch = await start({ dataDir: await tempDir() })
    const admin = nanoFor(couch, true)
    await admin.db.create('requests')
    const db = admin.use<AnyDoc>('requests')
    await db.bulk({ docs: [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }] })
    await db.insert({ _id: '_design/bad', views: { v: { map: 'function (doc) { throw new Error("map exploded") }' } } })
    const logs = captureLogs()
    const consoleCalls = (['log', 'error', 'warn', 'info'] as const).map((name) => vi.spyOn(console, name).mockImplementation(() => undefined))
    try {
      const view = await db.view('bad', 'v')
      expect(view.rows).toEqual([])
      expect(consoleCalls.flatMap((spy) => spy.mock.calls)).toEqual([])
      const warnings = logs.records.filter((r) => r.component === 'store' && r.message.includes('map exploded'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]?.level).toBe('warn')
    } finally {
      logs.stop()
      for (const spy of consoleCalls) spy.mockRestore()
    }
  })

  it('writes its files inside the data folder (or a temp folder in memory), never the current directory', async () => {
    const cwd = process.cwd()
    const scratch = await tempDir()
    const dataDir = await tempDir()
    process.chdir(scratch)
    try {
      const disk = await start({ dataDir })
      const memory = await start({ dataDir: '', inMemory: true })
      for (const couch of [disk, memory]) {
        expect((await request(couch, '/_config', { admin: true })).status).toBe(200)
        expect((await request(couch, '/_log', { admin: true })).status).toBe(200)
        await expectAlive(couch)
      }
      await disk.close()
      await memory.close()
      expect(await fs.readdir(scratch)).toEqual([])
      expect((await fs.readdir(dataDir)).sort()).toEqual(['_users', 'admin.json', 'alive', 'express-pouchdb.log', 'store-manifest.json'])
    } finally {
      process.chdir(cwd)
    }
  })

  it('keeps the data and the admin across restarts', async () => {
    const dataDir = await tempDir()
    const first = await start({ dataDir })
    const admin = nanoFor(first, true)
    await admin.db.create('requests')
    const db = admin.use<AnyDoc>('requests')
    await db.insert(PREPIDS_VIEW)
    await db.bulk({ docs: Array.from({ length: 50 }, (_, i) => ({ _id: `r${i}`, RequestName: `r${i}`, PrepID: `p${i % 5}` })) })
    expect((await db.view('_designDoc', 'prepids', { key: 'p3' })).rows).toHaveLength(10)
    await first.close()
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false)

    const second = await start({ dataDir })
    expect(second.adminPassword).toBe(first.adminPassword)
    const again = nanoFor(second, true).use<{ RequestName: string; PrepID: string }>('requests')
    expect((await again.get('r7')).PrepID).toBe('p2')
    expect((await again.info()).doc_count).toBe(51)
    expect((await again.view('_designDoc', 'prepids', { key: 'p3' })).rows.map((r) => r.id).sort()).toEqual(
      ['r13', 'r18', 'r23', 'r28', 'r3', 'r33', 'r38', 'r43', 'r48', 'r8'].sort()
    )
    expect((await request(second, '/_all_dbs', { admin: true })).body).toEqual(['_users', 'requests'])
    // The admin written before is still the one required.
    expect((await request(second, '/other', { method: 'PUT', headers: { Authorization: first.authHeader } })).status).toBe(201)
  })

  it('re-writes an unreadable admin.json (0600) and tightens a too open one', async () => {
    const dataDir = await tempDir()
    await fs.writeFile(join(dataDir, ADMIN_FILE), '{ not json', { mode: 0o644 })
    const couch = await start({ dataDir })
    const saved = await readAdmin(dataDir)
    expect(saved).toEqual({ user: ADMIN_USER, password: couch.adminPassword })
    expect(await mode(join(dataDir, ADMIN_FILE))).toBe(0o600)
    expect((await request(couch, '/x', { method: 'PUT', admin: true })).status).toBe(201)
    await couch.close()

    await fs.chmod(join(dataDir, ADMIN_FILE), 0o644)
    const next = await start({ dataDir })
    expect(next.adminPassword).toBe(couch.adminPassword)
    expect(await mode(join(dataDir, ADMIN_FILE))).toBe(0o600)
  })

  it('reports db info without sizes; _compact and _view_cleanup work for the admin only', async () => {
    const couch = await start({ dataDir: await tempDir() })
    const admin = nanoFor(couch, true)
    await admin.db.create('requests')
    const db = admin.use<{ n: number }>('requests')
    let rev = (await db.insert({ n: 0 }, 'doc')).rev
    const firstRev = rev
    for (let n = 1; n <= 5; n++) rev = (await db.insert({ _id: 'doc', _rev: rev, n })).rev

    const info = await request(couch, '/requests')
    expect(info.status).toBe(200)
    expect(info.body).toMatchObject({ db_name: 'requests', doc_count: 1, update_seq: 6, adapter: 'leveldb' })
    expect(info.body.disk_size).toBeTypeOf('number')
    expect(info.body.sizes).toBeUndefined()
    expect(info.body.data_size).toBeUndefined()

    expect((await request(couch, `/requests/doc?rev=${firstRev}`)).status).toBe(200)
    expect((await request(couch, '/requests/_compact', { method: 'POST', body: '{}' })).status).toBe(401)
    const compact = await request(couch, '/requests/_compact', { method: 'POST', admin: true, body: '{}' })
    expect(compact.status).toBe(202)
    expect(compact.body).toEqual({ ok: true })
    // Compaction has finished when the answer comes: old revision bodies are gone.
    expect((await request(couch, `/requests/doc?rev=${firstRev}`)).status).toBe(404)
    expect((await request(couch, '/requests/doc')).body.n).toBe(5)

    expect((await request(couch, '/requests/_view_cleanup', { method: 'POST', body: '{}' })).status).toBe(401)
    const cleanup = await request(couch, '/requests/_view_cleanup', { method: 'POST', admin: true, body: '{}' })
    expect(cleanup.status).toBe(200)
    expect(cleanup.body).toEqual({ ok: true })
  })

  it('close() stops listening, releases the lock, ends open feeds and can be called twice', async () => {
    const dataDir = await tempDir()
    const couch = await start({ dataDir })
    expect(JSON.parse(await fs.readFile(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, url: couch.url })
    await request(couch, '/requests', { method: 'PUT', admin: true })
    // A continuous feed keeps its connection open; close() must not wait for it.
    const feed = fetch(`${couch.url}/requests/_changes?feed=continuous&heartbeat=1000`).then(
      (response) => response.text(),
      () => 'aborted'
    )
    await new Promise((r) => setTimeout(r, 200))
    const began = Date.now()
    await Promise.all([couch.close(), couch.close()])
    await couch.close()
    expect(Date.now() - began).toBeLessThan(5_000)
    await feed
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false)
    await expect(fetch(couch.url + '/', { signal: AbortSignal.timeout(2_000) })).rejects.toThrow()
    // Everything was closed: the folder can be opened again at once.
    const again = await start({ dataDir })
    expect((await request(again, '/requests')).status).toBe(200)
  })
})

describe('startEmbeddedCouch in one process', () => {
  it('leaves no listeners on PouchDB\'s process-wide event emitter after close', async () => {
    const events = ['created', 'destroyed', 'ref', 'unref', 'debug']
    const root = PouchDBCore as { listenerCount(event: string): number }
    const before = events.map((event) => root.listenerCount(event))
    for (const inMemory of [false, true, false]) {
      const couch = await startEmbeddedCouch({ dataDir: inMemory ? '' : await tempDir(), inMemory })
      await expectAlive(couch)
      expect(events.map((event) => root.listenerCount(event))).not.toEqual(before)
      await couch.close()
    }
    expect(events.map((event) => root.listenerCount(event))).toEqual(before)
  })
})

describe('startEmbeddedCouch in memory', () => {
  it('serves a throw-away store: nothing on disk, nothing kept after close, servers isolated', async () => {
    const a = await start({ dataDir: '', inMemory: true })
    const b = await start({ dataDir: 'ignored', inMemory: true })
    expect(a.dataDir).toBe('')
    expect(b.dataDir).toBe('')
    expect(existsSync(resolve('ignored'))).toBe(false)
    expect(a.adminPassword).not.toBe(b.adminPassword)

    await nanoFor(a, true).db.create('requests')
    await nanoFor(a, true).use<AnyDoc>('requests').insert({ RequestName: 'x' }, 'x')
    expect((await request(a, '/requests/x')).status).toBe(200)
    // The other in-memory server does not see it.
    expect((await request(b, '/requests')).status).toBe(404)
    expect((await request(b, '/_all_dbs', { admin: true })).body).toEqual(['_users'])
    expect((await request(a, '/requests', { method: 'PUT' })).status).toBe(401)
    const info = await request(a, '/requests')
    expect(info.body).toMatchObject({ db_name: 'requests', doc_count: 1 })

    await a.close()
    // Destroying a's databases (to free memdown's process-wide map) did not disturb b.
    await expectAlive(b)
    const c = await start({ dataDir: '', inMemory: true })
    expect((await request(c, '/_all_dbs', { admin: true })).body).toEqual(['_users'])
    expect((await request(c, '/requests')).status).toBe(404)
  })
})

describe('startEmbeddedCouch errors', () => {
  it('says that a fixed port is already in use, and leaves the folder usable', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const port = (blocker.address() as { port: number }).port
    const dataDir = await tempDir()
    try {
      const failure = await startEmbeddedCouch({ dataDir, port }).then(
        () => undefined,
        (error: unknown) => error
      )
      expect(failure).toBeInstanceOf(EmbeddedCouchError)
      expect((failure as Error).message).toBe(`127.0.0.1:${port} is already in use`)
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false)
    } finally {
      await new Promise((r) => blocker.close(r))
    }
    const couch = await start({ dataDir, port })
    expect(couch.url).toBe(`http://127.0.0.1:${port}`)
  })

  it('says when the folder cannot be used', async () => {
    const file = join(await tempDir(), 'a-file')
    await fs.writeFile(file, 'x')
    const failure = await startEmbeddedCouch({ dataDir: join(file, 'store') }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(EmbeddedCouchError)
    expect((failure as Error).message).toMatch(/^Cannot use .*a-file\/store as the store folder: /)
    await expect(startEmbeddedCouch({ dataDir: '' })).rejects.toBeInstanceOf(EmbeddedCouchError)
  })
})

describe('the guarded routes in a separate process', () => {
  it('a store process survives every route that used to crash it', async () => {
    const dataDir = await tempDir()
    const { child, line } = await spawnStore(dataDir)
    expect(line.ok).toBe(true)
    const { user, password } = await readAdmin(dataDir)
    const couch: EmbeddedCouch = {
      url: line.url as string,
      adminUser: user,
      adminPassword: password,
      authHeader: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'),
      dataDir,
      openFeeds: () => 0,
      close: async () => undefined
    }
    await request(couch, '/requests', { method: 'PUT', admin: true })
    await request(couch, '/requests/_design/d', {
      method: 'PUT',
      admin: true,
      body: JSON.stringify({ filters: { broken: 'function (doc) {' }, views: { v: { map: 'function (doc) { emit(doc._id) }' } } })
    })
    const probes: Array<[string, string, string?, boolean?]> = [
      ['PUT', '/newdb'],
      ['PUT', '/_session'],
      ['DELETE', '/requests'],
      ['GET', '/requests'],
      ['PUT', '/a%25zz', undefined, true],
      ['GET', '/requests/_changes?filter=_design'],
      ['POST', '/requests/_changes?filter=_design', '{}'],
      ['GET', '/requests/_changes?filter=nope/x'],
      ['GET', '/requests/_changes?filter=d/broken'],
      ['GET', '/requests/_changes?filter=a/b/c'],
      ['GET', '/requests/_changes?filter=_view&view=d/missing'],
      ['GET', '/requests/_changes?feed=longpoll&filter=nope/x'],
      ['GET', '/requests/_design/d/_list/missing/v'],
      ['POST', '/_replicate', '{"source":"requests","target":"copy","create_target":true}'],
      ['POST', '/requests/_bulk_docs', '{"docs":5}', true]
    ]
    for (const [method, path, body, admin] of probes) {
      const reply = await request(couch, path, { method, body, admin })
      expect(reply.status, `${method} ${path}`).toBeGreaterThanOrEqual(method === 'GET' && path === '/requests' ? 200 : 400)
      expect(reply.type, `${method} ${path}`).toContain('application/json')
    }
    await new Promise((r) => setTimeout(r, 200))
    expect(child.exitCode).toBeNull()
    await expectAlive(couch)
    expect((await request(couch, '/_all_dbs', { admin: true })).body).toEqual(['_users', 'alive', 'requests'])
  })
})

describe('one process per data folder', () => {
  it('refuses a second process, then takes the folder over after kill -9 with the data intact', async () => {
    const dataDir = await tempDir()
    const { child, line } = await spawnStore(dataDir)
    expect(line).toMatchObject({ ok: true })
    const url = line.url as string
    const childPid = line.pid

    // Write through the child's server with the admin it generated.
    const { user, password } = await readAdmin(dataDir)
    const viaChild = Nano({ url, headers: { Authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') } })
    await viaChild.db.create('requests')
    await viaChild.use<AnyDoc>('requests').insert({ RequestName: 'kept', PrepID: 'p1' }, 'kept')

    const refused = await startEmbeddedCouch({ dataDir }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(StoreInUseError)
    const inUse = refused as StoreInUseError
    expect(inUse.pid).toBe(childPid)
    expect(inUse.url).toBe(url)
    expect(inUse.message).toContain(
      `The Stats2 store in ${dataDir} is in use by process ${childPid} (${url}). Stop it, or set DB_URL=${url} to share it.`
    )
    // The failed attempt left the child's lock alone.
    expect(JSON.parse(await fs.readFile(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: childPid, url })

    process.kill(childPid, 'SIGKILL')
    await waitUntil(() => !processAlive(childPid), `process ${childPid} is gone`)
    await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 'npx exits')
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true) // stale, left by kill -9

    const logs = captureLogs()
    try {
      const couch = await start({ dataDir })
      expect(logs.records.some((r) => r.level === 'info' && r.message.includes('Taking over the stale store lock') && r.message.includes(String(childPid)))).toBe(true)
      expect(couch.adminPassword).toBe(password)
      expect((await request(couch, '/requests/kept')).body).toMatchObject({ RequestName: 'kept', PrepID: 'p1' })
      expect(JSON.parse(await fs.readFile(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, url: couch.url })
    } finally {
      logs.stop()
    }
  })

  it('a second process gets StoreInUseError naming this one', async () => {
    const dataDir = await tempDir()
    const couch = await start({ dataDir })
    const { line } = await spawnStore(dataDir)
    expect(line).toMatchObject({ ok: false, name: 'StoreInUseError', holderPid: process.pid, holderUrl: couch.url })
    expect(line.message).toContain(`is in use by process ${process.pid} (${couch.url})`)
    await expectAlive(couch)
  })

  it('refuses a second server on the same folder in the same process', async () => {
    const dataDir = await tempDir()
    const couch = await start({ dataDir })
    await expect(startEmbeddedCouch({ dataDir })).rejects.toMatchObject({ name: 'StoreInUseError', pid: process.pid, url: couch.url })
    await expectAlive(couch)
  })

  it('maps LevelDB\'s own "lock held" error to StoreInUseError when the lock file is gone', async () => {
    const dataDir = await tempDir()
    const { line } = await spawnStore(dataDir)
    expect(line.ok).toBe(true)
    await fs.rm(join(dataDir, LOCK_FILE))

    const refused = await startEmbeddedCouch({ dataDir }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(StoreInUseError)
    expect((refused as Error).message).toMatch(/is in use by .*its database is locked/)
    if (process.platform === 'linux') expect((refused as StoreInUseError).pid).toBe(line.pid) // from /proc/locks
    // The failed start removed the lock file it had written, and the child still serves.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false)
    expect((await fetch(`${line.url as string}/`)).status).toBe(200)
  })

  it('takes over a lock file left by an earlier process with the same pid', async () => {
    const dataDir = await tempDir()
    const stale = { pid: process.pid, host: (await import('node:os')).hostname(), bootTime: Date.now() - (await import('node:os')).uptime() * 1000, token: 'old', url: 'http://127.0.0.1:1' }
    await fs.writeFile(join(dataDir, LOCK_FILE), JSON.stringify(stale))
    const couch = await start({ dataDir })
    expect(JSON.parse(await fs.readFile(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, url: couch.url })
  })
})
