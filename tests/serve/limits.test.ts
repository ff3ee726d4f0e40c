/**
 * Issue 14, reproductions 7 and 8, scaled down with small configured limits: `/api/fetch` streams
 * and stops at its document and byte limits (saying so), an aborted answer stops reading the store
 * and is logged as aborted, expensive answers and event streams are capped per client and per
 * instance (429/503 with Retry-After) while healthz keeps answering, connections are capped per
 * address, slow senders are cut by the header timeout, and stopping lets a large answer in flight
 * finish within STATS2_SERVE_DRAIN_MS. Real HTTP against a real embedded store; clients behind the
 * trusted proxy (127.0.0.1 here) are told apart by X-Forwarded-For, as behind a real proxy.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type Stats2Config } from '../../src/main/config/config'
import { CouchStore } from '../../src/main/store/couch-store'
import { addLogSink } from '../../src/main/log/logger'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { call, serveStore, type ServiceUnderTest } from './helpers'
import { RefusalLog } from '../../src/main/serve/server'

const DOCS = 300
/** About 50 kB per document (600 history entries), as in the reproduction. */
function bigDoc(index: number): WorkflowDoc {
  const name = `big_${String(index).padStart(4, '0')}_230101_${String(100000 + index).slice(-6)}_1`
  const history = Array.from({ length: 600 }, (_, entry) => ({ Time: 1_700_000_000 + entry * 600, Datasets: { '/Big/Run-v1/AODSIM': { Type: 'PRODUCTION', Events: entry * 10, Size: entry * 1000 } } }))
  return {
    _id: name, RequestName: name, PrepID: index < 90 ? 'DRAIN-00001' : 'BIG-00001', Campaigns: ['Big'], EventNumberHistory: history,
    OutputDatasets: ['/Big/Run-v1/AODSIM'], RequestPriority: 1, RequestTransition: [], Requests: [], TotalEvents: 10_000, TotalInputLumis: -1
  }
}

let work: string
let store: CouchStore
let config: Stats2Config
const services: ServiceUnderTest[] = []
const logged: string[] = []
let removeSink: () => void

async function serve(env: Record<string, string>): Promise<ServiceUnderTest> {
  const svc = await serveStore(store, config, { HOME: work, ...env })
  services.push(svc)
  return svc
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-limits-'))
  config = loadConfig({ HOME: work, STATS2_DATA_DIR: join(work, 'store') })
  store = await CouchStore.open(config.db, { inMemory: true, batchSize: 100 })
  const results = await store.saveWorkflows(Array.from({ length: DOCS }, (_, index) => bigDoc(index)))
  expect(results.every((result) => result.ok)).toBe(true)
  removeSink = addLogSink((record) => void logged.push(record.message))
}, 120_000)

afterAll(async () => {
  removeSink?.()
  for (const svc of services) await svc.close()
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A raw HTTP/1.1 request whose answer is not read (beyond its status line): it holds its slot. */
async function hold(port: number, path: string, headers: Record<string, string> = {}): Promise<{ socket: Socket; status: number; head: string }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`)
  const head = await new Promise<string>((resolve, reject) => {
    let text = ''
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1')
      if (text.includes('\r\n\r\n')) {
        socket.off('data', onData)
        socket.pause()
        resolve(text.split('\r\n\r\n')[0]!)
      }
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
  return { socket, status: Number(head.split(' ')[1]), head: head.toLowerCase() }
}

/** A stored document without its revision. */
const body = (doc: WorkflowDoc | undefined): unknown => {
  const { _rev: _revision, ...rest } = doc ?? ({} as WorkflowDoc)
  return rest
}

const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address })

describe('/api/fetch', () => {
  it('stops at the document limit, saying how many come and that matches were left out', async () => {
    const svc = await serve({ STATS2_SERVE_FETCH_MAX_DOCS: '120' })
    const answer = await call(`${svc.origin}/stats/api/fetch`)
    expect(answer.status).toBe(200)
    const docs = JSON.parse(answer.text) as WorkflowDoc[]
    expect(docs.map((doc) => doc._id)).toEqual(Array.from({ length: 120 }, (_, index) => bigDoc(index)._id))
    expect(body(docs[0])).toEqual(bigDoc(0))
    expect(answer.headers['x-stats2-documents']).toBe('120')
    expect(answer.headers['x-stats2-truncated']).toBe('documents; limit=120')
    // Under the limit: complete, and no such header.
    const some = await call(`${svc.origin}/stats/api/fetch?prepid=DRAIN-00001`)
    expect(JSON.parse(some.text)).toHaveLength(90)
    expect(some.headers['x-stats2-truncated']).toBeUndefined()
  })

  it('stops at the byte limit at a whole document: valid JSON, fewer documents than announced, and a trailer', async () => {
    const svc = await serve({ STATS2_SERVE_FETCH_MAX_BYTES: '2000000' })
    const answer = await request(`${svc.origin}/stats/api/fetch?prepid=BIG-00001`)
    const text = await answer.body.text()
    expect(answer.statusCode).toBe(200)
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2_000_000)
    const docs = JSON.parse(text) as WorkflowDoc[]
    expect(docs.length).toBeGreaterThan(10)
    expect(docs.length).toBeLessThan(DOCS - 90)
    expect(body(docs.at(-1))).toEqual(bigDoc(90 + docs.length - 1))
    expect(answer.headers['x-stats2-documents']).toBe(String(DOCS - 90))
    expect(answer.trailers['x-stats2-truncated']).toBe(`bytes; limit=2000000; documents=${docs.length}`)
  })

  it('stops reading the store when the client goes away, and logs the request as aborted', async () => {
    const svc = await serve({})
    let reads = 0
    const getWorkflows = store.getWorkflows.bind(store)
    store.getWorkflows = (names, signal) => {
      reads++
      return getWorkflows(names, signal)
    }
    try {
      const { socket } = await hold(svc.service.port, '/stats/api/fetch?prepid=BIG-00001')
      // The answer (210 documents of 50 kB) is read by nobody: the service waits for room, then the client leaves.
      await sleep(500)
      socket.destroy()
      await sleep(500)
      const afterAbort = reads
      await sleep(1000)
      expect(reads).toBe(afterAbort)
      // 21 reads of 10 documents would be the whole answer.
      expect(afterAbort).toBeLessThan(15)
      expect(logged.some((line) => /^GET \/stats\/api\/fetch aborted /.test(line))).toBe(true)
    } finally {
      store.getWorkflows = getWorkflows
    }
  })
})

describe('concurrency per client and per instance', () => {
  let svc: ServiceUnderTest
  beforeAll(async () => {
    svc = await serve({
      STATS2_SERVE_TRUSTED_PROXIES: '127.0.0.1', STATS2_SERVE_CLIENT_HEAVY: '1', STATS2_SERVE_HEAVY: '2',
      STATS2_SERVE_STREAMS: '3', STATS2_SERVE_CLIENT_STREAMS: '2'
    })
  })

  it('answers a second fetch of one client 429 and a third client 503, both with Retry-After; others still read', async () => {
    const port = svc.service.port
    const a = await hold(port, '/stats/api/fetch', from('10.0.0.1'))
    expect(a.status).toBe(200)
    const again = await call(`${svc.origin}/stats/api/fetch?prepid=DRAIN-00001`, { headers: from('10.0.0.1') })
    expect(again.status).toBe(429)
    expect(again.headers['retry-after']).toMatch(/^\d+$/)
    expect(JSON.parse(again.text).error).toMatch(/at most 1/)
    const b = await hold(port, '/stats/api/fetch', from('10.0.0.2'))
    expect(b.status).toBe(200)
    const c = await call(`${svc.origin}/stats/md`, { headers: from('10.0.0.3') })
    expect(c.status).toBe(503)
    expect(c.headers['retry-after']).toMatch(/^\d+$/)
    // Cheap reads and the health check are not held up by the expensive ones.
    expect((await call(`${svc.origin}/stats/healthz`)).status).toBe(200)
    expect((await call(`${svc.origin}/stats/api/get_json/${bigDoc(1)._id}`, { headers: from('10.0.0.1') })).status).toBe(200)
    a.socket.destroy()
    b.socket.destroy()
    await sleep(300)
    expect((await call(`${svc.origin}/stats/api/fetch?prepid=DRAIN-00001`, { headers: from('10.0.0.1') })).status).toBe(200)
  })

  it('caps event streams per client (429) and per instance (503), with Retry-After; healthz and the page still answer', async () => {
    const port = svc.service.port
    const path = '/stats/dashboard/api/events'
    const open = [await hold(port, path, from('10.0.1.1')), await hold(port, path, from('10.0.1.1'))]
    expect(open.map((stream) => stream.status)).toEqual([200, 200])
    const third = await hold(port, path, from('10.0.1.1'))
    expect(third.status).toBe(429)
    expect(third.head).toMatch(/\r\nretry-after: \d+/)
    open.push(await hold(port, path, from('10.0.1.2')))
    expect(open[2]!.status).toBe(200)
    const full = await hold(port, path, from('10.0.1.3'))
    expect(full.status).toBe(503)
    expect(full.head).toMatch(/\r\nretry-after: \d+/)
    expect((await call(`${svc.origin}/stats/healthz`)).status).toBe(200)
    expect((await call(`${svc.origin}/stats/?prepid=DRAIN-00001`)).status).toBe(200)
    for (const stream of [...open, third, full]) stream.socket.destroy()
    await sleep(300)
    const after = await hold(port, path, from('10.0.1.3'))
    expect(after.status).toBe(200)
    after.socket.destroy()
  })
})

describe('connections and slow senders', () => {
  it('closes new connections of an address beyond its limit; others still connect', async () => {
    const svc = await serve({ STATS2_SERVE_CLIENT_CONNECTIONS: '4' })
    const sockets = await Promise.all(Array.from({ length: 4 }, async () => {
      const socket = connect(svc.service.port, '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      return socket
    }))
    const fifth = connect(svc.service.port, '127.0.0.1')
    const closed = await new Promise<boolean>((resolve) => {
      fifth.once('close', () => resolve(true))
      setTimeout(() => resolve(false), 3000)
    })
    expect(closed).toBe(true)
    // A client reconnecting in a loop: every new connection closed, one log line (not one each).
    const before = logged.filter((line) => line.includes('closing its new ones') || line.includes('more connections closed')).length
    for (let i = 0; i < 50; i++) {
      const again = connect(svc.service.port, '127.0.0.1')
      again.on('error', () => undefined)
      expect(await new Promise<boolean>((resolve) => { again.once('close', () => resolve(true)); setTimeout(() => resolve(false), 3000) })).toBe(true)
    }
    expect(logged.filter((line) => line.includes('closing its new ones') || line.includes('more connections closed')).length - before).toBe(0)
    for (const socket of sockets) socket.destroy()
    await sleep(200)
    expect((await call(`${svc.origin}/stats/healthz`)).status).toBe(200)
  })

  it('logs refused connections once per address, then a count at most once a minute, remembering a bounded number of addresses', () => {
    let now = 0
    const lines: string[] = []
    const remove = addLogSink((record) => void lines.push(record.message))
    try {
      const refusals = new RefusalLog(() => now, 60_000, 3)
      for (let i = 0; i < 100; i++) refusals.refused('10.0.0.1', 4)
      expect(lines).toEqual([expect.stringContaining('10.0.0.1 holds 4 connections')])
      now = 61_000
      refusals.refused('10.0.0.1', 4)
      expect(lines[1]).toMatch(/^10\.0\.0\.1: 100 more connections closed in the last 61 s/)
      for (const address of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) refusals.refused(address, 4)
      expect(lines).toHaveLength(5)
      // 10.0.0.1 was forgotten when the fourth address came: its next refusal is a first line again.
      refusals.refused('10.0.0.1', 4)
      expect(lines).toHaveLength(6)
      expect(lines[5]).toContain('10.0.0.1 holds 4 connections')
    } finally {
      remove()
    }
  })

  it('cuts a connection whose headers trickle in, and one that sends nothing, at the header timeout', async () => {
    const svc = await serve({ STATS2_SERVE_HEADERS_TIMEOUT_MS: '1000', STATS2_SERVE_REQUEST_TIMEOUT_MS: '2000' })
    const started = Date.now()
    const trickle = connect(svc.service.port, '127.0.0.1')
    const silent = connect(svc.service.port, '127.0.0.1')
    trickle.on('data', () => undefined)
    silent.on('data', () => undefined)
    await new Promise((resolve) => trickle.once('connect', resolve))
    trickle.write('GET /stats/healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n')
    const drip = setInterval(() => trickle.writable && trickle.write(`x-slow-${Date.now()}: 1\r\n`), 200)
    const closedAfter = (socket: Socket): Promise<number> => new Promise((resolve) => socket.once('close', () => resolve(Date.now() - started)))
    const [trickled, quiet] = await Promise.all([closedAfter(trickle), closedAfter(silent)])
    clearInterval(drip)
    expect(trickled).toBeLessThan(5000)
    expect(quiet).toBeLessThan(5000)
  })
})

describe('stopping', () => {
  it('lets a large answer being read slowly finish within the drain limit', async () => {
    const svc = await serveStore(store, config, { HOME: work, STATS2_SERVE_DRAIN_MS: '20000' })
    const answer = await request(`${svc.origin}/stats/api/fetch?prepid=DRAIN-00001`)
    let received = 0
    const chunks: Buffer[] = []
    let closing: Promise<void> | undefined
    let receivedWhenClosed = 0
    for await (const chunk of answer.body) {
      chunks.push(chunk as Buffer)
      received += (chunk as Buffer).length
      // Stop the service once a tenth of the 4.5 MB answer is here; keep reading slowly.
      if (!closing && received > 450_000) closing = svc.close().then(() => void (receivedWhenClosed = received))
      await sleep(5)
    }
    const docs = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkflowDoc[]
    expect(docs).toHaveLength(90)
    expect(body(docs[89])).toEqual(bigDoc(89))
    await closing
    // The service waited for the answer (handed to the system, so a little ahead of this reader), not for nothing.
    expect(receivedWhenClosed).toBeGreaterThan(received / 3)
    await expect(call(`${svc.origin}/stats/healthz`)).rejects.toThrow()
  })
})
