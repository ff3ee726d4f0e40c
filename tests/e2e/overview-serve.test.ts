/**
 * The Overview in `stats2 serve`'s read-only dashboard, in Debian's Chromium: the same views over
 * the service's store, no update control and no watchlist, documents that do not fit the schema
 * counted and named, and "since my last look" kept by the browser (localStorage) across a reload.
 * Each state in both themes, axe clean; screenshots to test-results/screenshots/overview-serve-*.png.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { loadConfig } from '../../src/main/config/config'
import { OverviewService } from '../../src/main/overview/service'
import type { OverviewLook } from '../../src/shared/overview/types'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { overviewDoc } from '../../bench/overview'
import { serveStore, type ServiceUnderTest } from '../serve/helpers'
import { expectNoSeriousA11yViolations, setTheme, settled, THEMES } from './a11y'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from './harness'

let work: string
let store: CouchStore
let served: ServiceUnderTest
let browser: Browser
let page: Page
const problems: string[] = []
const NOW = Math.floor(Date.now() / 1000)

/** The whole view (the window made tall enough for the scrolling pane to show everything), and each section alone. */
async function shot(name: string): Promise<void> {
  const size = page.viewportSize()!
  const height = await page.locator('.results-pane').evaluateAll((panes) => Math.max(...panes.map((pane) => pane.scrollHeight)))
  await page.setViewportSize({ width: size.width, height: Math.min(6000, Math.max(size.height, height + 200)) })
  await settled(page)
  await page.screenshot({ path: join(ARTIFACTS, `overview-serve-${name}.png`) })
  const sections = page.locator('.overview-section')
  for (let i = 0; i < (await sections.count()); i++) {
    const box = await sections.nth(i).boundingBox()
    const id = (await sections.nth(i).locator('h2').first().getAttribute('id'))?.replace('overview-', '') ?? String(i)
    if (box) await page.screenshot({ path: join(ARTIFACTS, `overview-serve-${name}-${id}.png`), clip: box })
  }
  await page.setViewportSize(size)
}

/** The state on screen in both themes: screenshots of each, and axe finds nothing serious or critical. */
async function audit(state: string): Promise<void> {
  for (const theme of THEMES) {
    await setTheme(page, theme)
    await shot(`${state}-${theme}`)
    await expectNoSeriousA11yViolations(page, `overview-serve-${state} (${theme})`)
  }
  await setTheme(page, 'light')
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-overview-serve-'))
  store = await CouchStore.open({ dataDir: work }, { inMemory: true })
  const odd = [
    { ...overviewDoc(9001, NOW), _id: 'odd_history', EventNumberHistory: 'lost' },
    { ...overviewDoc(9002, NOW), _id: 'odd_transitions', RequestTransition: [{ Status: 7 }] }
  ] as unknown as WorkflowDoc[]
  expect((await store.saveWorkflows([...Array.from({ length: 400 }, (_, i) => overviewDoc(i, NOW)), ...odd])).every((result) => result.ok)).toBe(true)
  const server = store.embeddedServer!
  const env = { HOME: work, DB_URL: server.url }
  served = await serveStore(store, loadConfig(env), env)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage()
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text())
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await served?.close()
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

describe('the Overview in the served read-only dashboard', () => {
  it('shows the overview with no update control and no watchlist, and counts what is not readable', async () => {
    await page.goto(`${served.origin}/stats/dashboard/#overview`)
    await page.getByTestId('board-by-status').waitFor()
    expect(await page.getByTestId('since-first-look').isVisible()).toBe(true)
    expect(await page.getByTestId('overview-kind').locator('option').allInnerTexts()).not.toContain('The watchlist')
    expect(await page.getByTestId('overview-not-readable').innerText()).toMatch(/^2 not readable:.*odd_history.*odd_transitions/s)
    await audit('overview')
    await page.getByTestId('board-by-status').locator('tbody button').first().click()
    await page.getByTestId('overview-drill').waitFor()
    await page.getByTestId('results-list').waitFor()
    expect(await page.getByRole('button', { name: /Update selected/ }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /Select this page/ }).count()).toBe(0)
    await audit('drill')
    await page.keyboard.press('Escape')
    await page.getByTestId('board-by-status').waitFor()
    expect(problems).toEqual([])
  })

  it('keeps the last look in the browser and lists what changed since, after a reload', async () => {
    const kept = JSON.parse((await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem('stats2.overviewLook')))!) as OverviewLook
    expect(kept.time).toBeGreaterThan(NOW - 120)
    // A workflow moves on after that look: the next visit lists it.
    const name = overviewDoc(7, NOW)._id
    const doc = (await store.getWorkflow(name))!
    await store.saveWorkflow({ ...doc, RequestTransition: [...doc.RequestTransition, { Status: 'rejected', UpdateTime: kept.time + 30 }] })
    const expected = await new OverviewService(store).overview({ kind: 'all' }, { look: kept })
    expect(expected.sinceLook!.counts.status).toBe(1)
    await page.reload()
    const section = page.getByTestId('since-look')
    await section.waitFor()
    expect(Number(await section.getAttribute('data-total'))).toBe(expected.sinceLook!.total)
    expect(await section.locator('tr[data-kind="status"]').innerText()).toContain(name)
    expect(await page.getByTestId('since-badge').innerText()).toBe(String(expected.sinceLook!.total))
    await audit('since')
    expect(problems).toEqual([])
  })
})
