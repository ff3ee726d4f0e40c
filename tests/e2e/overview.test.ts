/**
 * The Overview tab end to end in Debian's Chromium, over the real bridge, handlers and the demo's
 * cmsweb simulator (desktop mode, as `stats2 ui` serves it): the board, durations and attention
 * drawn from the engine's answer; a keyboard-only walk from the tab to a cell's list and back (Esc);
 * CSV and PNG exports; "since my last look" after a reload. Each state in both themes: axe finds
 * nothing serious or critical (tests/e2e/a11y.ts), and its screenshots go to
 * test-results/screenshots/overview-<state>-<theme>(-<section>).png.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { expectNoSeriousA11yViolations, setTheme, settled, THEMES } from './a11y'
import { ARTIFACTS, jobFinished, startHarness, type Harness } from './harness'
import type { OverviewLook } from '../../src/shared/overview/types'

let h: Harness
let page: Page

/** The whole view (the window made tall enough for the scrolling pane to show everything), and each section alone. */
async function shot(name: string): Promise<void> {
  const size = page.viewportSize()!
  const height = await page.locator('.results-pane').evaluateAll((panes) => Math.max(...panes.map((pane) => pane.scrollHeight)))
  await page.setViewportSize({ width: size.width, height: Math.min(6000, Math.max(size.height, height + 200)) })
  await settled(page)
  await page.screenshot({ path: join(ARTIFACTS, `overview-${name}.png`) })
  const sections = page.locator('.overview-section')
  for (let i = 0; i < (await sections.count()); i++) {
    const box = await sections.nth(i).boundingBox()
    const id = (await sections.nth(i).locator('h2').first().getAttribute('id'))?.replace('overview-', '') ?? String(i)
    if (box) await page.screenshot({ path: join(ARTIFACTS, `overview-${name}-${id}.png`), clip: box })
  }
  await page.setViewportSize(size)
}

/** The state on screen in both themes: screenshots of each, and axe finds nothing serious or critical. */
async function audit(state: string): Promise<void> {
  for (const theme of THEMES) {
    await setTheme(page, theme)
    await shot(`${state}-${theme}`)
    await expectNoSeriousA11yViolations(page, `overview-${state} (${theme})`)
  }
  await setTheme(page, 'light')
}

/** The element that has the keyboard focus, described. */
async function focused(): Promise<{ text: string; tag: string; outline: string; testid: string | null }> {
  return page.locator(':focus').evaluate((element) => ({
    text: (element as unknown as { innerText?: string }).innerText ?? '',
    tag: element.tagName,
    outline: (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string } }).getComputedStyle(element).outlineStyle,
    testid: element.getAttribute('data-testid')
  }))
}

/** Presses Tab until the focus is on an element matching `match` (at most `limit` times). */
async function tabTo(match: (f: Awaited<ReturnType<typeof focused>>) => boolean, limit = 80): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab')
    if (match(await focused())) return
  }
  throw new Error(`Tab never reached the element (last: ${JSON.stringify(await focused())})`)
}

beforeAll(async () => {
  h = await startHarness({ demoWorkflows: 150 })
  page = h.page
  await page.goto(h.bridge.openUrl)
  await page.getByTestId('demo-badge').waitFor()
}, 180_000)

afterAll(async () => {
  await h?.close()
})

describe('the Overview tab in Chromium (desktop mode)', () => {
  it('draws the board, durations and attention of the engine\'s answer', async () => {
    await page.getByTestId('view-overview').click()
    await page.getByTestId('overview-view').waitFor()
    await page.getByTestId('board-by-status').waitFor()
    const view = await h.core.overview({ kind: 'all' })
    const rows = await page.getByTestId('board-by-status').locator('tbody tr th').allInnerTexts()
    expect(rows).toEqual(view.board.statuses)
    const chart = JSON.parse((await page.getByTestId('board-chart').getAttribute('data-series'))!) as { labels: string[]; values: number[] }
    expect(chart).toEqual({ labels: view.board.statuses, values: view.board.statuses.map((status) => view.board.byStatus[status]!.workflows) })
    expect(await page.getByTestId('durations-table').locator('tbody tr').count()).toBe(view.durations.pairs.length)
    expect(await page.getByTestId('slow-tail').locator('tbody tr').count()).toBe(view.slowest.length)
    expect(h.pageErrors).toEqual([])
    await page.locator('details.chart-table summary').first().click()
    await audit('desktop')
  })

  it('walks from the tab to a cell\'s list and back with the keyboard only, focus always visible', async () => {
    await page.goto(`${h.bridge.openUrl}#watchlist`)
    await page.getByTestId('watchlist-view').waitFor()
    await page.getByTestId('view-overview').focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('board-by-status').waitFor()
    // Into the board: the first status's workflow count, then → ↓ ← move along the grid.
    await tabTo((f) => f.tag === 'BUTTON' && /^\d[\d,]*$/.test(f.text.trim()))
    const first = await focused()
    expect(first.outline).not.toBe('none')
    await page.keyboard.press('ArrowDown')
    const second = await focused()
    expect(second.text).not.toBe('')
    await page.keyboard.press('ArrowUp')
    expect((await focused()).text).toBe(first.text)
    await page.keyboard.press('Enter')
    await page.getByTestId('overview-drill').waitFor()
    expect(page.url()).toMatch(/#overview\?d\.status=/)
    // The list's heading has the focus; its rows are the cell's workflows.
    expect((await focused()).testid).toBe('drill-title')
    await page.getByTestId('drill-title').filter({ hasText: /^\d/ }).waitFor()
    expect(await page.getByTestId('drill-title').innerText()).toMatch(new RegExp(`^${first.text.trim()} workflows? of every stored workflow, in status `))
    expect(await page.getByTestId('results-list').getAttribute('data-rows')).toBe(first.text.trim().replace(/,/g, ''))
    await audit('drill')
    await page.keyboard.press('Escape')
    await page.getByTestId('board-by-status').waitFor()
    expect(page.url()).toMatch(/#overview$/)
    // A selection chosen from the keyboard: a campaign.
    const campaign = (await h.core.overview({ kind: 'all' })).board.byCampaign[0]!.key
    await page.getByTestId('overview-kind').focus()
    await page.getByTestId('overview-kind').selectOption('campaign')
    await page.getByTestId('overview-value').focus()
    await page.keyboard.type(campaign)
    await page.keyboard.press('Enter')
    await page.waitForURL(new RegExp(`#overview\\?campaign=${encodeURIComponent(campaign)}`))
    await page.getByTestId('overview-stamp').filter({ hasText: `${(await h.core.overview({ kind: 'field', field: 'campaign', value: campaign })).total} workflow` }).waitFor()
    expect(h.pageErrors).toEqual([])
  })

  it('exports each table as CSV and each chart as PNG', async () => {
    await page.goto(`${h.bridge.openUrl}#overview`)
    await page.getByTestId('board-by-status').waitFor()
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV: by status' }).click()])
    const text = await readFile((await csv.path())!, 'utf8')
    expect(text.split('\r\n')[0]).toBe('Status,Workflows,Events,Expected,DonePercent,ETA')
    expect(csv.suggestedFilename()).toMatch(/^stats2-overview-every_stored_workflow-status\.csv$/)
    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('.overview-chart').first().getByRole('button', { name: 'PNG' }).click()])
    expect((await readFile((await png.path())!)).subarray(1, 4).toString()).toBe('PNG')
  })

  it('lists what changed since the last look after a reload, as the core computes it', async () => {
    // The page's first load recorded a look; the demo moves on a step and updates.
    const demo = h.core.demoSession!
    demo.sim.advance()
    h.core.startUpdate({ kind: 'all' }, { triggerProd: false, triggerDev: false })
    await jobFinished(h.core)
    const previous = (JSON.parse(await readFile(join(h.work, 'user-data', 'overview-look.json'), 'utf8')) as { look: OverviewLook }).look
    const expected = await h.core.overview({ kind: 'all' }, previous)
    await page.goto(`${h.bridge.openUrl}#overview`)
    const section = page.getByTestId('since-look')
    await section.waitFor()
    expect(Number(await section.getAttribute('data-total'))).toBe(expected.sinceLook!.total)
    if (expected.sinceLook!.total > 0) expect(await page.getByTestId('since-badge').innerText()).toBe(String(Math.min(999, expected.sinceLook!.total)))
    await audit('since')
  })

  it('draws its charts in the dark theme\'s chart colours', async () => {
    await setTheme(page, 'dark')
    await page.goto(`${h.bridge.openUrl}#overview`)
    await page.getByTestId('board-by-status').waitFor()
    await settled(page)
    // The chart's background is the dark theme's chart surface, not white.
    const corner = await page.getByTestId('board-chart').evaluate((canvas) => {
      const context = (canvas as unknown as { getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: number[] } } }).getContext('2d')
      return [...context.getImageData(1, 1, 1, 1).data]
    })
    expect(corner.slice(0, 3).reduce((sum, value) => sum + value, 0)).toBeLessThan(200)
    await setTheme(page, 'light')
    expect(h.pageErrors).toEqual([])
  })
})
