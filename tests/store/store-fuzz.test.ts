/**
 * Property-based: random anonymous requests — methods, paths (percent-encoding, `..`, `_design/…`,
 * very long), headers (content types, Content-Length that lies, chunked bodies, bad credentials,
 * foreign Host names) and bodies (random JSON, selectors with random `$regex`, 2 MB, invalid
 * UTF-8) — sent over raw TCP to the real embedded store (LevelDB in a temporary folder). Never a
 * crash, never a 5xx other than the documented ones (docs/store-surface.md), every answer JSON,
 * and after each request the store still answers `/_up` and a document GET.
 *
 * Seeded: `STATS2_FUZZ_SEED=<n>` replays a run (the seed is printed); `STATS2_FUZZ_RUNS` sets the count.
 */
import { connect } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { searchDesignDoc, validateWriteDesignDoc } from '../../src/main/store/design-docs'

const SEED = Number(process.env.STATS2_FUZZ_SEED) || 14_014
const RUNS = Number(process.env.STATS2_FUZZ_RUNS) || 400
/** The 5xx answers the store documents (docs/store-surface.md): a design-document function or a `_find` past its deadline. */
const DOCUMENTED_5XX = new Set(['500 os_process_error', '500 timeout'])

let work: string
let couch: EmbeddedCouch
let port: number

interface RawReply {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/**
 * Sends `head` then `body` on a fresh connection and reads one answer (Connection: close). A body
 * shorter than its Content-Length gets no answer until the client gives up, and a server that
 * closes with bytes of ours unread resets the connection (TCP may then drop its answer): no reply.
 */
function rawRequest(head: string, body: Buffer, waitMs: number): Promise<RawReply | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(parse())
    }, waitMs)
    const parse = (): RawReply | undefined => {
      const all = Buffer.concat(chunks)
      const split = all.indexOf('\r\n\r\n')
      if (split < 0) return undefined
      const [statusLine, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      let rest = all.subarray(split + 4)
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const out: Buffer[] = []
        for (;;) {
          const end = rest.indexOf('\r\n')
          const size = end < 0 ? 0 : parseInt(rest.subarray(0, end).toString(), 16)
          if (!size) break
          out.push(rest.subarray(end + 2, end + 2 + size))
          rest = rest.subarray(end + 2 + size + 2)
        }
        rest = Buffer.concat(out)
      }
      return { status: Number(statusLine!.split(' ')[1]), headers, body: rest }
    }
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => {
      clearTimeout(timer)
      resolve(parse())
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      // The server may close on a request it refuses before reading its body.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve(parse())
      else reject(error)
    })
    socket.write(head)
    if (body.length > 0) socket.write(body)
  })
}

const segment = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(
    'requests', 'settings', 'other', '_users', '_all_dbs', '_design', '_designDoc', '_view', 'prepids', 'campaigns', 'evil', 'loop',
    '_local', 'cp', '_all_docs', '_changes', '_find', '_bulk_get', '_bulk_docs', '_temp_view', '_show', '_list', '_update', '_rewrite',
    '_index', '_explain', '_revs_diff', '_security', '_compact', '_view_cleanup', '_purge', '_replicate', '_session', '_up', '_config',
    '_uuids', 'wf_1', 'validate_write', '_info', '..', '.', '%2e%2e', '%2F', '%zz', '%00', '%C3%A9', '%FF', 'é', ''
  ) },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constant('a'.repeat(9_000)) }
)
/** Mostly the routes readers may use, or under a Stats2 database; sometimes anywhere. */
const path = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('/requests/_find', '/requests/_all_docs', '/requests/_changes', '/requests/_bulk_get', '/requests/_design/_designDoc/_view/prepids', '/requests/_design/_designDoc/_view/campaigns', '/requests/_local/cp', '/requests/wf_1', '/requests', '/settings/_find') },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('requests', 'settings'), fc.array(segment, { maxLength: 4 })).map(([db, parts]) => `/${[db, ...parts].join('/')}`) },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 5 }).map((parts) => '/' + parts.join('/')) }
)
const query = fc.array(
  fc.tuple(
    fc.constantFrom('limit', 'skip', 'key', 'keys', 'startkey', 'endkey', 'include_docs', 'descending', 'reduce', 'group', 'since', 'filter', 'view', 'rev', 'open_revs', 'revs', 'stale', 'update', 'attachments', 'conflicts', 'doc_ids', 'heartbeat', 'style', 'selector'),
    fc.oneof(fc.constantFrom('1', '-1', 'true', 'abc', '"p1"', '["p1"]', '{', '[]', '%', '_view', 'evil/loop', '_design', '_doc_ids', 'now', '1e400'), fc.string({ maxLength: 8 }).map(encodeURIComponent))
  ),
  { maxLength: 3 }
).map((pairs) => (pairs.length === 0 ? '' : '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')))

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.record({ selector: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ RequestName: fc.record({ $regex: fc.string({ maxLength: 20 }) }) }), fc.record({ $or: fc.jsonValue({ maxDepth: 2 }) })), limit: fc.option(fc.jsonValue({ maxDepth: 1 })), sort: fc.option(fc.jsonValue({ maxDepth: 1 })) }).map((value) => JSON.stringify(value)),
  fc.record({ keys: fc.jsonValue({ maxDepth: 2 }) }).map((value) => JSON.stringify(value)),
  fc.record({ docs: fc.jsonValue({ maxDepth: 2 }) }).map((value) => JSON.stringify(value)),
  fc.record({ map: fc.constantFrom('function (doc) { while (true) {} }', 'function (doc) { emit(doc._id) }') }).map((value) => JSON.stringify(value))
)
const body = fc.oneof(
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 5, arbitrary: jsonBody.map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(2 * 1024 * 1024, 'x')) }
)

const request = fc.record({
  method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'COPY', 'OPTIONS', 'PATCH') }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,8}$/) }),
  path,
  query,
  contentType: fc.option(fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/related; boundary=x', 'application/json; charset=latin1', '%%%')),
  accept: fc.option(fc.constantFrom('application/json', 'text/html', '*/*', 'text/plain')),
  auth: fc.option(fc.constantFrom('Basic !!!', `Basic ${Buffer.from('stats2-admin:wrong').toString('base64')}`, 'Bearer x', 'Basic '), { freq: 6 }),
  cookie: fc.option(fc.constantFrom('AuthSession=garbage', 'AuthSession='), { freq: 6 }),
  host: fc.constantFrom('127.0.0.1', '127.0.0.1', '127.0.0.1', 'localhost', 'evil.example'),
  framing: fc.oneof(
    { weight: 6, arbitrary: fc.constant('exact' as const) },
    { weight: 2, arbitrary: fc.constant('chunked' as const) },
    { weight: 1, arbitrary: fc.constant('longer-declared' as const) },
    { weight: 1, arbitrary: fc.constant('shorter-declared' as const) }
  ),
  body
})

type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never

function encode(req: Generated): { head: string; payload: Buffer } {
  const headers = [`${req.method} ${req.path}${req.query} HTTP/1.1`, `Host: ${req.host}:${port}`, 'Connection: close']
  if (req.contentType) headers.push(`Content-Type: ${req.contentType}`)
  if (req.accept) headers.push(`Accept: ${req.accept}`)
  if (req.auth) headers.push(`Authorization: ${req.auth}`)
  if (req.cookie) headers.push(`Cookie: ${req.cookie}`)
  let payload = req.body
  if (req.framing === 'chunked') {
    headers.push('Transfer-Encoding: chunked')
    payload = payload.length === 0 ? Buffer.from('0\r\n\r\n') : Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')])
  } else if (req.framing === 'longer-declared') {
    headers.push(`Content-Length: ${payload.length + 100}`)
  } else if (req.framing === 'shorter-declared') {
    headers.push(`Content-Length: ${Math.max(0, payload.length - 5)}`)
  } else if (payload.length > 0 || req.method === 'POST' || req.method === 'PUT') {
    headers.push(`Content-Length: ${payload.length}`)
  }
  return { head: headers.join('\r\n') + '\r\n\r\n', payload }
}

async function stillServes(): Promise<void> {
  const up = await fetch(`${couch.url}/_up`, { signal: AbortSignal.timeout(5_000) })
  expect(up.status).toBe(200)
  const doc = await fetch(`${couch.url}/requests/wf_1`, { signal: AbortSignal.timeout(5_000) })
  expect(doc.status).toBe(200)
  expect(((await doc.json()) as { RequestName?: string }).RequestName).toBe('wf_1')
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-fuzz-'))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'store'), functionTimeoutMs: 500 })
  port = Number(new URL(couch.url).port)
  const admin = async (method: string, path: string, json: unknown): Promise<void> => {
    const reply = await fetch(couch.url + path, { method, headers: { Authorization: couch.authHeader, 'Content-Type': 'application/json' }, body: JSON.stringify(json) })
    expect(reply.status, `${method} ${path}`).toBeLessThan(300)
  }
  for (const db of ['requests', 'settings', 'other']) {
    await fetch(`${couch.url}/${db}`, { method: 'PUT', headers: { Authorization: couch.authHeader } })
    await admin('PUT', `/${db}/${validateWriteDesignDoc()._id}`, validateWriteDesignDoc())
  }
  await admin('PUT', `/requests/${searchDesignDoc()._id}`, searchDesignDoc())
  await admin('PUT', '/requests/_design/evil', { views: { loop: { map: 'function (doc) { while (true) {} }' } }, filters: { loop: 'function () { while (true) {} }' } })
  await admin('POST', '/requests/_bulk_docs', { docs: Array.from({ length: 30 }, (_, i) => ({ _id: `wf_${i}`, RequestName: `wf_${i}`, PrepID: `p${i % 3}`, Campaigns: [`c${i % 4}`] })) })
  await admin('PUT', '/requests/_local/cp', { last_seq: 1 })
}, 60_000)

afterAll(async () => {
  await couch?.close()
  await rm(work, { recursive: true, force: true })
})

describe('random anonymous requests at the embedded store', () => {
  it('never crash it, never answer an undocumented 5xx, always answer JSON', async () => {
    console.log(`store fuzz: seed ${SEED}, ${RUNS} runs (replay with STATS2_FUZZ_SEED=${SEED})`)
    const statuses = new Map<number, number>()
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const { head, payload } = encode(req)
        const reply = await rawRequest(head, payload, req.framing === 'longer-declared' ? 800 : 20_000)
        if (!reply) {
          // Only a Content-Length that lies may go unanswered: the server waits for the missing bytes,
          // or closes with extra bytes unread (a reset, which may drop its answer).
          expect(['longer-declared', 'shorter-declared']).toContain(req.framing)
        } else {
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
          const text = reply.body.toString('utf8')
          if (req.method !== 'HEAD' && reply.status !== 204 && reply.status !== 304) {
            let parsed: unknown
            expect(() => (parsed = JSON.parse(text)), `not JSON: ${reply.status} ${text.slice(0, 200)}`).not.toThrow()
            if (reply.status >= 500) {
              const error = (parsed as { error?: unknown }).error
              expect(DOCUMENTED_5XX.has(`${reply.status} ${String(error)}`), `undocumented ${reply.status}: ${text.slice(0, 300)}`).toBe(true)
            }
            if (reply.status >= 400) expect(typeof (parsed as { reason?: unknown }).reason, text.slice(0, 200)).toBe('string')
          }
        }
        await stillServes()
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, reporter: (details) => { if (details.failed) throw new Error(`store fuzz failed (seed ${SEED}, replay with STATS2_FUZZ_SEED=${SEED}): ${String(details.errorInstance)}\n${fc.stringify(details.counterexample).slice(0, 1_500)}`) } }
    )
    console.log(`store fuzz statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`)
    // Nothing got written by anyone: the store holds what the admin put in.
    const all = (await (await fetch(`${couch.url}/requests/_all_docs`, { headers: { Authorization: couch.authHeader } })).json()) as { total_rows: number }
    expect(all.total_rows).toBe(30 + 3)
    const users = (await (await fetch(`${couch.url}/_users/_all_docs`, { headers: { Authorization: couch.authHeader } })).json()) as { rows: Array<{ id: string }> }
    expect(users.rows.filter((row) => !row.id.startsWith('_design/'))).toEqual([])
  }, 600_000)
})
