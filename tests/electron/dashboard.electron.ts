/**
 * `npm run test:electron`: the dashboard end to end in the real desktop app (Electron binary, built
 * main, preload and renderer), driven by Playwright's Electron support. Not part of `npm test`: the
 * binary cannot be downloaded on the CI machines; scripts/test-electron.mjs refuses to run without it.
 * The flows follow tests/e2e (which drive the same renderer in Chromium through the browser bridge),
 * seen from the window only, plus what only the desktop has: the locked-down window, the menu,
 * diagnostics, the remembered window bounds.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron, type ElectronApplication, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS } from '../e2e/harness'
import { REPO_ROOT } from '../helpers/paths'

const EXECUTABLE = process.env.STATS2_ELECTRON_EXECUTABLE
if (!EXECUTABLE) throw new Error('STATS2_ELECTRON_EXECUTABLE is not set: run these tests with `npm run test:electron`')

let work: string
let app: ElectronApplication
let page: Page
const pageErrors: string[] = []

function environment(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('ELECTRON_')) env[key] = value
  // A throw-away user: settings, window state and the store land in the temporary folder.
  return { ...env, HOME: work, XDG_CONFIG_HOME: join(work, 'config'), APPDATA: join(work, 'appdata'), STATS2_DATA_DIR: join(work, 'store') }
}

async function launch(): Promise<void> {
  app = await _electron.launch({
    executablePath: EXECUTABLE,
    // Containers run as root, where Chromium's own sandbox cannot start; the renderer's stays on.
    args: [REPO_ROOT, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    cwd: REPO_ROOT,
    env: environment(),
    timeout: 60_000
  })
  page = await app.firstWindow()
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.waitForLoadState('domcontentloaded')
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-electron-'))
  await mkdir(ARTIFACTS, { recursive: true })
  await launch()
})

afterAll(async () => {
  await app?.close()
  await rm(work, { recursive: true, force: true })
})

describe('the desktop app', () => {
  it('opens one window with no Node in the page, only the preload bridge', async () => {
    const globals = await page.evaluate(() => {
      const scope = globalThis as { require?: unknown; process?: unknown; module?: unknown; stats2?: unknown }
      return { require: typeof scope.require, process: typeof scope.process, module: typeof scope.module, bridge: typeof scope.stats2 }
    })
    expect(globals).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', bridge: 'object' })
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
    expect(await page.title()).toMatch(/Stats2/)
  })

  it('has the application menu: Edit, View, Window, and Help with Open data folder and Copy diagnostics', async () => {
    const menu = await app.evaluate(({ Menu }) =>
      Menu.getApplicationMenu()!.items.map((item) => ({ label: item.label, items: item.submenu?.items.map((entry) => entry.label || entry.role || '') ?? [] }))
    )
    const labels = menu.map((item) => item.label)
    expect(labels).toEqual(expect.arrayContaining(['Edit', 'View', 'Window', 'Help']))
    expect(menu.find((item) => item.label === 'Help')!.items).toEqual(expect.arrayContaining(['Open data folder', 'Copy diagnostics']))
  })

  it('copies diagnostics without any secret', async () => {
    await app.evaluate(({ clipboard, Menu }) => {
      clipboard.writeText('')
      const help = Menu.getApplicationMenu()!.items.find((item) => item.label === 'Help')!
      help.submenu!.items.find((item) => item.label === 'Copy diagnostics')!.click()
    })
    await expect.poll(() => app.evaluate(({ clipboard }) => clipboard.readText()), { timeout: 30_000 }).toContain('Stats2 ')
    const text = await app.evaluate(({ clipboard }) => clipboard.readText())
    expect(text).toMatch(/Electron \d+\.\d+\.\d+/)
    expect(text).toContain(`Data folder: ${join(work, 'store')}`)
    expect(text).not.toMatch(/PRIVATE KEY|password/i)
  })

  it('welcomes a new operator, starts the demo, searches and lists workflows', async () => {
    await page.getByTestId('welcome').waitFor()
    await page.getByTestId('start-demo').click()
    await page.getByTestId('demo-badge').waitFor({ timeout: 60_000 })
    await page.getByTestId('update-result').waitFor({ timeout: 120_000 })
    await page.getByTestId('search').fill('')
    await page.getByTestId('search').press('Enter')
    await page.getByTestId('workflow-row').first().waitFor()
    const prepLink = page.getByTestId('workflow-row').first().locator('a.search-link[href*="field=prepid"]').first()
    const prepId = (await prepLink.innerText()).trim()
    await prepLink.click()
    await expect.poll(() => decodeURIComponent(new URL(page.url()).hash)).toContain('field=prepid')
    await page.getByTestId('search-summary').filter({ hasText: prepId.slice(0, 30) }).waitFor()
    expect(await page.getByTestId('workflow-row').count()).toBeGreaterThan(0)
    await page.screenshot({ path: join(ARTIFACTS, 'electron-search.png') })
  })

  it('opens a workflow with its chart and updates it with one click', async () => {
    const row = page.getByTestId('workflow-row').first()
    await row.getByTestId('workflow-select').check()
    await page.getByTestId('update-selected').click()
    await expect.poll(() => page.getByTestId('workflow-progress').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(1)
    await page.getByTestId('workflow-row').first().locator('button.workflow-name').click()
    await page.getByTestId('detail-panel').waitFor()
    await page.getByTestId('history-chart').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'electron-workflow.png') })
    expect(pageErrors).toEqual([])
  })

  it('remembers the window size and position for the next launch', async () => {
    const wanted = { x: 40, y: 50, width: 1100, height: 700 }
    await app.evaluate(({ BrowserWindow }, bounds) => BrowserWindow.getAllWindows()[0]!.setBounds(bounds), wanted)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const before = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.getNormalBounds())
    await app.close()
    await launch()
    await expect
      .poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.getNormalBounds()), { timeout: 30_000 })
      .toEqual(before)
  })
})
