/**
 * `_changes` feeds of the embedded store end: on `timeout`, at the server's maximum, when the client
 * goes away, when the server closes. Over real HTTP in-process, then a real `stats2 ui` child
 * process that must exit promptly on SIGTERM after hundreds of aborted anonymous feeds.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { promises as fs, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { REPO_ROOT } from '../helpers/paths'

let work: string
const servers: EmbeddedCouch[] = []
const children: ChildProcess[] = []

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-feeds-'))
})
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true })
})

async function start(feedMaxMs?: number): Promise<EmbeddedCouch> {
  const couch = await startEmbeddedCouch({ dataDir: await fs.mkdtemp(join(work, 'store-')), feedMaxMs })
  servers.push(couch)
  const admin = { Authorization: couch.authHeader, 'Content-Type': 'application/json' }
  expect((await fetch(`${couch.url}/requests`, { method: 'PUT', headers: admin })).status).toBe(201)
  expect((await fetch(`${couch.url}/requests/a`, { method: 'PUT', headers: admin, body: '{"n":1}' })).status).toBe(201)
  return couch
}

const write = (couch: EmbeddedCouch, id: string): Promise<Response> =>
  fetch(`${couch.url}/requests/${id}`, { method: 'PUT', headers: { Authorization: couch.authHeader, 'Content-Type': 'application/json' }, body: '{"n":2}' })

async function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Opens `count` anonymous feeds (longpoll and continuous, GET and POST) and aborts each after `afterMs`. */
async function openAndAbort(url: string, count: number, afterMs: number): Promise<void> {
  const running: Array<Promise<unknown>> = []
  for (let i = 0; i < count; i++) {
    const abort = new AbortController()
    const feed = i % 2 === 0 ? 'longpoll' : 'continuous'
    const post = i % 3 === 0
    running.push(
      fetch(`${url}/requests/_changes?feed=${feed}&since=now${i % 4 === 0 ? '&heartbeat=1000' : ''}`, {
        method: post ? 'POST' : 'GET',
        headers: post ? { 'Content-Type': 'application/json' } : {},
        body: post ? '{}' : undefined,
        signal: abort.signal
      })
        .then((response) => response.body?.getReader().read())
        .catch(() => undefined)
    )
    setTimeout(() => abort.abort(), afterMs + (i % 5))
    if (running.length >= 50) await Promise.all(running.splice(0))
  }
  await Promise.all(running)
}

describe('feeds end as CouchDB documents it', () => {
  it('longpoll: answers at once when there are changes, wakes on the next change, and honours timeout', async () => {
    const couch = await start()
    const now = (await (await fetch(`${couch.url}/requests/_changes?feed=longpoll&since=0`)).json()) as { results: Array<{ id: string }>; last_seq: number }
    expect(now.results.map((r) => r.id)).toEqual(['a'])
    const lastSeq = now.last_seq as number

    const began = Date.now()
    const empty = await (await fetch(`${couch.url}/requests/_changes?feed=longpoll&since=now&timeout=300`)).json()
    expect(Date.now() - began).toBeGreaterThanOrEqual(250)
    expect(empty).toEqual({ results: [], last_seq: lastSeq })

    const waiting = fetch(`${couch.url}/requests/_changes?feed=longpoll&since=${lastSeq}&timeout=10000`).then((r) => r.json() as Promise<{ results: Array<{ id: string; seq: number }>; last_seq: number }>)
    await waitFor(() => couch.openFeeds() === 1, 'the feed is open')
    await write(couch, 'b')
    const woken = await waiting
    expect(woken.results.map((r) => r.id)).toEqual(['b'])
    expect(woken.last_seq).toBe(woken.results[0]?.seq)
    expect(couch.openFeeds()).toBe(0)
  })

  it('continuous: one line per change, then {"last_seq"} on timeout; limit ends it too', async () => {
    const couch = await start()
    const reading = fetch(`${couch.url}/requests/_changes?feed=continuous&since=0&timeout=700`).then((r) => r.text())
    await waitFor(() => couch.openFeeds() === 1, 'the feed is open')
    await write(couch, 'c')
    const lines = (await reading).trim().split('\n').map((line) => JSON.parse(line) as { id?: string; seq?: number; last_seq?: number })
    expect(lines.map((line) => line.id)).toEqual(['a', 'c', undefined])
    expect(lines.at(-1)).toEqual({ last_seq: lines.at(-2)?.seq })
    const limited = await (await fetch(`${couch.url}/requests/_changes?feed=continuous&since=0&limit=1&timeout=10000`)).text()
    expect(limited.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ id: 'a' }),
      { last_seq: expect.any(Number) }
    ])
    expect(couch.openFeeds()).toBe(0)
  })

  it('a heartbeat keeps a feed open only up to the server maximum', async () => {
    const couch = await start(800)
    const began = Date.now()
    const text = await (await fetch(`${couch.url}/requests/_changes?feed=continuous&since=now&heartbeat=200&timeout=999999`)).text()
    expect(Date.now() - began).toBeLessThan(5_000)
    expect(text).toMatch(/^\n+\{"last_seq":\d+\}\n$/)
  })

  it('aborted feeds are closed at once: no listener is left behind', async () => {
    const couch = await start()
    await openAndAbort(couch.url, 200, 30)
    await waitFor(() => couch.openFeeds() === 0, 'every aborted feed is closed', 5_000)
    // The server still answers feeds.
    expect(await (await fetch(`${couch.url}/requests/_changes?feed=longpoll&since=now&timeout=100`)).json()).toMatchObject({ results: [] })
  })

  it('close() ends open feeds with their last_seq and returns promptly', async () => {
    const couch = await start()
    const feeds = [
      fetch(`${couch.url}/requests/_changes?feed=continuous&since=now&heartbeat=500`).then((r) => r.text()),
      fetch(`${couch.url}/requests/_changes?feed=longpoll&since=now`).then((r) => r.text())
    ]
    await waitFor(() => couch.openFeeds() === 2, 'both feeds are open')
    const began = Date.now()
    await couch.close()
    expect(Date.now() - began).toBeLessThan(3_000)
    const [continuous, longpoll] = await Promise.all(feeds)
    expect(continuous).toMatch(/\{"last_seq":\d+\}\n$/)
    expect(JSON.parse(longpoll as string)).toMatchObject({ results: [] })
  })
})

describe('a one-shot feed asked for with POST', () => {
  it('honours filter=_selector with the selector in the body, tombstones included through $or _deleted (CouchDB 3)', async () => {
    const couch = await start()
    const admin = { Authorization: couch.authHeader, 'Content-Type': 'application/json' }
    const put = (id: string, body: unknown): Promise<Response> => fetch(`${couch.url}/requests/${id}`, { method: 'PUT', headers: admin, body: JSON.stringify(body) })
    expect((await put('x1', { Campaigns: ['X'] })).status).toBe(201)
    expect((await put('y1', { Campaigns: ['Y'] })).status).toBe(201)
    const y2 = (await (await put('y2', { Campaigns: ['Y'] })).json()) as { rev: string }
    expect((await fetch(`${couch.url}/requests/y2?rev=${y2.rev}`, { method: 'DELETE', headers: admin })).status).toBe(200)
    const feed = async (selector: unknown, anonymous = false): Promise<{ ids: string[]; deleted: string[]; lastSeq: unknown }> => {
      const answer = await fetch(`${couch.url}/requests/_changes?filter=_selector&style=all_docs`, {
        method: 'POST',
        headers: anonymous ? { 'Content-Type': 'application/json' } : admin,
        body: JSON.stringify({ selector })
      })
      expect(answer.status).toBe(200)
      const body = (await answer.json()) as { results: Array<{ id: string; deleted?: boolean }>; last_seq: unknown }
      return { ids: body.results.map((r) => r.id).sort(), deleted: body.results.filter((r) => r.deleted).map((r) => r.id), lastSeq: body.last_seq }
    }
    expect((await feed({ Campaigns: { $elemMatch: { $in: ['X'] } } })).ids).toEqual(['x1'])
    const withTombstones = await feed({ $or: [{ _deleted: true }, { Campaigns: { $elemMatch: { $in: ['X'] } } }] })
    expect(withTombstones).toMatchObject({ ids: ['x1', 'y2'], deleted: ['y2'] })
    expect(withTombstones.lastSeq).toBeDefined()
    // Anonymous readers may ask the same (a read-only POST).
    expect((await feed({ Campaigns: { $elemMatch: { $in: ['Y'] } } }, true)).ids).toEqual(['y1'])
    // A selector that is not one: CouchDB-shaped 400s, never PouchDB's internal text.
    for (const selector of [5, ['a'], { Campaigns: { $nope: 1 } }]) {
      const answer = await fetch(`${couch.url}/requests/_changes?filter=_selector`, { method: 'POST', headers: admin, body: JSON.stringify({ selector }) })
      expect(answer.status, JSON.stringify(selector)).toBe(400)
      const body = (await answer.json()) as { error: string; reason: string }
      expect(body.error).toBe('bad_request')
      expect(body.reason).not.toMatch(/is not a function|Cannot read|undefined/)
    }
  })
})

describe('stats2 ui after many aborted anonymous feeds', () => {
  it('exits promptly on SIGTERM, and its memory stays bounded', async () => {
    const home = await fs.mkdtemp(join(work, 'ui-'))
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'ui', '--port', '0'], {
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: home, STATS2_DATA_DIR: join(home, 'store'), STATS2_LOG_LEVEL: 'warn', DB_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    children.push(child)
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const openUrl = new URL(
      await new Promise<string>((done, fail) => {
        child.stdout?.once('data', (chunk: Buffer) => done(chunk.toString().trim()))
        child.once('exit', (code) => fail(new Error(`stats2 ui exited (${code}): ${stderr}`)))
      })
    )
    // The dashboard's first status call opens the embedded store.
    const status = await fetch(`${openUrl.origin}/api/getStatus`, {
      method: 'POST',
      headers: { 'x-stats2-token': openUrl.searchParams.get('token') ?? '', 'Content-Type': 'application/json', Origin: openUrl.origin },
      body: 'null'
    })
    const storeUrl = ((await status.json()) as { value: { store: { url: string } } }).value.store.url
    expect(storeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024
    const before = process.platform === 'linux' ? rss() : 0

    await openAndAbort(storeUrl, 600, 10)

    if (process.platform === 'linux') {
      // Generous: 600 leaked feeds grew it by more than 100 MB; a few MB of heap churn is normal.
      expect(rss() - before, `RSS ${before.toFixed(0)} → ${rss().toFixed(0)} MB`).toBeLessThan(80)
    }
    const began = Date.now()
    child.kill('SIGTERM')
    const exit = await new Promise<{ code: number | null; signal: string | null }>((done) => {
      const timer = setTimeout(() => done({ code: null, signal: 'still running after 10 s' }), 10_000)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        done({ code, signal })
      })
    })
    expect(exit, stderr).toEqual({ code: 0, signal: null })
    expect(Date.now() - began).toBeLessThan(10_000)
  })
})
