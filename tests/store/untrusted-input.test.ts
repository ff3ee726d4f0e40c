/**
 * Issue 14's reproductions against the real embedded store over real HTTP: a `_find` whose `$regex`
 * backtracks for minutes on JavaScript's RegExp, and design-document functions that never return
 * (map, reduce, `_changes` filter, validate_doc_update). Each fails within about its deadline with
 * a CouchDB-shaped error, the store keeps answering, and an index is never left half-built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { searchDesignDoc } from '../../src/main/store/design-docs'

interface Reply {
  status: number
  body: Record<string, unknown>
  ms: number
}

async function call(couch: EmbeddedCouch, admin: boolean, method: string, path: string, body?: unknown): Promise<Reply> {
  const started = Date.now()
  const headers: Record<string, string> = { Accept: 'application/json', ...(admin ? { Authorization: couch.authHeader } : {}) }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(couch.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000) })
  const text = await response.text()
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, ms: Date.now() - started }
}

async function seed(couch: EmbeddedCouch, count: number, extra: (i: number) => Record<string, unknown> = () => ({})): Promise<void> {
  expect((await call(couch, true, 'PUT', '/requests')).status).toBe(201)
  const docs = Array.from({ length: count }, (_, i) => ({ _id: `wf_${String(i).padStart(5, '0')}`, RequestName: `wf_${i}`, PrepID: `p${i % 7}`, n: i, ...extra(i) }))
  for (let i = 0; i < docs.length; i += 500) expect((await call(couch, true, 'POST', '/requests/_bulk_docs', { docs: docs.slice(i, i + 500) })).status).toBe(201)
  expect((await call(couch, true, 'PUT', `/requests/${searchDesignDoc()._id}`, searchDesignDoc())).status).toBe(201)
}

/** The store answers `/_up` and a view of its own design document while `slow` is still running. */
async function answersMeanwhile(couch: EmbeddedCouch, slow: Promise<Reply>): Promise<Reply> {
  let slowDone = false
  void slow.then(() => (slowDone = true), () => (slowDone = true))
  await new Promise((resolve) => setTimeout(resolve, 50))
  const up = await call(couch, false, 'GET', '/_up')
  const view = await call(couch, false, 'GET', '/requests/_design/_designDoc/_view/prepids?key="p3"&limit=2')
  expect(up.body).toEqual({ status: 'ok' })
  expect(view.status).toBe(200)
  expect((view.body.rows as unknown[]).length).toBe(2)
  expect(slowDone, 'the slow request had already finished: nothing was answered meanwhile').toBe(false)
  return slow
}

describe('$regex on a linear-time engine (reproduction 1)', () => {
  let couch: EmbeddedCouch
  beforeAll(async () => {
    couch = await startEmbeddedCouch({ dataDir: '', inMemory: true })
    // 26 letters and no `=`: JavaScript's RegExp takes about ten seconds per document on ^(\w+)+=
    await seed(couch, 40, (i) => ({ RequestName: i % 2 === 0 ? 'a'.repeat(26) : `b${i}=x`, Tags: [`t${i}`, i % 3 === 0 ? 'aaa=1' : 'plain'] }))
  }, 60_000)
  afterAll(() => couch?.close())

  it('answers the issue\'s anonymous query at once, and the store answers others meanwhile', async () => {
    const [reply, up] = await Promise.all([
      call(couch, false, 'POST', '/requests/_find', { selector: { RequestName: { $regex: '^(\\w+)+=' } }, limit: 1 }),
      new Promise((resolve) => setTimeout(resolve, 20)).then(() => call(couch, false, 'GET', '/'))
    ])
    expect(up.status).toBe(200)
    expect(up.ms).toBeLessThan(3_000)
    expect(reply.status).toBe(200)
    expect(reply.ms).toBeLessThan(3_000)
    expect((reply.body.docs as Array<{ RequestName: string }>).map((doc) => doc.RequestName)).toEqual(['b1=x'])
  })

  it('matches inside $or, $elemMatch, $not and $allMatch with RE2 syntax', async () => {
    const ids = async (selector: unknown): Promise<string[]> => {
      const reply = await call(couch, false, 'POST', '/requests/_find', { selector, fields: ['_id'], limit: 100 })
      expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      return (reply.body.docs as Array<{ _id: string }>).map((doc) => doc._id)
    }
    expect(await ids({ $or: [{ RequestName: { $regex: '^b(1|3)=' } }, { n: 38 }] })).toEqual(['wf_00001', 'wf_00003', 'wf_00038'])
    expect(await ids({ Tags: { $elemMatch: { $regex: '(?i)^AAA=' } }, n: { $lt: 10 } })).toEqual(['wf_00000', 'wf_00003', 'wf_00006', 'wf_00009'])
    expect(await ids({ RequestName: { $not: { $regex: '^a+$' } }, n: { $lte: 5 } })).toEqual(['wf_00001', 'wf_00003', 'wf_00005'])
    expect(await ids({ Tags: { $allMatch: { $regex: '\\d' } }, n: { $lt: 4 } })).toEqual(['wf_00000', 'wf_00003'])
  })

  it('refuses what RE2 does not support with 400, naming the construct', async () => {
    for (const [pattern, construct] of [['(a)\\1', '\\1'], ['x(?=y)', '(?='], ['(?<=x)y', '(?<=x)y'], ['(?!x)', '(?!'], ['a++', '++']] as const) {
      const reply = await call(couch, false, 'POST', '/requests/_find', { selector: { $or: [{ n: 1 }, { RequestName: { $regex: pattern } }] } })
      expect(reply.status, pattern).toBe(400)
      expect(reply.body.error).toBe('bad_request')
      expect(reply.body.reason).toContain(construct)
      expect(reply.body.reason).toContain('RE2')
    }
    const long = await call(couch, false, 'POST', '/requests/_find', { selector: { RequestName: { $regex: 'a'.repeat(1_001) } } })
    expect(long.status).toBe(400)
    expect(long.body.reason).toMatch(/at most 1000/)
  })

  it('keeps at most 1000 documents per answer and says so; execution_stats on request', async () => {
    const reply = await call(couch, false, 'POST', '/requests/_find', { selector: { n: { $gte: 0 } }, limit: 5_000, fields: ['_id'], execution_stats: true })
    expect(reply.status).toBe(200)
    expect(reply.body.warning).toMatch(/limit lowered to 1000/)
    expect(reply.body.execution_stats).toMatchObject({ total_docs_examined: 40, results_returned: 40 })
    const sorted = await call(couch, false, 'POST', '/requests/_find', { selector: { n: { $lt: 6 } }, sort: [{ n: 'desc' }], fields: ['n'], skip: 1, limit: 2 })
    expect(sorted.body.docs).toEqual([{ n: 4 }, { n: 3 }])
  })
})

describe('_find runs under the store deadline', () => {
  let couch: EmbeddedCouch
  beforeAll(async () => {
    couch = await startEmbeddedCouch({ dataDir: '', inMemory: true, functionTimeoutMs: 1 })
    await seed(couch, 3_000)
  }, 120_000)
  afterAll(() => couch?.close())

  it('a scan past it answers 500 timeout with how far it got; an _id range is still answered', async () => {
    const reply = await call(couch, false, 'POST', '/requests/_find', { selector: { n: -1 } })
    expect(reply.status).toBe(500)
    expect(reply.body.error).toBe('timeout')
    expect(reply.body.reason).toMatch(/_find stopped at its deadline of 1 ms after examining \d+ documents/)
    const one = await call(couch, false, 'POST', '/requests/_find', { selector: { _id: 'wf_02999' }, fields: ['n'] })
    expect(one.status).toBe(200)
    expect(one.body.docs).toEqual([{ n: 2999 }])
  })
})

const LOOP = 'function (doc) { while (true) {} }'
const DEADLINE = 1_000

describe('design-document functions that never return (reproduction 2)', () => {
  let couch: EmbeddedCouch
  beforeAll(async () => {
    couch = await startEmbeddedCouch({ dataDir: '', inMemory: true, functionTimeoutMs: DEADLINE })
    await seed(couch, 400)
    const evil = {
      views: {
        loop: { map: LOOP }
      },
      filters: { loop: 'function (doc, req) { while (true) {} }' }
    }
    expect((await call(couch, true, 'PUT', '/requests/_design/evil', evil)).status).toBe(201)
    // Loops on one document only: the page holding it must not be indexed in part.
    const partial = { views: { one: { map: 'function (doc) { if (doc.n === 150) { while (true) {} } emit(doc.n, null) }' } } }
    expect((await call(couch, true, 'PUT', '/requests/_design/partial', partial)).status).toBe(201)
    const reduced = { views: { reduced: { map: 'function (doc) { emit(doc.n, 1) }', reduce: 'function (keys, values) { while (true) {} }' } } }
    expect((await call(couch, true, 'PUT', '/requests/_design/reduced', reduced)).status).toBe(201)
  }, 60_000)
  afterAll(() => couch?.close())

  it('anonymous callers cannot query another design document\'s views at all', async () => {
    const reply = await call(couch, false, 'GET', '/requests/_design/evil/_view/loop')
    expect(reply.status).toBe(401)
    expect(reply.body.error).toBe('unauthorized')
  })

  it('a looping map fails the admin\'s query within about the deadline, CouchDB-shaped; others keep answering', async () => {
    const query = call(couch, true, 'GET', '/requests/_design/evil/_view/loop')
    const reply = await answersMeanwhile(couch, query)
    expect(reply.status).toBe(500)
    expect(reply.body.error).toBe('os_process_error')
    expect(reply.body.reason).toContain('_design/evil/_view/loop')
    expect(reply.body.reason).toContain(`deadline of ${DEADLINE} ms`)
    expect(reply.ms).toBeLessThan(DEADLINE + 3_000)
    // The seven views are unaffected.
    const prepids = await call(couch, false, 'GET', '/requests/_design/_designDoc/_view/prepids?limit=0')
    expect(prepids.body.total_rows).toBe(400)
  })

  it('no partial page is indexed: the index stays empty and the next query fails the same way', async () => {
    const first = await call(couch, true, 'GET', '/requests/_design/partial/_view/one?limit=1')
    expect(first.status).toBe(500)
    expect(first.body.reason).toContain('_design/partial/_view/one')
    const asIs = await call(couch, true, 'GET', '/requests/_design/partial/_view/one?stale=ok')
    expect(asIs.status).toBe(200)
    expect(asIs.body.total_rows).toBe(0)
    const again = await call(couch, true, 'GET', '/requests/_design/partial/_view/one?limit=1')
    expect(again.status).toBe(500)
    expect(again.ms).toBeLessThan(DEADLINE + 3_000)
  })

  it('a looping reduce fails the query once, not once per group', async () => {
    const reply = await call(couch, true, 'GET', '/requests/_design/reduced/_view/reduced?group=true')
    expect(reply.status).toBe(500)
    expect(reply.body.error).toBe('os_process_error')
    expect(reply.body.reason).toContain('reduce')
    expect(reply.ms).toBeLessThan(DEADLINE + 3_000)
  })

  it('a looping _changes filter (and filter=_view) ends the feed with the reason', async () => {
    for (const query of ['filter=evil/loop', 'filter=_view&view=evil/loop']) {
      const reply = await call(couch, true, 'GET', `/requests/_changes?${query}&limit=5`)
      expect(reply.status, query).toBeGreaterThanOrEqual(400)
      expect(JSON.stringify(reply.body), query).toContain('deadline')
      expect(reply.ms).toBeLessThan(DEADLINE + 3_000)
    }
    expect((await call(couch, false, 'GET', '/_up')).status).toBe(200)
  })

  it('a looping validate_doc_update fails the write with os_process_error; removing it makes writes work again', async () => {
    const put = await call(couch, true, 'PUT', '/requests/_design/guard', { validate_doc_update: 'function (newDoc, oldDoc, userCtx) { while (true) {} }' })
    expect(put.status).toBe(201)
    const write = await call(couch, true, 'PUT', '/requests/wf_new', { RequestName: 'wf_new' })
    expect(write.status).toBe(500)
    expect(write.body.error).toBe('os_process_error')
    expect(write.body.reason).toContain('validate_doc_update function of _design/guard')
    expect(write.ms).toBeLessThan(DEADLINE + 3_000)
    expect((await call(couch, true, 'DELETE', `/requests/_design/guard?rev=${String(put.body.rev)}`)).status).toBe(200)
    expect((await call(couch, true, 'PUT', '/requests/wf_new', { RequestName: 'wf_new' })).status).toBe(201)
  })

  it('a validate_doc_update still refuses with {forbidden}, as CouchDB answers it', async () => {
    const put = await call(couch, true, 'PUT', '/requests/_design/strict', { validate_doc_update: "function (newDoc) { if (!newDoc.RequestName) throw({ forbidden: 'RequestName is required' }) }" })
    expect(put.status).toBe(201)
    const write = await call(couch, true, 'PUT', '/requests/nameless', { n: 1 })
    expect(write.status).toBe(403)
    expect(write.body).toEqual({ error: 'forbidden', reason: 'RequestName is required' })
    expect((await call(couch, true, 'DELETE', `/requests/_design/strict?rev=${String(put.body.rev)}`)).status).toBe(200)
  })
})

describe('a map that allocates without end', () => {
  let couch: EmbeddedCouch
  beforeAll(async () => {
    // A deadline long enough for the allocation to reach the limit first.
    couch = await startEmbeddedCouch({ dataDir: '', inMemory: true, functionTimeoutMs: 60_000 })
    await seed(couch, 20)
  }, 60_000)
  afterAll(() => couch?.close())

  it('a map that allocates without end hits its process\'s memory limit, not the store\'s', async () => {
    const hungry = { views: { grow: { map: 'function (doc) { var all = []; while (true) { all.push(new Array(10000000).fill(Math.random())) } }' } } }
    expect((await call(couch, true, 'PUT', '/requests/_design/hungry', hungry)).status).toBe(201)
    const reply = await call(couch, true, 'GET', '/requests/_design/hungry/_view/grow')
    expect(reply.status).toBe(500)
    expect(reply.body.error).toBe('os_process_error')
    expect(reply.body.reason).toMatch(/_design\/hungry\/_view\/grow ran out of memory/)
    expect((await call(couch, false, 'GET', '/requests/_design/_designDoc/_view/prepids?limit=0')).body.total_rows).toBe(20)
  })

})

describe('temporary views', () => {
  let couch: EmbeddedCouch
  beforeAll(async () => {
    couch = await startEmbeddedCouch({ dataDir: '', inMemory: true })
    expect((await call(couch, true, 'PUT', '/requests')).status).toBe(201)
  })
  afterAll(() => couch?.close())

  it('are gone for everyone, as in CouchDB 2+', async () => {
    for (const admin of [true, false]) {
      const reply = await call(couch, admin, 'POST', '/requests/_temp_view', { map: LOOP })
      expect(reply.status).toBe(410)
      expect(reply.body).toEqual({ error: 'gone', reason: 'Temporary views are not supported in CouchDB' })
    }
    expect((await call(couch, false, 'GET', '/_up')).status).toBe(200)
  })
})
