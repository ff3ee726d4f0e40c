/**
 * What the installed app holds, checked without an Electron binary (none can be downloaded here):
 * electron-builder packs the unpacked directory target (`--dir`, the step every installer starts
 * from) against a stand-in Electron distribution (`electronDist`), with the project's own
 * electron-builder.yml. The stand-in `electron` acts as Electron does with ELECTRON_RUN_AS_NODE=1 —
 * it runs the given script with Node, from an extracted copy of app.asar since Node cannot read the
 * archive — so the `stats2` launcher and the packaged CLI (production dependencies only, LevelDB's
 * prebuilt native part included) really run.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { existsSync, statSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as asar from '@electron/asar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/paths'
import { run } from './helpers'
import { appIconPath } from '../../src/main/desktop/app-icon'

const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

let work: string
let appDir: string
let resources: string
let entries: string[]

beforeAll(async () => {
  for (const built of ['out/main/index.js', 'out/preload/index.js', 'out/renderer/index.html', 'out/cli/stats2.cjs']) {
    if (!existsSync(join(REPO_ROOT, built))) throw new Error(`${built} is missing: run "npm run build" first (npm test does)`)
  }
  work = await mkdtemp(join(tmpdir(), 'stats2-layout-'))
  const electronDist = join(work, 'electron-dist')
  await mkdir(electronDist)
  // Stand-in for the Electron binary: only its run-as-Node mode, which the `stats2` launcher uses.
  await writeFile(
    join(electronDist, 'electron'),
    `#!/bin/sh
[ "$ELECTRON_RUN_AS_NODE" = 1 ] || { echo "stand-in Electron: only ELECTRON_RUN_AS_NODE=1 is supported" >&2; exit 3; }
script=$(printf '%s' "$1" | sed 's#/resources/app.asar/#/resources/app-extracted/#'); shift
exec "${process.execPath}" "$script" "$@"
`
  )
  await chmod(join(electronDist, 'electron'), 0o755)
  await writeFile(join(electronDist, 'version'), pkg.devDependencies.electron!)
  const output = join(work, 'dist')
  const builder = await run(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'electron-builder', 'cli.js'), '--dir', '--linux', `--config.electronDist=${electronDist}`, `--config.directories.output=${output}`],
    { cwd: REPO_ROOT, env: { ...process.env, CI: '1' }, timeoutMs: 240_000 }
  )
  if (builder.code !== 0) throw new Error(`electron-builder --dir failed (${builder.code}):\n${builder.stdout}\n${builder.stderr}`)
  appDir = join(output, process.arch === 'x64' ? 'linux-unpacked' : `linux-${process.arch}-unpacked`)
  resources = join(appDir, 'resources')
  entries = asar.listPackage(join(resources, 'app.asar'), { isPack: false })
  asar.extractAll(join(resources, 'app.asar'), join(resources, 'app-extracted'))
}, 300_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('the packaged app (electron-builder --dir)', () => {
  it('holds the built main, preload, renderer and CLI, and package.json naming the main entry', async () => {
    for (const file of ['/package.json', '/out/main/index.js', '/out/preload/index.js', '/out/renderer/index.html', '/out/cli/stats2.cjs']) {
      expect(entries, file).toContain(file)
    }
    const packaged = JSON.parse(asar.extractFile(join(resources, 'app.asar'), 'package.json').toString()) as { main: string }
    expect(packaged.main).toBe('out/main/index.js')
    expect(existsSync(join(appDir, 'stats2-desktop'))).toBe(true)
  })

  it('holds every production dependency and no development tool', () => {
    for (const name of Object.keys(pkg.dependencies)) expect(entries, name).toContain(`/node_modules/${name}/package.json`)
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => !(name in pkg.dependencies))
    expect(devOnly).toEqual(expect.arrayContaining(['tsx', 'typescript', 'electron', 'electron-vite', 'electron-builder', 'vite', 'vitest', 'react', 'playwright-core']))
    for (const name of [...devOnly, 'esbuild']) {
      expect(entries.filter((entry) => entry.startsWith(`/node_modules/${name}/`)), name).toEqual([])
    }
  })

  it('holds no sources, tests, source maps or TypeScript', () => {
    const outsideApp = entries.filter((entry) => /^\/(src|tests|bench|scripts|resources|bin|test-results)(\/|$)/.test(entry))
    expect(outsideApp).toEqual([])
    expect(entries.filter((entry) => /\.(ts|tsx|mts|map)$/.test(entry))).toEqual([])
    expect(entries.filter((entry) => /\/(test|tests|__tests__)\//.test(entry))).toEqual([])
    expect(entries.filter((entry) => /(^|\/)(tsconfig[^/]*\.json|electron\.vite\.config\.ts|vitest\.config\.mts)$/.test(entry))).toEqual([])
  })

  it('keeps LevelDB\'s prebuilt native binaries outside the archive, for this platform too', () => {
    const natives = entries.filter((entry) => entry.endsWith('.node'))
    expect(natives.length).toBeGreaterThan(0)
    for (const native of natives) expect(existsSync(join(resources, 'app.asar.unpacked', native)), native).toBe(true)
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(natives).toContain('/node_modules/pouchdb-adapter-leveldb/node_modules/leveldown/prebuilds/linux-x64/node.napi.glibc.node')
    }
  })

  it('ships the stats2 launcher for cron next to app.asar, executable, and its Windows twin', () => {
    expect(statSync(join(resources, 'stats2')).mode & 0o111).not.toBe(0)
    expect(existsSync(join(resources, 'stats2.cmd'))).toBe(true)
  })

  it('puts the window icon where the app looks for it when installed', async () => {
    const icon = appIconPath({ packaged: true, resourcesPath: resources, mainDir: '/unused' })
    expect(await readFile(icon)).toEqual(await readFile(join(REPO_ROOT, 'resources', 'icon.png')))
  })

  it('runs the packaged CLI through the launcher with only the packaged dependencies (the embedded LevelDB store included)', async () => {
    const data = join(work, 'data')
    const env = { PATH: process.env.PATH ?? '', HOME: work, STATS2_DATA_DIR: data, STATS2_LOG_LEVEL: 'warn' }
    const help = spawnSync(join(resources, 'stats2'), ['sim', '--help'], { encoding: 'utf8', env })
    expect(help.status, help.stderr).toBe(0)
    expect(help.stdout).toMatch(/^Usage: stats2 sim /)
    const dump = spawnSync(join(resources, 'stats2'), ['dump'], { encoding: 'utf8', env, timeout: 60_000 })
    expect(dump.status, dump.stderr).toBe(0)
    expect(JSON.parse(dump.stdout)).toEqual([])
    // The embedded store really opened its LevelDB databases in the data folder.
    const found = spawnSync('find', [data, '-name', 'CURRENT'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean)
    expect(found.length).toBeGreaterThan(0)
  })

  it('serves the packaged renderer with the packaged `stats2 ui`', async () => {
    const child = spawn(join(resources, 'stats2'), ['ui'], {
      env: { PATH: process.env.PATH ?? '', HOME: work, STATS2_DATA_DIR: join(work, 'data-ui'), STATS2_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`stats2 ui exited with ${code}`)))
        createInterface({ input: child.stdout! }).once('line', resolve)
      })
      const page = await fetch(line)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<div id="root">')
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
  })
})
