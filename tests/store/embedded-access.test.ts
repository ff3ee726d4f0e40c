/**
 * Who may do what on the embedded store, over real HTTP against the real server (LevelDB in a
 * temporary folder): no credentials, a wrong password, a non-admin user created through `_users`,
 * the admin. Readers get the narrow surface (couch-access.ts), route by route. Then body limits, content types, and a few dozen malformed requests that must all
 * come back as CouchDB-shaped JSON without JavaScript's internal error texts.
 */
import { request as httpRequest } from 'node:http'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_USER, startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { ConfigError, loadConfig } from '../../src/main/config/config'
import { READER_BODY_LIMIT, ADMIN_BODY_LIMIT } from '../../src/store-server/couch-access'

let work: string
let couch: EmbeddedCouch
const READER = { name: 'reader', password: 'reader-password-1' }

const basic = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
type Who = 'anonymous' | 'liar' | 'reader' | 'admin'
const auth = (who: Who): Record<string, string> =>
  who === 'admin'
    ? { Authorization: couch.authHeader }
    : who === 'reader'
      ? { Authorization: basic(READER.name, READER.password) }
      : who === 'liar'
        ? { Authorization: basic(ADMIN_USER, 'not-the-password') }
        : {}

interface Reply {
  status: number
  body: Record<string, unknown>
  text: string
  type: string
}

async function call(server: EmbeddedCouch, who: Who, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const init: RequestInit = { method, headers: { Accept: 'application/json', ...auth(who), ...headers }, signal: AbortSignal.timeout(15_000) }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['Content-Type'] ??= 'application/json'
  }
  const response = await fetch(server.url + path, init)
  const text = await response.text()
  let parsed: Record<string, unknown> = {}
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    /* the test looks at text */
  }
  return { status: response.status, body: parsed, text, type: response.headers.get('content-type') ?? '' }
}
const as = (who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> => call(couch, who, method, path, body, headers)

async function designDocs(db: string): Promise<Array<{ id: string; value: { rev: string } }>> {
  const reply = await as('admin', 'GET', `/${db}/_all_docs?startkey="_design/"&endkey="_design0"`)
  return reply.body.rows as Array<{ id: string; value: { rev: string } }>
}

const VALIDATE_WRITE = {
  _id: '_design/validate_write',
  validate_doc_update: "function (newDoc, oldDoc, userCtx) { if (userCtx.roles.indexOf('_admin') === -1) throw({ forbidden: 'Only admins can modify the database.' }); }"
}

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-access-'))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'store') })
  for (const db of ['requests', 'settings', 'other']) {
    expect((await as('admin', 'PUT', `/${db}`)).status).toBe(201)
    expect((await as('admin', 'PUT', `/${db}/_design/validate_write`, VALIDATE_WRITE)).status).toBe(201)
  }
  expect((await as('admin', 'PUT', '/requests/wf_1', { RequestName: 'wf_1', PrepID: 'p1' })).status).toBe(201)
  expect((await as('admin', 'PUT', '/requests/_design/_designDoc', { views: { prepids: { map: 'function (doc) { if (doc.PrepID) emit(doc.PrepID, doc.RequestName) }' } } })).status).toBe(201)
  expect((await as('admin', 'PUT', '/settings/all_settings', { _id: 'all_settings', failed_workflows: [] })).status).toBe(201)
  expect((await as('admin', 'PUT', '/other/secret', { n: 1 })).status).toBe(201)
  // A non-admin user, created by the admin through _users as on CouchDB.
  const user = await as('admin', 'PUT', `/_users/org.couchdb.user:${READER.name}`, { name: READER.name, password: READER.password, roles: [], type: 'user' })
  expect(user.status).toBe(201)
  expect((await as('reader', 'GET', '/_session')).body.userCtx).toEqual({ name: READER.name, roles: [] })
})

afterAll(async () => {
  await couch?.close()
  await fs.rm(work, { recursive: true, force: true })
})

describe('only the admin writes', () => {
  it('anonymous POST /{db}/_index no longer creates design documents or rewrites validate_write', async () => {
    const before = { requests: await designDocs('requests'), settings: await designDocs('settings') }
    for (const db of ['requests', 'settings']) {
      const index = await as('anonymous', 'POST', `/${db}/_index`, { index: { fields: ['x'] }, ddoc: 'validate_write', name: 'x' })
      expect(index.status).toBe(401)
      expect(index.body).toEqual({ error: 'unauthorized', reason: 'You are not a db or server admin.' })
      const byReader = await as('reader', 'POST', `/${db}/_index`, { index: { fields: ['x'] }, ddoc: 'validate_write' })
      expect(byReader.status).toBe(403)
      expect(byReader.body.error).toBe('forbidden')
    }
    expect({ requests: await designDocs('requests'), settings: await designDocs('settings') }).toEqual(before)
  })

  it('refuses every kind of write by anonymous callers, a wrong password and a non-admin user', async () => {
    const writes: Array<[string, string, unknown?]> = [
      ['PUT', '/requests/wf_new', { RequestName: 'wf_new' }],
      ['POST', '/requests', { _id: 'wf_post' }],
      ['DELETE', '/requests/wf_1?rev=1-x'],
      ['PUT', '/requests/_local/x', { a: 1 }],
      ['PUT', '/settings/_local/checkpoint', { a: 1 }],
      ['PUT', '/requests/_design/evil', { views: {} }],
      ['PUT', '/requests/wf_1/attachment.txt'],
      ['POST', '/requests/_compact', {}],
      ['POST', '/requests/_view_cleanup', {}],
      ['PUT', '/requests/_security', { members: { names: [] } }],
      ['POST', '/requests/_purge', {}],
      ['POST', '/requests/_ensure_full_commit', {}],
      ['PUT', '/_users/org.couchdb.user:evil', { name: 'evil', password: 'x', roles: [], type: 'user' }],
      ['POST', '/_users', { _id: 'org.couchdb.user:evil2', name: 'evil2', password: 'x', roles: [], type: 'user' }],
      ['PUT', '/newdb'],
      ['DELETE', '/requests'],
      ['PUT', '/_config/admins/evil', '"x"'],
      ['POST', '/_replicate', { source: 'requests', target: 'copy' }],
      ['PUT', '/other/x', { n: 1 }]
    ]
    for (const who of ['anonymous', 'reader'] as const) {
      for (const [method, path, body] of writes) {
        const reply = await as(who, method, path, body)
        expect([401, 403], `${who} ${method} ${path}: ${reply.text}`).toContain(reply.status)
        expect(reply.type, `${who} ${method} ${path}`).toContain('application/json')
        expect(typeof reply.body.reason, `${who} ${method} ${path}`).toBe('string')
        if (who === 'anonymous' && reply.status === 403) expect(reply.body).toEqual({ error: 'forbidden', reason: 'Only admins can modify the database.' })
        if (reply.status === 401) expect(reply.body.error).toBe('unauthorized')
      }
    }
    for (const [method, path, body] of writes.slice(0, 4)) {
      const reply = await as('liar', method, path, body)
      expect(reply.status, `liar ${method} ${path}`).toBe(401)
      expect(reply.body).toEqual({ error: 'unauthorized', reason: 'Name or password is incorrect.' })
    }
    // Nothing of it landed.
    expect((await as('admin', 'GET', '/requests/wf_new')).status).toBe(404)
    expect((await as('admin', 'GET', '/requests/_local/x')).status).toBe(404)
    expect((await as('admin', 'GET', '/_users/org.couchdb.user:evil')).status).toBe(404)
    expect((await as('admin', 'GET', '/_all_dbs')).body).toEqual(['_users', 'other', 'requests', 'settings'])
    expect((await as('admin', 'GET', '/requests/wf_1')).status).toBe(200)
  })

  it('a bulk write by a non-admin is refused document by document, as validate_write does on CouchDB', async () => {
    const reply = await as('anonymous', 'POST', '/requests/_bulk_docs', { docs: [{ _id: 'a' }, { _id: 'b' }, { n: 1 }] })
    expect(reply.status).toBe(201)
    expect(reply.body).toEqual([
      { id: 'a', error: 'forbidden', reason: 'Only admins can modify the database.' },
      { id: 'b', error: 'forbidden', reason: 'Only admins can modify the database.' },
      { id: null, error: 'forbidden', reason: 'Only admins can modify the database.' }
    ])
    expect((await as('admin', 'GET', '/requests/a')).status).toBe(404)
  })

  it('the admin may write everything', async () => {
    expect((await as('admin', 'PUT', '/requests/_local/x', { a: 1 })).status).toBe(201)
    expect((await as('admin', 'POST', '/requests/_bulk_docs', { docs: [{ _id: 'wf_2', RequestName: 'wf_2' }] })).status).toBe(201)
    expect((await as('admin', 'GET', '/_config/admins')).status).toBe(200)
  })
})

describe('readers read the two Stats2 databases, nothing else', () => {
  it('anonymous callers and users read requests and settings, also through the POSTs that only read', async () => {
    for (const who of ['anonymous', 'reader'] as const) {
      expect((await as(who, 'GET', '/requests/wf_1')).body.RequestName).toBe('wf_1')
      expect((await as(who, 'GET', '/settings/all_settings')).status).toBe(200)
      expect((await as(who, 'GET', '/requests')).body.db_name).toBe('requests')
      expect((await as(who, 'POST', '/requests/_all_docs', { keys: ['wf_1'] })).status).toBe(200)
      expect((await as(who, 'POST', '/requests/_bulk_get', { docs: [{ id: 'wf_1' }] })).status).toBe(200)
      expect((await as(who, 'POST', '/requests/_design/_designDoc/_view/prepids', { keys: ['p1'] })).body.rows).toHaveLength(1)
      expect((await as(who, 'POST', '/requests/_find', { selector: { PrepID: 'p1' } })).status).toBe(200)
      expect((await as(who, 'POST', '/requests/_changes', {})).status).toBe(200)
      expect((await as(who, 'GET', '/')).status).toBe(200)
    }
  })

  it('readers get exactly the narrow surface: what Stats2\'s readers use, and nothing else of the two databases', async () => {
    expect((await as('admin', 'PUT', '/requests/_local/checkpoint-1', { last_seq: 3 })).status).toBe(201)
    expect((await as('admin', 'PUT', '/requests/_design/other', { views: { v: { map: 'function (doc) { emit(doc._id) }' } } })).status).toBe(201)
    const allowed: Array<[string, string, unknown?]> = [
      ['GET', '/'],
      ['GET', '/_up'],
      ['GET', '/_session'],
      ['GET', '/requests'],
      ['HEAD', '/requests/wf_1'],
      ['GET', '/requests/wf_1?revs=true'],
      ['GET', '/settings/all_settings'],
      ['GET', '/requests/_design/_designDoc'],
      ['GET', '/requests/_design/other'],
      ['GET', '/requests/_local/checkpoint-1'],
      ['GET', '/requests/_all_docs?limit=1'],
      ['POST', '/requests/_all_docs', { keys: ['wf_1'] }],
      ['GET', '/requests/_design/_designDoc/_view/prepids?key="p1"'],
      ['POST', '/requests/_design/_designDoc/_view/prepids', { keys: ['p1'] }],
      ['GET', '/requests/_changes?limit=1'],
      ['POST', '/requests/_changes', {}],
      ['POST', '/requests/_bulk_get', { docs: [{ id: 'wf_1' }] }],
      ['POST', '/requests/_find', { selector: { PrepID: 'p1' } }]
    ]
    const refused: Array<[string, string, unknown?]> = [
      ['GET', '/requests/_design/other/_view/v'],
      ['POST', '/requests/_design/other/_view/v', { keys: ['wf_1'] }],
      ['GET', '/requests/_design/validate_write/_view/x'],
      ['GET', '/requests/_design/_designDoc/_info'],
      ['POST', '/requests/_explain', { selector: {} }],
      ['POST', '/requests/_revs_diff', { wf_1: ['1-x'] }],
      ['POST', '/requests/_missing_revs', { wf_1: ['1-x'] }],
      ['GET', '/requests/_index'],
      ['GET', '/requests/_design_docs'],
      ['GET', '/requests/_local_docs'],
      ['GET', '/requests/_security'],
      ['GET', '/requests/_revs_limit'],
      ['GET', '/requests/wf_1/attachment.txt'],
      ['GET', '/_uuids'],
      ['GET', '/_all_dbs'],
      ['GET', '/_config'],
      ['GET', '/_active_tasks']
    ]
    for (const who of ['anonymous', 'reader'] as const) {
      for (const [method, path, body] of allowed) {
        const reply = await as(who, method, path, body)
        expect(reply.status, `${who} ${method} ${path}: ${reply.text}`).toBe(200)
      }
      for (const [method, path, body] of refused) {
        const reply = await as(who, method, path, body)
        // Server routes answer 401 "You are not a server admin." to users too, as CouchDB does.
        const unauthorized = who === 'anonymous' || path.startsWith('/_')
        expect(reply.status, `${who} ${method} ${path}: ${reply.text}`).toBe(unauthorized ? 401 : 403)
        expect(reply.body.error).toBe(unauthorized ? 'unauthorized' : 'forbidden')
        expect(typeof reply.body.reason).toBe('string')
      }
    }
    // The admin still has all of it.
    for (const [method, path, body] of refused.filter(([, path]) => /other|_info|_revs_diff|_index|_security/.test(path))) {
      const reply = await as('admin', method, path, body)
      expect(reply.status, `admin ${method} ${path}: ${reply.text}`).toBeLessThan(400)
    }
  })

  it('temporary views are gone and _show/_list/_update/_rewrite are not served, for the admin too', async () => {
    for (const who of ['anonymous', 'reader', 'admin'] as const) {
      const temp = await as(who, 'POST', '/requests/_temp_view', { map: 'function (doc) { emit(1) }' })
      expect(temp.status).toBe(410)
      expect(temp.body).toEqual({ error: 'gone', reason: 'Temporary views are not supported in CouchDB' })
      for (const [method, path] of [['GET', '/requests/_design/_designDoc/_show/s/wf_1'], ['GET', '/requests/_design/_designDoc/_list/l/prepids'], ['PUT', '/requests/_design/_designDoc/_update/u/wf_1'], ['GET', '/requests/_design/_designDoc/_rewrite/x']]) {
        const reply = await as(who, method!, path!)
        expect(reply.status, `${who} ${method} ${path}`).toBe(404)
        expect(reply.body.error).toBe('not_found')
      }
    }
  })

  it('other databases, _users, _config and server routes are the admin\'s', async () => {
    const reads: Array<[string, string]> = [
      ['GET', '/other/secret'],
      ['POST', '/other/_all_docs'],
      ['POST', '/other/_bulk_get'],
      ['GET', '/_users/_all_docs'],
      ['GET', '/_users/org.couchdb.user:evil'],
      ['GET', '/_all_dbs'],
      ['GET', '/_config'],
      ['GET', '/_active_tasks'],
      ['GET', '/_log'],
      ['GET', '/_replicator']
    ]
    for (const who of ['anonymous', 'reader'] as const) {
      for (const [method, path] of reads) {
        const reply = await as(who, method, path, method === 'POST' ? { keys: ['secret'], docs: [{ id: 'secret' }] } : undefined)
        expect([401, 403], `${who} ${method} ${path}`).toContain(reply.status)
        expect(reply.text, `${who} ${method} ${path}`).not.toContain('"n":1')
      }
    }
    // A user reads their own _users document, as on CouchDB.
    expect((await as('reader', 'GET', `/_users/org.couchdb.user:${READER.name}`)).status).toBe(200)
    expect((await as('admin', 'GET', '/other/secret')).body.n).toBe(1)
  })

  it('STATS2_STORE_ANONYMOUS=none: anonymous callers read nothing, users still read', async () => {
    expect(() => loadConfig({ STATS2_STORE_ANONYMOUS: 'everything' })).toThrow(ConfigError)
    expect(loadConfig({ STATS2_STORE_ANONYMOUS: 'none' }).db.storeAnonymous).toBe('none')
    await couch.close()
    // The product passes the setting (couch-store.ts); the store server reads no environment.
    couch = await startEmbeddedCouch({ dataDir: join(work, 'store'), anonymous: 'none' })
    const refused = await as('anonymous', 'GET', '/requests/wf_1')
    expect(refused.status).toBe(401)
    expect(refused.body).toEqual({ error: 'unauthorized', reason: 'Authentication required.' })
    expect((await as('anonymous', 'POST', '/requests/_all_docs', { keys: ['wf_1'] })).status).toBe(401)
    expect((await as('anonymous', 'GET', '/')).status).toBe(200)
    expect((await as('reader', 'GET', '/requests/wf_1')).status).toBe(200)
    expect((await as('admin', 'GET', '/requests/wf_1')).status).toBe(200)
    await couch.close()
    couch = await startEmbeddedCouch({ dataDir: join(work, 'store'), anonymous: 'read' })
    expect((await as('anonymous', 'GET', '/requests/wf_1')).status).toBe(200)
  })
})

/** Sends headers only (a Content-Length that is never honoured), returns the status the server answers with. */
function statusForDeclaredLength(path: string, length: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest(couch.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(length), ...headers } }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => done({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', fail)
    req.write('{"docs": [')
    req.setTimeout(10_000, () => req.destroy(new Error('no answer')))
  })
}

describe('body limits and content types', () => {
  it('413 too_large for readers over 1 MiB (declared or streamed) and for the admin over 64 MiB', async () => {
    const big = JSON.stringify({ keys: Array.from({ length: 2_000 }, (_, i) => `workflow_name_${i}_${'x'.repeat(600)}`) })
    expect(big.length).toBeGreaterThan(READER_BODY_LIMIT)
    const declared = await as('anonymous', 'POST', '/requests/_all_docs', big)
    expect(declared.status).toBe(413)
    expect(declared.body).toEqual({ error: 'too_large', reason: 'the request entity is too large' })
    // Without a Content-Length (chunked), counted while it streams.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 65_536) controller.enqueue(new TextEncoder().encode(big.slice(i, i + 65_536)))
        controller.close()
      }
    })
    const chunked = await fetch(`${couch.url}/requests/_all_docs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit)
    expect(chunked.status).toBe(413)
    expect(await chunked.json()).toEqual({ error: 'too_large', reason: 'the request entity is too large' })
    // The admin reads such a list.
    expect((await as('admin', 'POST', '/requests/_all_docs', big)).status).toBe(200)
    const admin = await statusForDeclaredLength('/requests/_bulk_docs', ADMIN_BODY_LIMIT + 1, { Authorization: couch.authHeader })
    expect(admin.status).toBe(413)
    expect(JSON.parse(admin.body)).toEqual({ error: 'too_large', reason: 'the request entity is too large' })
    // A 20 MB anonymous _local document is refused before its body is read.
    const local = await statusForDeclaredLength('/requests/_local/big', 20_000_000, {})
    expect([401, 403]).toContain(local.status)
  })

  it('415 without a JSON content type, 400 for JSON that is not', async () => {
    const form = await as('anonymous', 'POST', '/requests/_all_docs', 'keys=a', { 'Content-Type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(415)
    expect(form.body).toEqual({ error: 'bad_content_type', reason: 'Content-Type must be application/json' })
    const broken = await as('anonymous', 'POST', '/requests/_all_docs', '{"keys": [', {})
    expect(broken.status).toBe(400)
    expect(broken.body).toEqual({ error: 'bad_request', reason: 'invalid UTF-8 JSON' })
    // Logging in with a form still works.
    const login = await as('anonymous', 'POST', '/_session', `name=${READER.name}&password=${READER.password}`, { 'Content-Type': 'application/x-www-form-urlencoded' })
    expect(login.status).toBe(200)
    expect(login.body).toMatchObject({ ok: true, name: READER.name })
  })
})

describe('malformed requests get CouchDB-shaped JSON errors, never internal text', () => {
  it('a few dozen of them, as admin and anonymous', async () => {
    const probes: Array<[Who, string, string, string?]> = [
      ['anonymous', 'POST', '/requests/_bulk_get', '{"docs": 5}'],
      ['anonymous', 'POST', '/requests/_bulk_get', '{"docs": [5, null, "x", {"id": 7}, {"id": "wf_1", "rev": 5}]}'],
      ['anonymous', 'POST', '/requests/_bulk_get', '[]'],
      ['anonymous', 'POST', '/requests/_bulk_get', 'null'],
      ['anonymous', 'POST', '/requests/_all_docs', '{"keys": 5}'],
      ['anonymous', 'POST', '/requests/_all_docs', '{"keys": [null, {}, []]}'],
      ['anonymous', 'POST', '/requests/_find', '{"selector": 5}'],
      ['anonymous', 'POST', '/requests/_find', '{"selector": {"$or": 5}}'],
      ['anonymous', 'POST', '/requests/_find', '{"selector": {}, "fields": 5}'],
      ['anonymous', 'POST', '/requests/_find', '{"selector": {}, "sort": {"a": 1}}'],
      ['anonymous', 'POST', '/requests/_find', '{"selector": {}, "limit": -1}'],
      ['anonymous', 'POST', '/requests/_find', '{"selector": {}, "bookmark": 5}'],
      ['anonymous', 'POST', '/requests/_find', '{}'],
      ['anonymous', 'POST', '/requests/_explain', '{"selector": 5}'],
      ['anonymous', 'POST', '/requests/_revs_diff', '5'],
      ['anonymous', 'POST', '/requests/_changes', '{"doc_ids": 5}'],
      ['anonymous', 'POST', '/requests/_design/_designDoc/_view/prepids', '{"keys": 5}'],
      ['anonymous', 'POST', '/requests/_design/_designDoc/_view/nope', '{"keys": []}'],
      ['anonymous', 'GET', '/requests/_all_docs?limit=abc'],
      ['anonymous', 'GET', '/requests/_all_docs?skip=-3'],
      ['anonymous', 'GET', '/requests/_all_docs?startkey=%7B'],
      ['anonymous', 'GET', '/requests/_changes?since=abc'],
      ['anonymous', 'GET', '/requests/_changes?limit=x'],
      ['anonymous', 'GET', '/requests/_changes?feed=longpoll&timeout=abc'],
      ['anonymous', 'GET', '/requests/_design/_designDoc/_view/prepids?limit=-1'],
      ['anonymous', 'GET', '/requests/_design/_designDoc/_view/prepids?keys=5'],
      ['anonymous', 'GET', '/requests/wf_1?open_revs=5'],
      ['anonymous', 'GET', '/requests/wf_1?rev=5'],
      ['anonymous', 'GET', '/requests/%zz'],
      ['anonymous', 'GET', '/requests/_design/'],
      ['anonymous', 'GET', '/nope/_all_docs'],
      ['admin', 'POST', '/requests/_bulk_docs', '{"docs": [5]}'],
      ['admin', 'POST', '/requests/_bulk_docs', '{"docs": 5}'],
      ['admin', 'POST', '/requests/_bulk_docs', '{"docs": [{"_id": 5}]}'],
      ['admin', 'POST', '/requests/_bulk_docs', '{"docs": [{"_id": "x", "_attachments": 5}]}'],
      ['admin', 'PUT', '/requests/x', '[1]'],
      ['admin', 'PUT', '/requests/x', '"text"'],
      ['admin', 'PUT', '/requests/y', '{"_rev": 5}'],
      ['admin', 'POST', '/requests/_bulk_get', '{"docs": [{"id": "wf_1", "atts_since": 5}]}'],
      ['admin', 'POST', '/requests/_index', '{"index": 5}'],
      ['admin', 'POST', '/requests/_index', '{"index": {"fields": 5}}'],
      ['admin', 'POST', '/requests/_temp_view', '{"map": 5}'],
      ['admin', 'POST', '/requests/_purge', '5'],
      ['admin', 'PUT', '/requests/_security', '5'],
      ['admin', 'POST', '/requests/_compact', '5']
    ]
    const internal = /is not a function|is not iterable|Cannot (read|set|use|create|convert|destructure)|of (undefined|null)|is not defined|Unexpected token|\bat .+:\d+:\d+|TypeError|ReferenceError/
    let errors = 0
    const wrong: string[] = []
    for (const [who, method, path, body] of probes) {
      const reply = await as(who, method, path, body)
      const what = `${who} ${method} ${path} ${body ?? ''} → ${reply.status} ${reply.text.slice(0, 200)}`
      const shaped = reply.status < 400 || (typeof reply.body.error === 'string' && typeof reply.body.reason === 'string')
      if (!reply.type.includes('application/json') || internal.test(reply.text) || reply.status >= 500 || !shaped) wrong.push(what)
      if (reply.status >= 400) errors++
    }
    expect(wrong).toEqual([])
    expect(errors).toBeGreaterThan(30)
    // The server still serves.
    expect((await as('anonymous', 'GET', '/requests/wf_1')).status).toBe(200)
  })
})
