/**
 * Starting the desktop app for a test, through Playwright's Electron support: with Electron's real
 * binary (`npm run test:electron`) or with the Chromium-backed stand-in (tests/electron-standin,
 * `npm test`). Either way the app is the project folder with its BUILT main bundle
 * (package.json `main`), preload and renderer, run by a throw-away user.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { spawn } from 'node:child_process'
import { _electron, type ElectronApplication, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { REPO_ROOT } from '../helpers/paths'

/** The stand-in's "Electron executable". */
export const STANDIN_EXECUTABLE = resolve(REPO_ROOT, 'tests', 'electron-standin', 'electron')
const BUILT_MAIN = resolve(REPO_ROOT, 'out', 'main', 'index.js')

/** What a started app gives a test. */
export interface DesktopRun {
  app: ElectronApplication
  /** The app's window. */
  page: Page
  /** Errors the page threw or logged as errors. */
  pageErrors: string[]
  /** The main process's stderr (the app's log), line by line. */
  log: string[]
  /** The throw-away user's folder: HOME, settings, window state, the embedded store. */
  work: string
  /** The embedded store's folder (STATS2_DATA_DIR). */
  dataDir: string
  /** The app's userData folder. */
  userData: string
}

export interface LaunchOptions {
  executablePath: string
  work: string
  /** After the app folder, as an operator would add them (`--demo-step-ms=0`). */
  args?: string[]
}

/** The environment of a throw-away operator: nothing of this machine's user, no Electron variables. */
export function desktopEnvironment(work: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('ELECTRON_')) env[key] = value
  return {
    ...env,
    HOME: work,
    XDG_CONFIG_HOME: join(work, 'config'),
    XDG_DATA_HOME: join(work, 'data'),
    APPDATA: join(work, 'appdata'),
    STATS2_DATA_DIR: join(work, 'store'),
    // The stand-in's launcher runs on this Node (ignored by Electron's binary).
    STATS2_STANDIN_NODE: process.execPath
  }
}

/** The app folder and arguments as Electron takes them (`electron <app> [args]`). */
function appArguments(args: string[]): string[] {
  // Containers run as root, where Chromium's own sandbox cannot start; the renderer's stays on.
  return [REPO_ROOT, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ...args]
}

export function assertBuilt(): void {
  if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: the desktop tests run the built app; run \`npm run build\` first (npm test does)`)
}

export async function launchDesktop(options: LaunchOptions): Promise<DesktopRun> {
  assertBuilt()
  const app = await _electron.launch({
    executablePath: options.executablePath,
    args: appArguments(options.args ?? []),
    cwd: REPO_ROOT,
    env: desktopEnvironment(options.work),
    timeout: 60_000
  })
  const log: string[] = []
  createInterface({ input: app.process().stderr! }).on('line', (line) => log.push(line))
  const page = await app.firstWindow()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  await page.waitForURL(/^file:/)
  await page.waitForLoadState('domcontentloaded')
  const userData = await app.evaluate(({ app: electronApp }) => electronApp.getPath('userData'))
  return { app, page, pageErrors, log, work: options.work, dataDir: join(options.work, 'store'), userData }
}

/** Starts the app again beside a running one and waits for it to end; its exit code. */
export function startAgain(options: LaunchOptions): Promise<number | null> {
  const child = spawn(options.executablePath, appArguments(options.args ?? []), { cwd: REPO_ROOT, env: desktopEnvironment(options.work), stdio: 'ignore' })
  return new Promise((done, fail) => {
    child.once('error', fail)
    child.once('exit', (code) => done(code))
  })
}

/** Waits until the app's log has a line matching `pattern`. */
export async function logged(run: DesktopRun, pattern: RegExp, timeout = 15_000): Promise<void> {
  await expect.poll(() => run.log.some((line) => pattern.test(line)), { timeout, message: `log line ${pattern}` }).toBe(true)
}

/** The process and all its descendants, by /proc (Linux). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []))
  return tree
}

/** Those of `pids` that still run (zombies count as gone). */
export function stillRunning(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
    } catch {
      return false
    }
  })
}
