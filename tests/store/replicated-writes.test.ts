/**
 * `_bulk_docs` with `new_edits: false` (what a replication writes) keeps each revision's ancestry on
 * the embedded store even where a `validate_doc_update` runs (express-pouchdb's validation used to
 * replace `_revisions` with the stored document's), and the validation still runs.
 */
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { VALIDATE_WRITE_FUNCTION } from '../../src/main/store/design-docs'

let work: string
let couch: EmbeddedCouch
let admin: Record<string, string>

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-replicated-'))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'store') })
  admin = { authorization: couch.authHeader, 'content-type': 'application/json' }
  expect((await fetch(`${couch.url}/requests`, { method: 'PUT', headers: admin })).status).toBe(201)
  const ddoc = await fetch(`${couch.url}/requests/_design/validate_write`, { method: 'PUT', headers: admin, body: JSON.stringify({ validate_doc_update: VALIDATE_WRITE_FUNCTION }) })
  expect(ddoc.status).toBe(201)
})
afterAll(async () => {
  await couch.close()
  await fs.rm(work, { recursive: true, force: true })
})

const revsInfo = async (id: string): Promise<unknown> =>
  ((await (await fetch(`${couch.url}/requests/${id}?revs_info=true`, { headers: admin })).json()) as { _revs_info: unknown })._revs_info

it('a replicated revision keeps its ancestry, and the next one extends the same tree', async () => {
  const write = (docs: unknown[]): Promise<Response> => fetch(`${couch.url}/requests/_bulk_docs`, { method: 'POST', headers: admin, body: JSON.stringify({ docs, new_edits: false }) })
  expect((await write([{ _id: 'wf', _rev: '2-bbb', n: 2, _revisions: { start: 2, ids: ['bbb', 'aaa'] } }])).status).toBe(201)
  expect(await revsInfo('wf')).toEqual([{ rev: '2-bbb', status: 'available' }, { rev: '1-aaa', status: 'missing' }])
  expect((await write([{ _id: 'wf', _rev: '3-ccc', n: 3, _revisions: { start: 3, ids: ['ccc', 'bbb', 'aaa'] } }])).status).toBe(201)
  expect(await revsInfo('wf')).toEqual([{ rev: '3-ccc', status: 'available' }, { rev: '2-bbb', status: 'available' }, { rev: '1-aaa', status: 'missing' }])
  const doc = (await (await fetch(`${couch.url}/requests/wf?conflicts=true`, { headers: admin })).json()) as Record<string, unknown>
  expect(doc._conflicts).toBeUndefined()
})

it('the validation still runs: an anonymous replicated write is refused', async () => {
  const answer = await fetch(`${couch.url}/requests/_bulk_docs`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ new_edits: false, docs: [{ _id: 'x', _rev: '1-abc', _revisions: { start: 1, ids: ['abc'] } }] })
  })
  expect(answer.status).toBe(201)
  expect(await answer.json()).toEqual([{ id: 'x', error: 'forbidden', reason: 'Only admins can modify the database.' }])
  expect((await fetch(`${couch.url}/requests/x`, { headers: admin })).status).toBe(404)
})
