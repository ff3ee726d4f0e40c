/**
 * `stats2 ui` as an operator runs it (a child process): the address with its token goes to stdout
 * for the user; stderr (the log, which journald keeps) never carries the token, at any log level.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/paths'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-ui-token-'))
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('stats2 ui', () => {
  it('prints the address with its token on stdout only; the log never contains the token', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'ui', '--port', '0'], {
      env: { PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: join(work, 'config'), STATS2_DATA_DIR: join(work, 'store'), STATS2_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    let stdout = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`ui exited with ${code}: ${stderr}`)))
        createInterface({ input: child.stdout! }).once('line', resolve)
      })
      stdout += line
      const url = new URL(line)
      const token = url.searchParams.get('token') ?? ''
      expect(url.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(token).toMatch(/^[0-9a-f]{32,}$/)
      // A page load and an API call with the token: request handling must not log it either.
      expect((await fetch(line)).status).toBe(200)
      const api = await fetch(`${url.origin}/api/getStatus`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-stats2-token': token }, body: '{}' })
      expect(api.status).toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(stderr).toContain(url.origin)
      expect(stderr).not.toContain(token)
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    expect(stderr).not.toMatch(/token=[0-9a-f]/)
    expect(stdout).toContain('token=')
  }, 60_000)
})
