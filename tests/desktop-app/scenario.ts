/**
 * The desktop app's scenario, step by step, seen from its window and its main process only: the
 * same steps run on Electron's real binary (tests/electron/dashboard.electron.ts) and on the
 * Chromium-backed stand-in (tests/desktop-app/desktop-app.test.ts). The page steps are the
 * browser-mode end-to-end tests' own (tests/e2e/steps.ts); what only the desktop has (the window,
 * the menu, notifications, the remembered bounds, the single instance) is here.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import {
  expectChartOf, expectWelcome, openFirstWorkflow, rowNames, saveMissingCertificate, screenshot, searchFor, testConnectionThenClose
} from '../e2e/steps'
import { CHANNEL_NAMES } from '../../src/shared/ipc-channels'
import { newestEntry, usesLumis } from '../../src/shared/rules/completion'
import { currentStatus, RUNNING_STATUSES } from '../../src/main/watchlist/detect'
import type { Result } from '../../src/shared/result'
import type { AppStatus, SettingsView, UpdaterState } from '../../src/shared/ipc-contract'
import type { SearchRowsResult } from '../../src/shared/search-types'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import type { WatchlistView } from '../../src/shared/watchlist'
import { logged, processTree, stillRunning, type DesktopRun } from './launch'
import type { DesktopRecorder } from './recorders'

/** A call through the preload's `window.stats2`, the page's only door to main. */
export async function ipc<T>(page: Page, channel: string, request: unknown = {}): Promise<Result<T>> {
  return page.evaluate(
    ([name, body]) => (globalThis as unknown as { stats2: Record<string, (r: unknown) => Promise<unknown>> }).stats2[name]!(body),
    [channel, request] as const
  ) as Promise<Result<T>>
}

async function value<T>(page: Page, channel: string, request: unknown = {}): Promise<T> {
  const answer = await ipc<T>(page, channel, request)
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.message}`)
  return answer.value
}

// ---- the window ---------------------------------------------------------------------------------

export async function expectLockedDownWindow(run: DesktopRun): Promise<void> {
  const globals = await run.page.evaluate(() => {
    const scope = globalThis as { require?: unknown; process?: unknown; module?: unknown; stats2?: object }
    return {
      require: typeof scope.require, process: typeof scope.process, module: typeof scope.module, bridge: typeof scope.stats2,
      methods: Object.keys(scope.stats2 ?? {}).sort()
    }
  })
  expect(globals).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', bridge: 'object', methods: [...CHANNEL_NAMES, 'on'].sort() })
  expect(await run.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
  expect(run.page.url()).toMatch(/^file:\/\/.*\/out\/renderer\/index\.html$/)
  expect(await run.page.title()).toMatch(/Stats2/)
}

/** The little of the DOM the page functions here touch (this type-check has no DOM library). */
export interface PageDom {
  document: {
    addEventListener(type: 'securitypolicyviolation', listener: (event: { originalPolicy: string }) => void): void
    createElement(tag: string): { textContent: string | null; contentWindow: unknown; remove(): void }
    querySelector(selector: string): { getAttribute(name: string): string | null } | null
    head: { append(node: unknown): void }
    body: { append(node: unknown): void }
  }
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: { childList: boolean; subtree: boolean }): void; disconnect(): void }
  location: { href: string }
  open(url: string): unknown
  screenX: number
  screenY: number
  outerWidth: number
  outerHeight: number
}

export interface CspProbe {
  /** What `eval('1 + 1')` gave in a task of the page: '2' if allowed, the error's name if refused. */
  evalResult: string
  inlineScriptRan: boolean
  /** The policies that refused them (the header's and the meta element's). */
  policies: string[]
}

/** Tries what the CSP forbids: an inline script and eval, from the page itself (not from DevTools). */
export async function probeContentSecurityPolicy(page: Page): Promise<CspProbe> {
  return page.evaluate(async () => {
    const policies = new Set<string>()
    const scope = globalThis as unknown as PageDom & { __inlineRan?: boolean }
    const { document } = scope
    document.addEventListener('securitypolicyviolation', (event) => policies.add(event.originalPolicy))
    const script = document.createElement('script')
    script.textContent = 'globalThis.__inlineRan = true'
    document.head.append(script)
    const evalResult = await new Promise<string>((resolve) =>
      setTimeout(() => {
        try {
          resolve(String((0, eval)('1 + 1')))
        } catch (error) {
          resolve((error as Error).name)
        }
      }, 0)
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    return { evalResult, inlineScriptRan: scope.__inlineRan === true, policies: [...policies] }
  })
}

// ---- first start --------------------------------------------------------------------------------

/** No certificate yet: the welcome card; Settings names missing files by field and keeps nothing of them. */
export async function welcomeAndSettingsErrors(run: DesktopRun): Promise<void> {
  const { page } = run
  await expectWelcome(page)
  await screenshot(page, 'desktop-welcome')
  const dialog = await saveMissingCertificate(page, run.work)
  expect((await value<SettingsView>(page, 'getSettings')).credentials.kind).toBe('auto')
  await screenshot(page, 'desktop-settings-errors')
  await testConnectionThenClose(page, dialog)
}

/** Saves a key passphrase; the page never sees it again. Returns the settings view after saving. */
export async function storePassphrase(run: DesktopRun, passphrase: string): Promise<SettingsView> {
  const { page } = run
  await page.getByTestId('open-settings').click()
  const dialog = page.getByTestId('settings-dialog')
  await dialog.waitFor()
  const field = dialog.locator('#settings-passphrase')
  await field.fill(passphrase)
  await page.getByTestId('settings-save').click()
  await expect.poll(() => field.getAttribute('placeholder')).toContain('stored')
  expect(await field.inputValue()).toBe('')
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'hidden' })
  const view = await value<SettingsView>(page, 'getSettings')
  expect(view.passphraseStored).toBe(true)
  expect(JSON.stringify(view)).not.toContain(passphrase)
  expect(await page.content()).not.toContain(passphrase)
  return view
}

/**
 * Start demo: its first run (replaying the demo's history) shows live progress; Cancel stops it;
 * Update all finishes it. Everything the window shows here came from main as events.
 */
export async function startDemoCancelThenFinish(run: DesktopRun): Promise<AppStatus> {
  const { page } = run
  await page.getByTestId('start-demo').click()
  await page.getByTestId('demo-badge').waitFor({ timeout: 60_000 })
  await page.getByTestId('update-progress').waitFor({ timeout: 30_000 })
  await page.getByTestId('update-cancel').click()
  await page.getByTestId('update-result').waitFor({ timeout: 30_000 })
  expect(await page.getByTestId('updater').getAttribute('data-state')).toBe('cancelled')
  expect(await page.getByTestId('update-result').innerText()).toMatch(/Update all: cancelled/)

  await page.getByTestId('update-all').click()
  await page.getByTestId('update-progress').waitFor({ timeout: 30_000 })
  await expect.poll(() => page.getByTestId('updater').getAttribute('data-state'), { timeout: 120_000 }).toBe('done')
  await expect.poll(() => page.getByTestId('demo-badge').innerText()).toMatch(/step \d+\/\d+/)
  const status = await value<AppStatus>(page, 'getStatus')
  expect(status.mode).toBe('demo')
  expect(status.store.workflows).toBeGreaterThan(0)
  // The header learnt of the new workflows from a statusChanged event, not by asking.
  await expect.poll(() => page.locator('header').innerText()).toContain(`${status.store.workflows} workflows`)
  await screenshot(page, 'desktop-demo')
  return status
}

// ---- the dashboard ------------------------------------------------------------------------------

/** Lists everything, follows a PrepID link; the rows are those main finds for it. */
export async function searchAndFollowPrepId(run: DesktopRun): Promise<void> {
  const { page } = run
  await page.getByTestId('view-search').click()
  await page.getByTestId('search').fill('')
  await page.getByTestId('search').press('Enter')
  await page.getByTestId('workflow-row').first().waitFor()
  const link = page.getByTestId('workflow-row').first().locator('a.search-link[href*="field=prepid"]').first()
  const prepId = (await link.innerText()).trim()
  await link.click()
  await expect.poll(() => decodeURIComponent(new URL(page.url()).hash)).toContain('field=prepid')
  await page.getByTestId('search-summary').filter({ hasText: prepId.slice(0, 30) }).waitFor()
  const expected = await value<SearchRowsResult>(page, 'search', { text: prepId, field: 'prepid' })
  await expect.poll(async () => (await rowNames(page)).sort().join(',')).toBe(expected.rows.map((row) => row.name).sort().slice(0, 50).join(','))
  await screenshot(page, 'desktop-search')
}

/** A listed workflow's document, found through the page's IPC: the first that `wanted` accepts. */
async function findWorkflow(page: Page, what: string, wanted: (doc: WorkflowDoc) => boolean): Promise<WorkflowDoc> {
  let seen = 0
  for (let pageNumber = 0; ; pageNumber++) {
    const found = await value<SearchRowsResult>(page, 'search', { text: '', page: pageNumber })
    for (const row of found.rows) {
      const doc = await value<WorkflowDoc>(page, 'getWorkflow', { name: row.name })
      seen += 1
      if (wanted(doc)) return doc
    }
    if (found.rows.length === 0 || (pageNumber + 1) * found.pageSize >= found.total) throw new Error(`no ${what} among the ${seen} of ${found.total} stored workflows`)
  }
}

/** The workflow panel: its chart draws the stored history, and its CMS links open in the browser. */
export async function workflowPanelAndLink(run: DesktopRun, recorder: DesktopRecorder): Promise<void> {
  const { page } = run
  const doc = await findWorkflow(page, 'event-based workflow with a history', (d) => d.EventNumberHistory.length >= 2 && d.TotalEvents > 0 && !usesLumis(d))
  await searchFor(page, doc._id, 'workflow')
  await expectChartOf(await openFirstWorkflow(page), doc)
  await screenshot(page, 'desktop-workflow-chart')

  const link = page.getByTestId('detail-panel').locator('a.external-link').first()
  const href = await link.getAttribute('href')
  expect(href).toMatch(/^https:\/\/cmsweb/)
  await link.click()
  await expect.poll(() => recorder.openedExternal()).toContain(new URL(href!).href)
  await page.getByTestId('detail-close').click()
}

/** Three workflows selected and updated with one click: an outcome for each, from main's progress events. */
export async function updateSelected(run: DesktopRun): Promise<void> {
  const { page } = run
  await page.getByTestId('view-search').click()
  await page.getByTestId('search').fill('')
  await page.getByTestId('search').press('Enter')
  await page.getByTestId('workflow-row').nth(2).waitFor()
  const names = (await rowNames(page)).slice(0, 3)
  for (const name of names) await page.locator(`[data-testid="workflow-row"][data-name="${name}"] [data-testid="workflow-select"]`).check()
  await page.getByTestId('update-selected').click()
  await expect.poll(() => page.getByTestId('update-result').innerText(), { timeout: 60_000 }).toMatch(/Update selected: finished/)
  const state = await value<UpdaterState>(page, 'getUpdaterState')
  expect(state).toMatchObject({ state: 'done', scope: 'names' })
  expect(state.workflows?.map((w) => w.name).sort()).toEqual([...names].sort())
  for (const name of names) {
    const badge = page.locator(`[data-testid="workflow-row"][data-name="${name}"] [data-testid="workflow-progress"]`)
    await expect.poll(() => badge.getAttribute('data-outcome')).toMatch(/^(written|unchanged|history-added)$/)
  }
  await screenshot(page, 'desktop-update-selected')
}

/**
 * Pins a running workflow that has not moved for hours, sets "stalled after" to 1 h and updates the
 * watchlist: main raises "Progress stalled" through the desktop's notifications; the Watchlist view
 * lists it; clicking the notification brings the window forward. Then unpins it.
 */
export async function pinAndNotify(run: DesktopRun, recorder: DesktopRecorder): Promise<string> {
  const { page } = run
  const now = Date.now() / 1000
  const doc = await findWorkflow(page, 'running workflow without new events for hours', (d) => {
    const status = currentStatus(d)
    const since = Math.max(newestEntry(d.EventNumberHistory)?.Time ?? 0, status?.time ?? 0)
    return (RUNNING_STATUSES as readonly string[]).includes(status?.status ?? '') && now - since > 3 * 3600
  })
  const name = doc._id
  await searchFor(page, name, 'workflow')
  const pin = page.locator(`[data-testid="workflow-row"][data-name="${name}"] [data-testid="pin"]`)
  await pin.click()
  await expect.poll(() => pin.getAttribute('aria-pressed')).toBe('true')

  await page.getByTestId('view-watchlist').click()
  await page.getByTestId('watchlist-view').waitFor()
  await expect.poll(() => page.getByTestId('watch-item').count()).toBe(1)
  await page.getByTestId('stall-hours').fill('1')
  await page.getByTestId('stall-hours').press('Tab')
  await expect.poll(async () => (await value<WatchlistView>(page, 'getWatchlist')).stallHours).toBe(1)

  const before = (await recorder.notifications()).length
  // The window's own notice comes from main's watchNotifications event (it shows a few seconds).
  const notice = page.locator('.notices .notice', { hasText: `Progress stalled: ${name}` }).waitFor({ timeout: 60_000 })
  await page.getByTestId('update-watchlist').click()
  await expect.poll(async () => (await recorder.notifications()).slice(before), { timeout: 60_000 }).toContainEqual({
    title: 'Stats2: Progress stalled', body: expect.stringContaining(name) as unknown as string
  })
  await notice
  await page.locator('[data-testid="watch-event"][data-kind="stalled"]').first().waitFor()
  await screenshot(page, 'desktop-watchlist')

  const focusBefore = await recorder.focusRequests()
  const index = (await recorder.notifications()).findIndex((shown, i) => i >= before && shown.title === 'Stats2: Progress stalled')
  await recorder.clickNotification(index)
  await expect.poll(() => recorder.focusRequests()).toBeGreaterThan(focusBefore)

  await page.locator(`[data-testid="watch-item"][data-value="${name}"] [data-testid="pin"]`).click()
  await page.getByTestId('watchlist-empty').waitFor()
  return name
}

// ---- what only the desktop has -------------------------------------------------------------------

async function clickMenu(run: DesktopRun, menu: string, item: string): Promise<void> {
  await run.app.evaluate(({ Menu }, [top, label]) => {
    const entry = Menu.getApplicationMenu()!.items.find((candidate) => candidate.label === top)!
    entry.submenu!.items.find((candidate) => candidate.label === label)!.click()
  }, [menu, item] as const)
}

/** Help → About, Copy diagnostics (never a secret), Open data folder. */
export async function menuActions(run: DesktopRun, recorder: DesktopRecorder, secret: string): Promise<string> {
  const menu = await run.app.evaluate(({ Menu }) =>
    Menu.getApplicationMenu()!.items.map((item) => ({ label: item.label, items: item.submenu?.items.map((entry) => entry.label || entry.role || '') ?? [] }))
  )
  expect(menu.map((item) => item.label)).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Window', 'Help']))
  expect(menu.find((item) => item.label === 'Help')!.items).toEqual(expect.arrayContaining(['Open data folder', 'Copy diagnostics', 'About Stats2']))

  await clickMenu(run, 'Help', 'About Stats2')
  await expect.poll(async () => (await recorder.dialogs()).map((d) => d.title)).toContain('About Stats2')
  const about = (await recorder.dialogs()).find((d) => d.title === 'About Stats2')!
  expect(about.detail).toMatch(/^Stats2 \d+\.\d+\.\d+\nElectron \d+\.\d+\.\d+/)
  expect(about.detail).toMatch(/\nChromium \d+\.\d+/)

  await run.app.evaluate(({ clipboard }) => clipboard.writeText(''))
  await clickMenu(run, 'Help', 'Copy diagnostics')
  await expect.poll(() => run.app.evaluate(({ clipboard }) => clipboard.readText()), { timeout: 30_000 }).toContain('Stats2 ')
  const diagnostics = await run.app.evaluate(({ clipboard }) => clipboard.readText())
  expect(diagnostics).toContain('Mode: demo')
  expect(diagnostics).toContain(`Data folder: ${run.dataDir}`)
  expect(diagnostics).not.toContain(secret)
  expect(diagnostics).not.toMatch(/PRIVATE KEY|password/i)
  await expect.poll(async () => (await recorder.dialogs()).map((d) => d.title)).toContain('Copy diagnostics')

  await clickMenu(run, 'Help', 'Open data folder')
  await expect.poll(() => recorder.openedPaths()).toContain(run.dataDir)
  return diagnostics
}

/** No navigation away, no new windows; an allow-listed window.open goes to the browser, nothing else does. */
export async function refuseNavigationAndPopups(run: DesktopRun, recorder: DesktopRecorder): Promise<void> {
  const { app, page } = run
  const appUrl = page.url()
  for (const target of ['https://evil.example/', 'file:///etc/passwd']) {
    await page.evaluate((url) => {
      ;(globalThis as unknown as PageDom).location.href = url
    }, target)
    await logged(run, new RegExp(`navigation blocked: ${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`))
    expect(page.url()).toBe(appUrl)
  }
  expect((await ipc<AppStatus>(page, 'getStatus')).ok).toBe(true)

  await page.evaluate(() => void (globalThis as unknown as PageDom).open('https://evil.example/popup'))
  await logged(run, /window\.open blocked: https:\/\/evil\.example\/popup/)
  const allowed = 'https://cmsweb.cern.ch/reqmgr2/fetch?rid=desktop-check'
  await page.evaluate((url) => void (globalThis as unknown as PageDom).open(url), allowed)
  await expect.poll(() => recorder.openedExternal()).toContain(allowed)
  await expect.poll(() => app.windows().length).toBe(1)
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)

  expect(await ipc(page, 'openExternal', { url: 'https://evil.example/' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  expect((await recorder.openedExternal()).filter((url) => url.includes('evil.example'))).toEqual([])
}

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export async function setWindowBounds(run: DesktopRun, bounds: Rect): Promise<Rect> {
  await run.app.evaluate(({ BrowserWindow }, wanted) => BrowserWindow.getAllWindows()[0]!.setBounds(wanted), bounds)
  return windowBounds(run)
}

export function windowBounds(run: DesktopRun): Promise<Rect> {
  return run.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.getNormalBounds())
}

/**
 * The demo moving on by itself (the app started with a short `--demo-step-ms`): started from the
 * page (a small one, `workflows`), its steps advance in the badge and each step's update reaches
 * the window, all pushed by main.
 */
export async function demoStepsLive(run: DesktopRun, workflows: number, steps: number): Promise<void> {
  const { page } = run
  // The window's controls did not start this demo: it learns of it from main's statusChanged event,
  // while the demo's first run still goes (not from its own refresh when that run ends).
  const badgeWhile = page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const { document, MutationObserver } = globalThis as unknown as PageDom
        const seen = (): boolean => {
          if (!document.querySelector('[data-testid="demo-badge"]')) return false
          resolve(document.querySelector('[data-testid="updater"]')?.getAttribute('data-state') ?? 'no update shown')
          return true
        }
        if (seen()) return
        const observer = new MutationObserver(() => {
          if (seen()) observer.disconnect()
        })
        observer.observe(document.body, { childList: true, subtree: true })
      })
  )
  expect(await ipc(page, 'startDemo', { workflows })).toMatchObject({ ok: true, value: { mode: 'demo' } })
  expect(await badgeWhile).toBe('running')
  const step = async (): Promise<number> => Number(/step (\d+)\//.exec(await page.getByTestId('demo-badge').innerText())?.[1] ?? -1)
  // The first run replays the demo's history; the live steps come after it.
  await expect.poll(() => page.getByTestId('update-result').count(), { timeout: 120_000 }).toBe(1)
  const first = await step()
  await expect.poll(step, { timeout: 120_000 }).toBeGreaterThanOrEqual(first + steps)
  await expect.poll(() => page.getByTestId('update-result').innerText(), { timeout: 60_000 }).toMatch(/Update all: finished/)
  await screenshot(page, 'desktop-demo-live')
}

/** Quits as the operator does (app.quit, as File → Quit): the store released and every process gone. */
export async function quitCleanly(run: DesktopRun): Promise<number | null> {
  const child = run.app.process()
  const processes = processTree(child.pid!)
  expect(processes.length, 'the app and its Chromium processes').toBeGreaterThan(1)
  expect(existsSync(join(run.dataDir, 'stats2.lock')), 'the embedded store is open before quitting').toBe(true)
  await run.app.close()
  await expect.poll(() => child.exitCode !== null || child.signalCode !== null).toBe(true)
  expect(existsSync(join(run.dataDir, 'stats2.lock')), 'the embedded store released').toBe(false)
  await expect.poll(() => stillRunning(processes), { message: 'processes left behind' }).toEqual([])
  return child.exitCode
}
