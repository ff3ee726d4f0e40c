/**
 * A keyboard-only walk through the dashboard in Chromium (page.keyboard only, no mouse): from the
 * welcome card start the demo, search, move through the results with the arrows, open a workflow
 * with Enter, switch to its history, close it with Esc, open and close the settings, open the
 * watchlist; the focus is checked at every step (visible where it lands, and back where it was).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { ARTIFACTS, jobFinished, startHarness, type Harness } from './harness'

let h: Harness
let page: Page

interface Focused {
  testId: string | null
  tag: string
  role: string | null
  text: string
  /** The result row (data-name) or dialog (data-testid) it is in. */
  row: string | null
  dialog: string | null
  panel: boolean
  /** The outline drawn around it (the visible focus). */
  outline: string
}

async function focused(): Promise<Focused> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { activeElement: HTMLElementLike | null } }).document
    const view = globalThis as unknown as { getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string } }
    interface HTMLElementLike {
      tagName: string
      textContent: string | null
      getAttribute(name: string): string | null
      closest(selector: string): HTMLElementLike | null
    }
    const element = doc.activeElement
    if (!element) return { testId: null, tag: '', role: null, text: '', row: null, dialog: null, panel: false, outline: '' }
    const style = view.getComputedStyle(element)
    return {
      testId: element.getAttribute('data-testid'),
      tag: element.tagName.toLowerCase(),
      role: element.getAttribute('role'),
      text: (element.textContent ?? '').trim().slice(0, 80),
      row: element.closest('[data-testid="workflow-row"]')?.getAttribute('data-name') ?? null,
      dialog: element.closest('dialog')?.getAttribute('data-testid') ?? null,
      panel: element.closest('[data-testid="detail-panel"]') !== null,
      outline: `${style.outlineStyle} ${style.outlineWidth}`
    }
  })
}

/** Presses `key` until `done(focused)` (at most `limit` times); returns what has the focus then. */
async function pressUntil(key: string, done: (f: Focused) => boolean, limit = 60): Promise<Focused> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press(key)
    const now = await focused()
    if (done(now)) return now
  }
  throw new Error(`${key} ×${limit} never reached the expected element; last: ${JSON.stringify(await focused())}`)
}

async function rowNames(): Promise<string[]> {
  return page.getByTestId('workflow-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-name') ?? ''))
}

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await page.goto(h.bridge.openUrl)
  await page.getByTestId('welcome').waitFor()
}, 120_000)

afterAll(async () => {
  await h?.close()
})

describe('the dashboard from the keyboard alone', () => {
  it('starts the demo, searches, walks the results, opens, switches tab, closes, and opens settings and the watchlist', async () => {
    // The first Tab reaches the skip link; Enter on it moves the focus to the main content.
    await page.keyboard.press('Tab')
    expect(await focused()).toMatchObject({ tag: 'a', text: 'Skip to the main content' })
    await page.keyboard.press('Enter')
    expect(await focused()).toMatchObject({ tag: 'main' })
    // From there, the welcome card's Start demo button.
    const start = await pressUntil('Tab', (f) => f.testId === 'start-demo', 10)
    expect(start.outline).toMatch(/^solid [1-9]/)
    await page.keyboard.press('Enter')
    await page.getByTestId('demo-badge').waitFor({ timeout: 60_000 })
    // The first job replays the demo's earlier steps: minutes on a busy machine.
    await jobFinished(h.core, 240_000)

    // "/" focuses the search box; a campaign with a few workflows is typed and sent.
    const store = await h.core.activeStore()
    let campaign: string | undefined
    for await (const docs of store.allWorkflows()) {
      for (const doc of docs) {
        const text = String(doc.Campaigns[0])
        const found = await h.core.search({ text })
        // The second row (opened below) has history entries to show in its History tab.
        const second = found.rows[1] ? await store.getWorkflow(found.rows[1].name) : undefined
        if (found.total >= 4 && found.total <= 30 && (second?.EventNumberHistory.length ?? 0) > 0) campaign = text
        if (campaign) break
      }
      if (campaign) break
    }
    expect(campaign, 'a demo campaign with 4 to 30 workflows, the second with history').toBeDefined()
    await page.keyboard.press('/')
    expect(await focused()).toMatchObject({ testId: 'search', tag: 'input' })
    await page.keyboard.type(campaign!)
    await page.keyboard.press('Enter')
    await page.getByTestId('search-summary').filter({ hasText: campaign! }).waitFor()
    await page.getByTestId('workflow-row').first().waitFor()
    // Every workflow of the page, in order (the list renders only those near the viewport).
    const names = (await h.core.search({ text: campaign! })).rows.map((row) => row.name)
    expect(names.length).toBeGreaterThanOrEqual(4)
    expect(await rowNames()).toEqual(names.slice(0, (await rowNames()).length))

    // Tab into the list: the first row's name.
    const first = await pressUntil('Tab', (f) => f.row !== null && f.tag === 'button' && f.testId === null)
    expect(first.row).toBe(names[0])
    expect(first.outline).toMatch(/^solid [1-9]/)
    // ↓ ↓ ↑: one row at a time, from anywhere in a row to the next row's name.
    // (A row outside the rendered window is scrolled to first: the focus lands a frame or two later.)
    const focusedRow = async (): Promise<string | null> => (await focused()).row
    await page.keyboard.press('ArrowDown')
    await expect.poll(focusedRow).toBe(names[1])
    await page.keyboard.press('ArrowDown')
    await expect.poll(focusedRow).toBe(names[2])
    await page.keyboard.press('ArrowUp')
    await expect.poll(focusedRow).toBe(names[1])
    expect(await focused()).toMatchObject({ tag: 'button', text: names[1] })
    await page.keyboard.press('End')
    await expect.poll(focusedRow).toBe(names[names.length - 1])
    await page.keyboard.press('Home')
    await expect.poll(focusedRow).toBe(names[0])
    await page.keyboard.press('ArrowDown')
    await expect.poll(focusedRow).toBe(names[1])
    await page.screenshot({ path: join(ARTIFACTS, 'keyboard-row-focus.png') })

    // Enter opens it; the focus goes into the panel (its close button).
    await page.keyboard.press('Enter')
    const panel = page.getByTestId('detail-panel')
    await panel.waitFor()
    expect(await panel.getAttribute('aria-label')).toBe(`Workflow ${names[1]}`)
    expect(await focused()).toMatchObject({ testId: 'detail-close', panel: true })
    // Tab reaches the selected tab (one stop for the tab list); → selects and focuses History.
    await panel.getByTestId('tab-chart').waitFor()
    expect(await pressUntil('Tab', (f) => f.role === 'tab')).toMatchObject({ testId: 'tab-chart' })
    await page.keyboard.press('ArrowRight')
    expect(await focused()).toMatchObject({ testId: 'tab-history', role: 'tab' })
    expect(await panel.getByTestId('tab-history').getAttribute('aria-selected')).toBe('true')
    await panel.getByTestId('history-table').waitFor()
    // The history table scrolls by keyboard: its frame is the next stop.
    await page.keyboard.press('Tab')
    expect(await focused()).toMatchObject({ role: 'region', panel: true })
    await page.screenshot({ path: join(ARTIFACTS, 'keyboard-history-focus.png') })

    // Esc closes the panel and gives the focus back to the row that opened it.
    await page.keyboard.press('Escape')
    await panel.waitFor({ state: 'hidden' })
    expect(await focused()).toMatchObject({ row: names[1], text: names[1] })

    // Settings: back up from the search box to the header's Settings button, Enter, and the focus
    // is in the dialog and stays there; Esc closes it and returns the focus to the button.
    await page.keyboard.press('/')
    const settingsButton = await pressUntil('Shift+Tab', (f) => f.testId === 'open-settings', 10)
    expect(settingsButton.outline).toMatch(/^solid [1-9]/)
    await page.keyboard.press('Enter')
    const dialog = page.getByTestId('settings-dialog')
    await dialog.locator('form').waitFor()
    expect((await focused()).dialog).toBe('settings-dialog')
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab')
      expect((await focused()).dialog, `Tab ${i + 1} inside the settings dialog`).toBe('settings-dialog')
    }
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    expect(await focused()).toMatchObject({ testId: 'open-settings' })

    // The watchlist: the view tabs follow the header.
    expect(await pressUntil('Tab', (f) => f.testId === 'view-watchlist', 10)).toMatchObject({ tag: 'button' })
    await page.keyboard.press('Enter')
    await page.getByTestId('watchlist-view').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'keyboard-watchlist.png') })
    expect(h.pageErrors).toEqual([])
  }, 360_000)
})
