/**
 * `stats2 serve` as an operator runs it (the real bin in a child process): it prints its URL, answers,
 * and SIGTERM stops it cleanly. And a store that goes away mid-run: 503 with the reason on every
 * route, never a stack trace, never a crash — and answers again when the store is back.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/main/config/config'
import { CouchStore } from '../../src/main/store/couch-store'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { REPO_ROOT } from '../helpers/paths'
import { call, serveStore } from './helpers'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-process-'))
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('stats2 serve in a child process', () => {
  it('serves under the base path /, logs one line per request and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'serve', '--port', '0', '--base-path', '/'], {
      env: { PATH: process.env.PATH, HOME: work, STATS2_DATA_DIR: join(work, 'store'), STATS2_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const line = await Promise.race([
        new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
        exited.then((code) => Promise.reject(new Error(`serve exited early (${code}): ${stderr}`)))
      ])
      const { url } = JSON.parse(line) as { url: string }
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      const health = await call(`${url}healthz`)
      expect(health.status).toBe(200)
      expect(JSON.parse(health.text)).toMatchObject({ status: 'ok' })
      const page = await call(url)
      expect(page.status).toBe(200)
      expect(page.text).toContain('<base href="/">')
      expect((await call(`${url}api/get_json/none_000000_000000_0`)).status).toBe(404)
      // The child's stderr arrives a moment after the answers.
      const logged = /\[serve\] GET \/api\/get_json\/none_000000_000000_0 404 \d+(\.\d+)?ms/
      for (let waited = 0; !logged.test(stderr) && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50))
      expect(stderr).toMatch(logged)
      expect(stderr).toMatch(/\[serve\] GET \/healthz 200 \d+(\.\d+)?ms/)
    } finally {
      child.kill('SIGTERM')
    }
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 20_000))])
    expect(code).toBe(0)
    expect(stderr).toContain('[serve] stopped')
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('refuses bad options with a clear message', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'serve', '--base-path', 'no spaces'], {
      env: { PATH: process.env.PATH, HOME: work, STATS2_DATA_DIR: join(work, 'store2') },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(1)
    expect(stderr).toContain('--base-path must be "/" or a path like "/stats"')
  })
})

describe('a store that goes away', () => {
  let couch: EmbeddedCouch
  let couchDir: string

  it('answers 503 with the reason on every route, keeps running, and recovers', async () => {
    couchDir = join(work, 'couch')
    couch = await startEmbeddedCouch({ dataDir: couchDir })
    const port = new URL(couch.url).port
    const env = { HOME: work, DB_URL: couch.url, STATS_DB_AUTH_HEADER: couch.authHeader }
    const config = loadConfig(env)
    const store = await CouchStore.open(config.db)
    const doc: WorkflowDoc = {
      _id: 'alive_230101_000000_1', RequestName: 'alive_230101_000000_1', PrepID: 'ALIVE-00001', Campaigns: [], EventNumberHistory: [], OutputDatasets: [],
      RequestPriority: 1, RequestTransition: [], Requests: [], TotalEvents: 1, TotalInputLumis: -1
    }
    await store.saveWorkflows([doc])
    const svc = await serveStore(store, config, env)
    const base = `${svc.origin}/stats`
    try {
      expect((await call(`${base}/api/get_json/${doc._id}`)).status).toBe(200)
      await couch.close()

      const routes = ['/', '/3?prepid=ALIVE-00001', `/api/get_json/${doc._id}`, `/get_json/${doc._id}`, '/api/fetch?prepid=ALIVE-00001', '/md', '/search?q=ALIVE-00001', '/healthz']
      for (const route of routes) {
        const answer = await call(`${base}${route}`)
        expect(answer.status, route).toBe(503)
        expect(answer.text, route).toMatch(/CouchDB|store/)
        expect(answer.text, route).not.toMatch(/\n\s+at |TypeError/)
      }
      const json = JSON.parse((await call(`${base}/api/fetch`)).text) as { error: string }
      expect(json.error).toMatch(/^The Stats2 store is not available: Cannot reach CouchDB at /)
      const health = JSON.parse((await call(`${base}/healthz`)).text) as { status: string; reason: string }
      expect(health.status).toBe('unavailable')

      // The same data folder on the same port again: the service answers without a restart.
      couch = await startEmbeddedCouch({ dataDir: couchDir, port: Number(port) })
      const back = await call(`${base}/api/get_json/${doc._id}`)
      expect(back.status).toBe(200)
      expect(JSON.parse(back.text)._id).toBe(doc._id)
    } finally {
      await svc.close()
      await store.close()
      await couch.close()
    }
  })
})
