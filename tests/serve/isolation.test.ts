/**
 * Issue 14's reproductions at the process level: `stats2 serve` (the real bin, a child process) on
 * its embedded store, and anonymous requests sent straight to the store URL it prints that freeze
 * the store — a `_find` whose `$regex` backtracks for minutes (reproduction 1), a view whose map
 * function never returns, brought in by an admin as `stats2 load` would (reproduction 2).
 *
 * What each checks: the service's own routes answer at once (its event loop is not the store's);
 * healthz and the store's routes answer within a few seconds — 200 if the store answers, else 503
 * naming why (the store process does not answer, or is being replaced); the supervisor replaces a
 * frozen store process, after which healthz is ok again; SIGTERM stops serve with exit 0. (Where
 * the store itself refuses such requests in time — deadlines and a linear-time `$regex` in
 * src/store-server — the store simply keeps answering: the same checks hold.) Then kill -9 of the
 * store process: 503 with the reason until a new one serves; and kill -9 of serve itself: its store
 * process closes and frees the folder.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOCK_FILE, processAlive } from '../../src/store-server/store-lock'
import { REPO_ROOT } from '../helpers/paths'

/** The store process's liveness deadline in these runs: reported unavailable after 2 s, replaced after 4 s. */
const HANG_MS = 4000
/** A client's patience for one answer of the service: "within a few seconds". */
const ANSWER_WITHIN_MS = 10_000
/** 32 word characters: `^(\w+)+=` tries 2^32 ways to split them before it fails. */
const HOSTILE_NAME = 'x'.repeat(32)
const NAME = 'pdmvserv_task_ISO-Run3-00001__v1_T_230101_000000_1'

let work: string

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-serve-isolation-'))
})

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true })
})

interface Serve {
  child: ChildProcess
  url: string
  store: string
  dataDir: string
  admin: string
  stderr: () => string
  exited: Promise<number | null>
}

async function startServe(name: string): Promise<Serve> {
  const dataDir = join(work, name)
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH, HOME: work, STATS2_DATA_DIR: dataDir, STATS2_STORE_HANG_MS: String(HANG_MS), STATS2_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then((code) => Promise.reject(new Error(`serve exited early (${code}): ${stderr}`)))
  ])
  const { url, store } = JSON.parse(line) as { url: string; store: string }
  const { user, password } = JSON.parse(await fs.readFile(join(dataDir, 'admin.json'), 'utf8')) as { user: string; password: string }
  const admin = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')
  for (const id of [NAME, HOSTILE_NAME]) {
    const put = await fetch(`${store}/requests/${id}`, {
      method: 'PUT',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ RequestName: id, PrepID: `ISO-${id.length}`, OutputDatasets: [], EventNumberHistory: [], Campaigns: ['Iso'] })
    })
    expect(put.status).toBe(201)
  }
  return { child, url, store, dataDir, admin, stderr: () => stderr, exited }
}

interface Answer {
  status: number
  text: string
}

/** One request to the service; a client gives up after ANSWER_WITHIN_MS (the test then fails). */
async function call(url: string): Promise<Answer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) }).catch((error: unknown) => {
    throw new Error(`${url} did not answer within ${ANSWER_WITHIN_MS} ms (${(error as Error).message})`)
  })
  return { status: response.status, text: await response.text() }
}

/** healthz and a store route answer (200, or 503 with a reason), and a route of the service itself answers 200. */
async function expectServiceAnswers(serve: Serve, why: RegExp): Promise<void> {
  const css = await call(`${serve.url}/static/stats2.css`)
  expect(css.status).toBe(200)
  for (const route of ['/healthz', `/api/get_json/${NAME}`, `/?prepid=ISO-${NAME.length}`]) {
    const answer = await call(`${serve.url}${route}`)
    expect([200, 503], `${route}: ${answer.text.slice(0, 300)}`).toContain(answer.status)
    if (answer.status === 503) expect(answer.text, route).toMatch(why)
  }
}

async function waitForHealth(serve: Serve): Promise<void> {
  const started = Date.now()
  for (;;) {
    const health = await call(`${serve.url}/healthz`)
    if (health.status === 200) return
    if (Date.now() - started > 90_000) throw new Error(`healthz not ok again: ${health.text}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function lockOf(dataDir: string): Promise<{ pid: number; ownerPid?: number }> {
  return JSON.parse(await fs.readFile(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; ownerPid?: number }
}

/** Why the store cannot answer (healthz's `reason`, the other routes' "The Stats2 store is not available: …"). */
const FROZEN = /The store process \d+ (has not answered for \d+(\.\d)? s \(busy or hung\)|was killed: it did not answer for .*; a new store process is starting)/

describe('stats2 serve while anonymous requests freeze its store', () => {
  let serve: Serve

  beforeAll(async () => {
    serve = await startServe('store-frozen')
  })

  afterAll(() => {
    if (serve?.child.exitCode === null) serve.child.kill('SIGKILL')
  })

  it('reproduction 1: a backtracking $regex in _find', async () => {
    const hostile = fetch(`${serve.store}/requests/_find`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ selector: { RequestName: { $regex: '^(\\w+)+=' } }, limit: 1 }),
      signal: AbortSignal.timeout(120_000)
    }).then(async (response) => ({ status: response.status, text: await response.text() }), () => undefined)
    await new Promise((resolve) => setTimeout(resolve, 300))
    await expectServiceAnswers(serve, FROZEN)
    await waitForHealth(serve)
    // Answered in time by a linear-time $regex (no document matches), refused by the store's
    // deadline, or cut off when the supervisor replaced the frozen store process: never a match.
    const outcome = await hostile
    if (outcome?.status === 200) expect(JSON.parse(outcome.text).docs).toEqual([])
    await expectServiceAnswers(serve, FROZEN)
  })

  it('reproduction 2: a view whose map function never returns', async () => {
    const put = await fetch(`${serve.store}/requests/_design/loop`, {
      method: 'PUT',
      headers: { authorization: serve.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ views: { all: { map: 'function (doc) { while (true) {} }' } } })
    })
    expect(put.status).toBe(201)
    const hostile = fetch(`${serve.store}/requests/_design/loop/_view/all`, { signal: AbortSignal.timeout(120_000) }).then(
      (response) => response.status,
      () => 'no answer'
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    await expectServiceAnswers(serve, FROZEN)
    await waitForHealth(serve)
    expect(await hostile).not.toBe(200)
  })

  it('SIGTERM stops serve with exit 0, its store process with it', async () => {
    const { pid } = await lockOf(serve.dataDir)
    serve.child.kill('SIGTERM')
    const code = await Promise.race([serve.exited, new Promise((resolve) => setTimeout(() => resolve('no exit within 20 s'), 20_000))])
    expect(code).toBe(0)
    expect(processAlive(pid)).toBe(false)
    expect(existsSync(join(serve.dataDir, LOCK_FILE))).toBe(false)
    expect(serve.stderr()).not.toMatch(/\n\s+at /)
  })
})

describe('stats2 serve when processes are killed', () => {
  it('kill -9 of the store process: 503 with the reason until a new one serves, then ok', async () => {
    const serve = await startServe('store-killed')
    try {
      const { pid, ownerPid } = await lockOf(serve.dataDir)
      expect(ownerPid).toBe(serve.child.pid)
      process.kill(pid, 'SIGKILL')
      const answers: Answer[] = []
      const started = Date.now()
      for (;;) {
        const answer = await call(`${serve.url}/api/get_json/${NAME}`)
        answers.push(answer)
        if (answer.status === 200) break
        if (Date.now() - started > 60_000) throw new Error(`no store again: ${answer.text}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      const refused = answers.filter((answer) => answer.status !== 200)
      expect(refused.length, 'answers while the store process was replaced').toBeGreaterThan(0)
      for (const answer of refused) {
        expect(answer.status).toBe(503)
        expect(JSON.parse(answer.text).error).toBe(`The Stats2 store is not available: The store process ${pid} exited unexpectedly (signal SIGKILL); a new store process is starting`)
      }
      expect(JSON.parse(answers[answers.length - 1]!.text).RequestName).toBe(NAME)
      expect((await call(`${serve.url}/healthz`)).status).toBe(200)
      expect((await lockOf(serve.dataDir)).pid).not.toBe(pid)
    } finally {
      serve.child.kill('SIGTERM')
      expect(await serve.exited).toBe(0)
    }
    expect(serve.stderr()).toContain('exited unexpectedly (signal SIGKILL); starting a new one')
  })

  it('kill -9 of serve: its store process closes the folder and exits; a new serve opens it', async () => {
    const serve = await startServe('serve-killed')
    const { pid } = await lockOf(serve.dataDir)
    serve.child.kill('SIGKILL')
    await serve.exited
    for (let waited = 0; processAlive(pid) && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(processAlive(pid), 'the store process exited').toBe(false)
    expect(existsSync(join(serve.dataDir, LOCK_FILE)), 'it released the lock').toBe(false)
    const again = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'see', NAME], {
      env: { PATH: process.env.PATH, HOME: work, STATS2_DATA_DIR: serve.dataDir },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    again.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
    expect(await new Promise((resolve) => again.once('exit', resolve))).toBe(0)
    expect(JSON.parse(out).RequestName).toBe(NAME)
  })
})
