/**
 * How `api/update` answers a failing run: a reason the updater gives reaches the caller; a
 * programming error (TypeError …) reaches the log only. The runner here throws on purpose — the one
 * stand-in of these tests, since no real component can be made to throw a TypeError on demand; the
 * HTTP server, the authoriser and the queue are the real ones, and no store call is made.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadServeConfig } from '../../src/main/config/serve-config'
import { Authoriser } from '../../src/main/serve/auth'
import { startService, type RunningService } from '../../src/main/serve/server'
import { UpdateQueue } from '../../src/main/serve/updates'
import type { CouchStore } from '../../src/main/store/couch-store'
import { RENDERER_DIR } from '../../src/main/cli/ui-command'
import { call } from './helpers'

const TOKEN = '0123456789abcdef0123456789abcdef'
let work: string
let service: RunningService

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-errors-'))
  const tokensFile = join(work, 'tokens')
  await writeFile(tokensFile, `${TOKEN}\n`)
  await chmod(tokensFile, 0o600)
  const config = loadServeConfig({ STATS2_SERVE_TOKENS_FILE: tokensFile }, { port: '0' })
  const updates = new UpdateQueue(async (name) => {
    if (name.startsWith('bug')) throw new TypeError("Cannot read properties of undefined (reading 'OutputDatasets')")
    throw new Error('DBS answered 502 for /A/B/AOD')
  }, { concurrency: 1, queue: 10 })
  // The update route never touches the store: none is needed.
  service = await startService({ config, store: {} as CouchStore, auth: new Authoriser(config), updates, rendererDir: RENDERER_DIR })
})

afterAll(async () => {
  await service?.close()
  await rm(work, { recursive: true, force: true })
})

describe('api/update failures', () => {
  it('gives the updater\'s reason, and hides a programming error', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` }
    const reason = await call(`${service.url}/api/update?workflow_name=wf_000000_000000_1`, { headers })
    expect(reason.status).toBe(500)
    expect(JSON.parse(reason.text).error).toBe('Unfortunately, there were issues updating workflow: wf_000000_000000_1, there are described below:\nDBS answered 502 for /A/B/AOD')
    const bug = await call(`${service.url}/api/update?workflow_name=bug_000000_000000_1`, { headers })
    expect(bug.status).toBe(500)
    expect(bug.text).not.toContain('Cannot read properties')
    expect(JSON.parse(bug.text).error).toMatch(/internal error stopped the update/)
  })
})
