/**
 * `npm start` and `npm run dev` as an operator runs them, in a throw-away copy of the project.
 * The Electron binary cannot be downloaded here, so a stand-in executable (reached through
 * Electron's own ELECTRON_OVERRIDE_DIST_PATH) records how it is started; everything before it —
 * the start script, electron-vite's build and dev server — is the real thing. The download failure
 * is real too: Electron's installer against a closed 127.0.0.1 port.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INSTALLER_NODE, atLeast, ensureElectron } from '../../scripts/electron-launch.mjs'
import { cleanEnv, closedPort, makeProjectCopy, makeStandInElectron, run, type StandInRecord } from './helpers'

let work: string
let project: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-start-'))
  project = await makeProjectCopy(join(work, 'project'))
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

/** Runs `npm <args>` in the project copy with a stand-in Electron; answers what the stand-in recorded. */
async function startWithStandIn(label: string, npmArgs: string[]): Promise<StandInRecord> {
  const record = join(work, `${label}.json`)
  await makeStandInElectron(join(work, `dist-${label}`), record)
  const result = await run('npm', npmArgs, {
    cwd: project,
    env: cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: join(work, `dist-${label}`) }),
    timeoutMs: 120_000
  })
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(await readFile(record, 'utf8')) as StandInRecord
}

describe('npm start with an Electron binary present', () => {
  it('builds the app and starts Electron on the package root, whose main is the built entry', async () => {
    const started = await startWithStandIn('start', ['start'])
    expect(started.argv).toEqual(['.'])
    expect(started.cwd).toBe(project)
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { main: string }
    expect(pkg.main).toBe('out/main/index.js')
    for (const built of ['out/main/index.js', 'out/preload/index.js', 'out/renderer/index.html']) {
      expect(existsSync(join(project, built)), built).toBe(true)
    }
    expect(await readFile(join(project, 'out/main/index.js'), 'utf8')).toContain('startDesktop')
    // A window, not Node: nothing may ask Electron to run as plain Node.
    expect(started.env.ELECTRON_RUN_AS_NODE).toBeUndefined()
    expect(started.env.ELECTRON_RENDERER_URL).toBeUndefined()
  })

  it('npm run dev starts Electron with the dev server, which serves the page', async () => {
    const started = await startWithStandIn('dev', ['run', 'dev'])
    expect(started.argv).toEqual(['.'])
    expect(started.env.ELECTRON_RENDERER_URL).toMatch(/^http:\/\/(localhost|127\.0\.0\.1):\d+/)
    expect(started.rendererStatus).toBe(200)
  })

  it('says so in one line when ELECTRON_OVERRIDE_DIST_PATH points at nothing', async () => {
    const result = await run('npm', ['start', '--silent'], { cwd: project, env: cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: join(work, 'nowhere') }) })
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`ELECTRON_OVERRIDE_DIST_PATH=${join(work, 'nowhere')}`)])
  })
})

describe('npm start without the binary', () => {
  const offline = /^npm start: Could not download Electron 45\.5\.0 from http:\/\/127\.0\.0\.1:\d+\/ \(fetch failed\)\. Set ELECTRON_MIRROR .* and retry; or open the dashboard in your browser instead: npx stats2 ui$/

  it(`prints one line and exits non-zero: the Node message below Node ${INSTALLER_NODE}, the download failure from it on`, async () => {
    const port = await closedPort()
    const result = await run('npm', ['start', '--silent'], {
      cwd: project,
      env: cleanEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: join(work, 'cache-npm') })
    })
    expect(result.code).toBe(1)
    const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('Downloading Electron'))
    expect(lines).toHaveLength(1)
    if (atLeast(process.versions.node, INSTALLER_NODE)) {
      expect(lines[0]).toMatch(offline)
    } else {
      expect(lines[0]).toBe(
        `npm start: Electron 45.5.0's binary is not installed yet, and its installer needs Node.js 22.12.0 or newer (this is Node ${process.versions.node}): ` +
          'run npm start once with Node 22 (e.g. nvm install 22), or open the dashboard in your browser instead: npx stats2 ui'
      )
    }
    expect(existsSync(join(project, 'node_modules', 'electron', 'path.txt'))).toBe(false)
  })

  it('runs Electron\'s real installer and reports a failed download in one line with both ways out', async () => {
    // The installer runs under this Node; the Node version is given as supported so that the
    // download is attempted on any CI Node (Electron's installer runs on Node 20.19+ in practice).
    const port = await closedPort()
    const result = await ensureElectron({
      electronDir: join(project, 'node_modules', 'electron'),
      env: cleanEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: join(work, 'cache-direct') }),
      nodeVersion: INSTALLER_NODE
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(`npm start: ${result.message}`).toMatch(offline)
    expect(result.message).not.toMatch(/\n|\bat \w+ \(/)
  })

  it('npm run test:electron refuses to pass without the binary, in one line', async () => {
    const result = await run('npm', ['run', 'test:electron', '--silent'], { cwd: project, env: cleanEnv({}) })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining("test:electron: Electron's binary is not installed, so the desktop tests cannot run here (none were run).")])
  })

  it('compares Node versions as numbers', () => {
    expect(atLeast('22.12.0', '22.12.0')).toBe(true)
    expect(atLeast('v22.9.1', '22.12.0')).toBe(false)
    expect(atLeast('24.0.0', '22.12.0')).toBe(true)
    expect(atLeast('20.20.2', '22.12.0')).toBe(false)
  })
})
