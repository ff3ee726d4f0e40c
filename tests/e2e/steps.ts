/**
 * Playwright steps on the dashboard's page, shared by the browser-mode end-to-end tests (the page
 * served by `stats2 ui`'s bridge) and the desktop app's (the same renderer in an Electron window,
 * tests/desktop-app): whatever answers the page, the operator's steps are the same.
 */
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'
import { ARTIFACTS } from '../helpers/chromium'
import { workflowSeries } from '../../src/shared/rules/series'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

export interface DrawnSeries {
  label: string
  data: Array<{ x: number; y: number }>
}

/** Searches from the Search view: field, text, Enter; returns once the summary names the text. */
export async function searchFor(page: Page, text: string, field = 'any'): Promise<void> {
  await page.getByTestId('view-search').click()
  await page.getByTestId('search-field').selectOption(field)
  await page.getByTestId('search').fill(text)
  await page.getByTestId('search').press('Enter')
  await page.getByTestId('search-summary').filter({ hasText: text.slice(0, 30) }).waitFor()
}

/** The workflow names of the rows the list shows. */
export async function rowNames(page: Page): Promise<string[]> {
  return page.getByTestId('workflow-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-name') ?? ''))
}

/** A screenshot of the visible window, kept under test-results/screenshots. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false })
}

/** What a chart canvas drew (the renderer puts its datasets in `data-series` for tests). */
export async function drawnSeries(canvas: Locator): Promise<DrawnSeries[]> {
  await expect.poll(() => canvas.getAttribute('data-series')).toBeTruthy()
  return JSON.parse((await canvas.getAttribute('data-series'))!) as DrawnSeries[]
}

/** Opens the detail panel of the first listed workflow; returns its history chart. */
export async function openFirstWorkflow(page: Page): Promise<Locator> {
  await page.getByTestId('workflow-row').first().locator('button.workflow-name').click()
  await page.getByTestId('detail-panel').waitFor()
  const canvas = page.getByTestId('history-chart')
  await canvas.waitFor()
  return canvas
}

/**
 * The open workflow's chart against its stored document: one line per output dataset with the
 * document's history, and the expected total as a flat line.
 */
export async function expectChartOf(canvas: Locator, doc: WorkflowDoc): Promise<void> {
  const drawn = await drawnSeries(canvas)
  for (const dataset of workflowSeries(doc).datasets) {
    const line = drawn.find((d) => d.label === dataset.dataset)
    expect(line, dataset.dataset).toBeDefined()
    expect(line!.data).toEqual(dataset.points.map((p) => ({ x: p.t, y: p.v })))
  }
  expect(drawn.find((d) => d.data.every((p) => p.y === doc.TotalEvents)), 'the expected-total line').toBeDefined()
  const box = await canvas.boundingBox()
  expect(box!.width).toBeGreaterThan(300)
}

/** The welcome card of an operator without a certificate. */
export async function expectWelcome(page: Page): Promise<void> {
  const welcome = page.getByTestId('welcome')
  await welcome.waitFor()
  expect(await welcome.innerText()).toMatch(/certificate/i)
}

/**
 * Settings → a certificate and key that do not exist (in `folder`) → Save: each is named at its
 * field. Returns the dialog, still open.
 */
export async function saveMissingCertificate(page: Page, folder: string): Promise<Locator> {
  await page.getByTestId('open-settings').click()
  const dialog = page.getByTestId('settings-dialog')
  await dialog.waitFor()
  await dialog.locator('input[name="credential-kind"][value="pem"]').check()
  await dialog.locator('#settings-certPath').fill(join(folder, 'nowhere', 'usercert.pem'))
  await dialog.locator('#settings-keyPath').fill(join(folder, 'nowhere', 'userkey.pem'))
  await page.getByTestId('settings-save').click()
  const certError = dialog.locator('#settings-certPath-error')
  await certError.waitFor()
  expect(await certError.innerText()).toContain('usercert.pem does not exist')
  expect(await dialog.locator('#settings-keyPath-error').innerText()).toContain('userkey.pem does not exist')
  return dialog
}

/**
 * Test connection in the open Settings dialog: the grid default is named as missing; `whileOpen`
 * (an accessibility audit, say) runs on the checks; then Esc closes the dialog.
 */
export async function testConnectionThenClose(page: Page, dialog: Locator, whileOpen?: () => Promise<void>): Promise<void> {
  await page.getByTestId('test-connection').click()
  const checks = page.getByTestId('connection-checks')
  await checks.waitFor()
  expect(await checks.innerText()).toMatch(/\.globus\/usercert\.pem/)
  await whileOpen?.()
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'hidden' })
}
