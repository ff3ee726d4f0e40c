/**
 * The store client against real servers: the embedded CouchDB-protocol server started as admin and
 * reached by a second client through DB_URL without credentials or with a non-admin user (read-only
 * opening), a TCP server that accepts and never answers, HTTP servers that are not CouchDB, a proxy
 * that fails the first calls (retries), names CouchDB cannot hold (per-document failures), and names
 * that would reach other endpoints if put into a URL unencoded. Through the CLI where an operator
 * would meet them.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore, NotCouchDbError, StoreError } from '../../src/main/store/couch-store'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { DESIGN_DOC_ID } from '../../src/main/store/design-docs'
import { docPathSegment } from '../../src/main/store/doc-ids'
import { addLogSink } from '../../src/main/log/logger'
import { loadBackup, writeBackup } from '../../src/main/store/backup'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { runCli } from '../helpers/cli'
import { REPO_ROOT } from '../helpers/paths'

const NAME = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'
/** Stored names the old IPC schema refused: they must open, and only themselves. */
const ODD_NAMES = ['with space 230101_000000_0001', 'colon:and%25percent', 'ünïcödé ✓ 名前', 'slash/inside', '..x']

let work: string
let couch: EmbeddedCouch
let admin: CouchStore
const basic = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
const READER = basic('reader', 'reader-password-1')
/** With write rights, so that only the encoding is under test. */
const asAdmin = (): Record<string, string> => ({ STATS_DB_AUTH_HEADER: couch.authHeader })

const doc = (id: string, over: Partial<WorkflowDoc> = {}): WorkflowDoc => ({
  _id: id, RequestName: id, Campaigns: ['Run2022C_ReReco_synthetic'], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0,
  RequestTransition: [], Requests: [], TotalEvents: 41234, TotalInputLumis: -1, PrepID: 'ReReco-Run2022C-MuonEG-27Jun2023-0001', ...over
})

/** The CLI with only DB_URL (and what `extra` adds): a second client of the admin's server. */
const cli = (args: string[], extra: Record<string, string> = {}): ReturnType<typeof runCli> =>
  runCli(args, { HOME: work, STATS2_DATA_DIR: join(work, 'unused'), DB_URL: couch.url, ...extra })

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-store-client-'))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'couch') })
  admin = await CouchStore.open({ url: couch.url, authHeader: couch.authHeader, dataDir: '' })
  await admin.saveWorkflows([doc(NAME), ...ODD_NAMES.map((name) => doc(name, { PrepID: `odd-${name}` }))])
  await admin.updateSettings((settings) => ({ ...settings, last_reqmgr_sequence: 7 }))
  await admin.raw('add a user', {
    db: '_users', path: 'org.couchdb.user%3Areader', method: 'put',
    body: { _id: 'org.couchdb.user:reader', name: 'reader', password: 'reader-password-1', roles: [], type: 'user' }
  })
}, 60_000)

afterAll(async () => {
  await admin?.close()
  await couch?.close()
  await rm(work, { recursive: true, force: true })
})

describe('read-only access to a shared CouchDB', () => {
  for (const [label, extra] of [['without credentials', {}], ['as a user who is not an admin', { STATS_DB_AUTH_HEADER: READER }]] as const) {
    it(`${label}: every read works, once-logged read-only, updates and loads refused with what to set`, async () => {
      const designRev = (await admin.raw<{ _rev: string }>('read', { db: 'requests', path: DESIGN_DOC_ID, method: 'get' }))._rev
      const logged: string[] = []
      const remove = addLogSink((record) => logged.push(record.message))
      try {
        const see = await cli(['see', NAME], extra)
        expect(see.err).toBe('')
        expect(see.code).toBe(0)
        expect(JSON.parse(see.out)).toMatchObject({ _id: NAME, TotalEvents: 41234 })
        const search = await cli(['search', 'Run2022C_ReReco_synthetic'], extra)
        expect(search.code).toBe(0)
        expect((JSON.parse(search.out) as unknown[]).length).toBe(1 + ODD_NAMES.length)
        const dump = await cli(['dump'], extra)
        expect(dump.code).toBe(0)
        expect((JSON.parse(dump.out) as unknown[]).length).toBe(1 + ODD_NAMES.length)
        const backup = await cli(['dump', '--backup'], extra)
        expect(backup.code).toBe(0)
        expect(backup.out).toContain('"last_reqmgr_sequence":7')

        const update = await cli(['update'], extra)
        expect(update.code).toBe(1)
        expect(update.err).toMatch(/Updating is disabled: CouchDB at http:\/\/127\.0\.0\.1:\d+ is open read-only/)
        expect(update.err).toContain(label.startsWith('without') ? 'no credentials given' : 'the user "reader" is not a CouchDB admin')
        expect(update.err).toContain('STATS_DB_AUTH_HEADER')
        expect(update.err).toContain('Settings → Database')
        const load = await cli(['load', '-'], extra)
        expect(load.code).toBe(1)
        expect(load.err).toContain('Loading a backup is disabled')
      } finally {
        remove()
      }
      // One line per opening (six commands), nothing else about it.
      expect(logged.filter((line) => line.includes('opened read-only'))).toHaveLength(6)
      // Nothing was created or rewritten.
      expect((await admin.raw<{ _rev: string }>('read', { db: 'requests', path: DESIGN_DOC_ID, method: 'get' }))._rev).toBe(designRev)
    })
  }

  it('reports missing views by name, and a missing database with what creating it needs', async () => {
    const design = await admin.raw<Record<string, unknown> & { views: Record<string, unknown> }>('read', { db: 'requests', path: DESIGN_DOC_ID, method: 'get' })
    const { prepids: _p, types: _t, ...views } = design.views
    await admin.raw('drop two views', { db: 'requests', path: DESIGN_DOC_ID, method: 'put', body: { ...design, views } })
    try {
      const reader = await CouchStore.open({ url: couch.url, authHeader: READER, dataDir: '' })
      expect(reader.readOnly).toEqual({ reason: 'the user "reader" is not a CouchDB admin', missingViews: ['prepids', 'types'] })
      expect((await reader.getWorkflow(NAME))?.TotalEvents).toBe(41234)
      await expect(reader.saveWorkflows([doc('x')])).rejects.toThrow(/is disabled/)
      await reader.close()
    } finally {
      const current = await admin.raw<{ _rev: string }>('read', { db: 'requests', path: DESIGN_DOC_ID, method: 'get' })
      await admin.raw('restore the views', { db: 'requests', path: DESIGN_DOC_ID, method: 'put', body: { ...design, _rev: current._rev } })
    }

    const empty = await startEmbeddedCouch({ dataDir: '', inMemory: true })
    try {
      const error = await CouchStore.open({ url: empty.url, dataDir: '' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StoreError)
      expect((error as Error).message).toMatch(/has no database requests, and creating it needs an admin \(no credentials given\): set STATS_DB_AUTH_HEADER/)
    } finally {
      await empty.close()
    }
  })

  it('a wrong password is an error, not a silent read-only store', async () => {
    const result = await cli(['see', NAME], { STATS_DB_AUTH_HEADER: basic('reader', 'wrong') })
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/refused the credentials/)
  })
})

describe('nothing hangs, and a DB_URL that is not CouchDB says so', () => {
  it('a server that accepts and never answers: search and update end in bounded time with a clear message', { timeout: 120_000 }, async () => {
    const sockets = new Set<Socket>()
    const silent = createTcpServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => undefined)
    })
    const url = await listen(silent)
    try {
      for (const command of [['search', 'x'], ['update'], ['see', NAME]]) {
        const started = Date.now()
        const result = await runCli(command, { HOME: work, DB_URL: url, STATS2_DB_TIMEOUT_MS: '300', STATS2_DB_RETRIES: '1' })
        const seconds = (Date.now() - started) / 1000
        expect(result.code, command.join(' ')).toBe(1)
        expect(result.err).toContain(`CouchDB at ${url} did not answer within 300 ms`)
        expect(result.err).toContain('STATS2_DB_TIMEOUT_MS')
        // Two attempts of 300 ms and one backoff: far below this bound, which only catches a hang.
        expect(seconds).toBeLessThan(20)
      }
      expect(sockets.size).toBeGreaterThanOrEqual(2)

      // The real command in its own process (as cron runs it) exits by itself, non-zero.
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'update'], {
        env: { PATH: process.env.PATH, HOME: work, DB_URL: url, STATS2_DB_TIMEOUT_MS: '300', STATS2_DB_RETRIES: '1', STATS2_LOG_LEVEL: 'error' },
        stdio: ['ignore', 'ignore', 'pipe']
      })
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const killer = setTimeout(() => child.kill('SIGKILL'), 90_000)
      const [code] = (await once(child, 'exit')) as [number | null]
      clearTimeout(killer)
      expect(code).toBe(1)
      expect(stderr).toContain('did not answer within 300 ms')
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })

  it('HTTP servers that are not CouchDB: named as such, never "rows is not iterable"', async () => {
    const web = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html><body>Welcome to nginx!</body></html>')
    })
    const jsonApi = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"status":"ok"}')
    })
    // Answers the root and the schema calls like CouchDB, then an `_all_docs` without rows.
    const halfCouch = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const path = (req.url ?? '').split('?')[0]
      if (path === '/') return res.end('{"couchdb":"Welcome","version":"3.3.3"}')
      if (path === '/_session') return res.end('{"ok":true,"userCtx":{"name":null,"roles":[]}}')
      if (path === '/requests' || path === '/settings') return res.end(`{"db_name":"x","doc_count":0}`)
      if (path?.includes('_design')) return res.end('{"_id":"_design/_designDoc","views":{}}')
      res.end('{"total":0}')
    })
    const servers = [web, jsonApi, halfCouch]
    const [webUrl, jsonUrl, halfUrl] = await Promise.all(servers.map(listen))
    try {
      for (const url of [webUrl, jsonUrl, halfUrl]) {
        for (const command of [['search', 'pdmvserv_'], ['dump']]) {
          const result = await runCli(command, { HOME: work, DB_URL: url!, STATS2_DB_RETRIES: '0' })
          expect(result.code, `${url} ${command[0]}`).toBe(1)
          expect(result.err).toContain(`DB_URL ${url} does not answer like CouchDB`)
          expect(result.err).not.toMatch(/is not iterable|TypeError|Cannot read prop/)
        }
      }
      await expect(CouchStore.open({ url: webUrl, dataDir: '' })).rejects.toBeInstanceOf(NotCouchDbError)
    } finally {
      for (const server of servers) server.close()
    }
  })

  it('retries resets and 5xx with backoff, never a 4xx', async () => {
    let calls = 0
    let failures = 0
    // A proxy to the embedded server that resets the first call and answers 503 to the next two.
    const proxy = createHttpServer((req, res) => {
      calls++
      if (failures < 3) {
        failures++
        if (failures === 1) return req.socket.destroy()
        res.writeHead(503, { 'content-type': 'application/json' })
        return res.end('{"error":"unavailable","reason":"warming up"}')
      }
      const upstream = httpRequest(couch.url + req.url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
    const url = await listen(proxy)
    try {
      const store = await CouchStore.open({ url, authHeader: couch.authHeader, dataDir: '', retries: 3 })
      expect(failures).toBe(3)
      expect((await store.getWorkflow(NAME))?._id).toBe(NAME)
      const before = calls
      // 404 and 400 are answers, not failures to retry.
      expect(await store.getSettings()).toMatchObject({ last_reqmgr_sequence: 7 })
      await expect(store.raw('read a missing document', { db: 'requests', path: 'no_such_document', method: 'get' })).rejects.toThrow(/could not read a missing document: 404/)
      expect(calls - before).toBe(2)
      await store.close()
    } finally {
      proxy.close()
    }
  })
})

describe('one bad workflow fails only itself', () => {
  it('names CouchDB cannot hold fail alone; no random-UUID document; the good ones land', async () => {
    const store = CouchStore.connect(couch.url, couch.authHeader, 500, { retries: 0 })
    const bad = ['_leading', '', '_local/x', '_design/x', '_changes']
    const results = await store.saveWorkflows([doc('good_a'), ...bad.map((id) => doc(id)), doc('good_b')])
    const byId = new Map(results.map((r) => [r.id, r]))
    expect(byId.get('good_a')?.ok).toBe(true)
    expect(byId.get('good_b')?.ok).toBe(true)
    for (const id of bad) expect(byId.get(id), id).toMatchObject({ ok: false, error: 'bad_request', reason: expect.stringMatching(/reserves names|empty/) })
    const { names } = await store.listNames()
    expect(names.filter((name) => /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(name))).toEqual([])
    expect(names).toEqual(expect.arrayContaining(['good_a', 'good_b']))
    expect(names).not.toContain('_leading')
    await store.deleteWorkflows(['good_a', 'good_b'])
  })

  it('a batch CouchDB refuses as a whole is written again one by one', async () => {
    const store = CouchStore.connect(couch.url, couch.authHeader, 500, { retries: 0 })
    // A body CouchDB refuses (a top-level `_` member) makes the whole _bulk_docs fail.
    const poisoned = { ...doc('poisoned_one'), _bogus: 1 } as unknown as WorkflowDoc
    const results = await store.saveWorkflows([doc('batch_a'), poisoned, doc('batch_b')])
    expect(results.filter((r) => r.ok).map((r) => r.id).sort()).toEqual(['batch_a', 'batch_b'])
    expect(results.find((r) => r.id === 'poisoned_one')).toMatchObject({ ok: false, reason: expect.stringMatching(/_bogus/) })
    await store.deleteWorkflows(['batch_a', 'batch_b'])
  })
})

describe('every id is one path segment', () => {
  it('`see` of endpoint names and traversals reads nothing else', async () => {
    for (const name of ['_changes', '_all_docs', '_design/_designDoc', '_local/x', 'x_local/../../settings/all_settings', '..', '.', '../settings/all_settings', '%2e%2e', '_security']) {
      const result = await cli(['see', name], asAdmin())
      expect(result.code, name).toBe(1)
      expect(result.out, name).toBe('')
      expect(result.err, name).toContain('No workflow named')
    }
  })

  it('stored names with spaces, colons, percent signs, slashes and Unicode open as themselves', async () => {
    for (const name of ODD_NAMES) {
      const result = await cli(['see', name], asAdmin())
      expect(result.code, name).toBe(0)
      expect(JSON.parse(result.out)).toMatchObject({ _id: name, PrepID: `odd-${name}` })
    }
  })

  it('encodes a segment so that no URL parser reads it as more than one', () => {
    for (const id of ['a/b', 'a?b#c', 'x_local/../../y', '%2e%2e', 'ü ✓', "it's(1)*"]) {
      const url = new URL(`http://h/requests/${docPathSegment(id)}`)
      expect(url.pathname.split('/')).toHaveLength(3)
      expect(decodeURIComponent(url.pathname.split('/')[2]!)).toBe(id)
    }
    expect(() => docPathSegment('..')).toThrow(/cannot be used in a URL path/)
  })
})

describe('backups stream', () => {
  it('writes one page at a time and loads in batches across page boundaries', async () => {
    const source = CouchStore.connect(couch.url, undefined, 2)
    const writes: string[] = []
    const counts = await writeBackup(source, (text) => void writes.push(text))
    // Header, one write per page of at most two documents, end line: never the whole store at once.
    expect(writes.length).toBeGreaterThanOrEqual(2 + Math.ceil(counts.requests / 2) + Math.ceil(counts.settings / 2))
    for (const text of writes) expect(text.trimEnd().split('\n').length).toBeLessThanOrEqual(2)

    const target = await startEmbeddedCouch({ dataDir: '', inMemory: true })
    try {
      const restored = await CouchStore.open({ url: target.url, authHeader: target.authHeader, dataDir: '' }, { batchSize: 2 })
      const lines = (async function* () {
        for (const text of writes) for (const line of text.split('\n')) yield line
      })()
      const report = await loadBackup(restored, lines, { batchSize: 2 })
      expect(report).toMatchObject({ complete: true, conflicts: [], failed: [] })
      expect(report.written + report.unchanged).toBe(counts.requests + counts.settings)
      const again: string[] = []
      await writeBackup(restored, (text) => void again.push(text))
      expect(again.join('')).toBe(writes.join(''))
      await restored.close()
    } finally {
      await target.close()
    }
  })
})
