/**
 * The embedded store answers the calls McM, RelVal, ReReco, pMp, PdmVWebCore and the old Stats2
 * maintenance scripts make as CouchDB 3 documents them (docs.couchdb.org, API reference:
 * /{db}/_bulk_get, /{db}/_all_docs, /{db}/_design/{ddoc}/_view/{view}, /{db}/_changes,
 * /{db}/_find). Over real HTTP, as an anonymous reader (they read without credentials).
 */
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'

let work: string
let couch: EmbeddedCouch
const revs: Record<string, string> = {}

async function read(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(couch.url + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(couch.url + path, {
    method,
    headers: { Authorization: couch.authHeader, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return (await response.json()) as Record<string, unknown>
}

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-answers-'))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'store') })
  await admin('PUT', '/requests')
  await admin('PUT', '/requests/_design/_designDoc', { views: { prepids: { map: 'function (doc) { if (doc.PrepID) emit(doc.PrepID, doc.RequestName) }' } } })
  const docs = Array.from({ length: 30 }, (_, i) => ({ _id: `wf_${String(i).padStart(2, '0')}`, RequestName: `wf_${i}`, PrepID: `p${i % 3}`, Campaign: i < 10 ? 'Run3' : 'Run2', TotalEvents: i }))
  for (const row of (await admin('POST', '/requests/_bulk_docs', { docs })) as unknown as Array<{ id: string; rev: string }>) revs[row.id] = row.rev
  const deleted = (await admin('DELETE', `/requests/wf_29?rev=${revs.wf_29}`)) as { rev: string }
  revs.wf_29_deleted = deleted.rev
})

afterAll(async () => {
  await couch?.close()
  await fs.rm(work, { recursive: true, force: true })
})

describe('POST /{db}/_bulk_get', () => {
  it('answers one result per requested entry: {"ok": doc}, or an error object naming id and rev', async () => {
    const reply = await read('POST', '/requests/_bulk_get', { docs: [{ id: 'wf_01' }, { id: 'missing' }, { id: 'wf_01', rev: '9-abc' }, { id: 'wf_01' }] })
    expect(reply.status).toBe(200)
    const results = reply.body.results as Array<{ id: string; docs: Array<Record<string, unknown>> }>
    expect(results.map((r) => r.id)).toEqual(['wf_01', 'missing', 'wf_01', 'wf_01'])
    expect(results[0]?.docs).toEqual([{ ok: expect.objectContaining({ _id: 'wf_01', _rev: revs.wf_01, RequestName: 'wf_1' }) }])
    // The documented answer for a document that does not exist (express-pouchdb answered {}).
    expect(results[1]).toEqual({ id: 'missing', docs: [{ error: { id: 'missing', rev: 'undefined', error: 'not_found', reason: 'missing' } }] })
    expect(results[2]).toEqual({ id: 'wf_01', docs: [{ error: { id: 'wf_01', rev: '9-abc', error: 'not_found', reason: 'missing' } }] })
    expect(results[3]).toEqual(results[0])
    // A deleted document is not found either.
    const deleted = (await read('POST', '/requests/_bulk_get', { docs: [{ id: 'wf_29' }] })).body.results as Array<{ docs: Array<{ error?: { error: string } }> }>
    expect(deleted[0]?.docs[0]?.error?.error).toBe('not_found')
  })

  it('?revs=true adds _revisions; a body without docs is a 400', async () => {
    const reply = await read('POST', '/requests/_bulk_get?revs=true', { docs: [{ id: 'wf_02' }] })
    const doc = ((reply.body.results as Array<{ docs: Array<{ ok: Record<string, unknown> }> }>)[0]?.docs[0]?.ok ?? {}) as { _revisions?: { start: number; ids: string[] } }
    expect(doc._revisions).toEqual({ start: 1, ids: [revs.wf_02?.slice(2)] })
    expect(await read('POST', '/requests/_bulk_get', {})).toEqual({ status: 400, body: { error: 'bad_request', reason: "Missing JSON list of 'docs'" } })
  })
})

describe('/{db}/_all_docs with keys', () => {
  it('rows in the order of the keys; a missing id is {"key","error":"not_found"}; a deleted one has value.deleted and doc null', async () => {
    const reply = await read('POST', '/requests/_all_docs?include_docs=true', { keys: ['wf_03', 'missing', 'wf_29'] })
    expect(reply.status).toBe(200)
    const rows = reply.body.rows as Array<Record<string, unknown>>
    expect(rows[0]).toMatchObject({ id: 'wf_03', key: 'wf_03', value: { rev: revs.wf_03 }, doc: { _id: 'wf_03' } })
    expect(rows[1]).toEqual({ key: 'missing', error: 'not_found' })
    expect(rows[2]).toEqual({ id: 'wf_29', key: 'wf_29', value: { rev: revs.wf_29_deleted, deleted: true }, doc: null })
    expect(reply.body.total_rows).toBe(30) // 29 workflows and the design document
    // The same through GET ?keys=.
    const get = await read('GET', `/requests/_all_docs?keys=${encodeURIComponent('["missing","wf_03"]')}`)
    expect((get.body.rows as Array<{ key: string }>).map((r) => r.key)).toEqual(['missing', 'wf_03'])
  })
})

describe('views with keys', () => {
  it('rows for each key in the order given; a key with no documents adds no row', async () => {
    const reply = await read('POST', '/requests/_design/_designDoc/_view/prepids', { keys: ['p2', 'nothing', 'p0'] })
    expect(reply.status).toBe(200)
    const rows = reply.body.rows as Array<{ key: string; id: string }>
    expect(rows.map((r) => r.key)).toEqual([...Array(9).fill('p2'), ...Array(10).fill('p0')])
    expect(rows.some((r) => r.key === 'nothing')).toBe(false)
  })
})

describe('/{db}/_changes paging', () => {
  it('since + limit pages through every change once; last_seq is where the page ended; since=now is empty', async () => {
    const seen: string[] = []
    let since: unknown = 0
    for (let page = 0; page < 20; page++) {
      const reply = await read('GET', `/requests/_changes?since=${encodeURIComponent(String(since))}&limit=7`)
      expect(reply.status).toBe(200)
      const results = reply.body.results as Array<{ id: string; seq: unknown; deleted?: boolean }>
      if (results.length === 0) break
      expect(reply.body.last_seq).toEqual(results.at(-1)?.seq)
      seen.push(...results.map((r) => r.id))
      since = reply.body.last_seq
    }
    expect(seen.sort()).toEqual(['_design/_designDoc', ...Array.from({ length: 30 }, (_, i) => `wf_${String(i).padStart(2, '0')}`)].sort())
    const now = await read('GET', '/requests/_changes?since=now')
    expect(now.body).toEqual({ results: [], last_seq: since })
    expect(await read('GET', '/requests/_changes?since=abc')).toEqual({ status: 400, body: { error: 'bad_request', reason: "Malformed sequence supplied in 'since' parameter." } })
    expect((await read('GET', '/requests/_changes?limit=abc')).body.error).toBe('query_parse_error')
  })
})

describe('POST /{db}/_find', () => {
  it('{"selector","fields","limit"} → {"docs","bookmark","warning"}; fields only; limit defaults to 25', async () => {
    const reply = await read('POST', '/requests/_find', { selector: { Campaign: 'Run3' }, fields: ['_id', 'TotalEvents'], limit: 4 })
    expect(reply.status).toBe(200)
    expect(reply.body.docs).toEqual([
      { _id: 'wf_00', TotalEvents: 0 },
      { _id: 'wf_01', TotalEvents: 1 },
      { _id: 'wf_02', TotalEvents: 2 },
      { _id: 'wf_03', TotalEvents: 3 }
    ])
    expect(reply.body.bookmark).toBeTypeOf('string')
    expect(reply.body.warning).toMatch(/No matching index found/)
    const all = await read('POST', '/requests/_find', { selector: { TotalEvents: { $gte: 0 } } })
    expect((all.body.docs as unknown[]).length).toBe(25) // CouchDB's default limit; 29 match
  })

  it('the bookmark pages on where the last page ended, without overlap', async () => {
    const ids: string[] = []
    let bookmark: string | undefined
    for (let page = 0; page < 10; page++) {
      const reply = await read('POST', '/requests/_find', { selector: { Campaign: 'Run2' }, fields: ['_id'], limit: 8, ...(bookmark ? { bookmark } : {}) })
      const docs = reply.body.docs as Array<{ _id: string }>
      if (docs.length === 0) break
      ids.push(...docs.map((d) => d._id))
      bookmark = reply.body.bookmark as string
    }
    expect(ids).toEqual(Array.from({ length: 19 }, (_, i) => `wf_${String(i + 10).padStart(2, '0')}`))
    expect((await read('POST', '/requests/_find', { fields: ['_id'] })).body).toEqual({ error: 'missing_required_key', reason: 'Missing required key: selector' })
    expect((await read('POST', '/requests/_find', { selector: {}, bookmark: 'garbage!' })).status).toBe(400)
  })
})

describe('answers on the loopback link', () => {
  it('are not compressed, even when the reader accepts gzip (CouchDB does not gzip either; here it would cost CPU on both sides)', async () => {
    const { request } = await import('undici')
    const answer = await request(`${couch.url}/requests/_all_docs?include_docs=true`, { headers: { 'accept-encoding': 'gzip, deflate, br' } })
    expect(answer.statusCode).toBe(200)
    expect(answer.headers['content-encoding']).toBeUndefined()
    expect(((await answer.body.json()) as { rows: unknown[] }).rows.length).toBeGreaterThan(20)
  })
})
