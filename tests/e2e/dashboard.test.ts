/**
 * The dashboard end to end in Debian's Chromium: the built renderer, served by the browser-mode
 * bridge, answered by the real main-process handlers over a demo store fed by the cmsweb simulator.
 * Every state reached is axe-checked and photographed in the light and the dark theme (a11y.ts).
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { jobFinished, startHarness, type Harness } from './harness'
import { auditThemes, setTheme } from './a11y'
import { workflowSeries } from '../../src/shared/rules/series'
import { expectChartOf, openFirstWorkflow, rowNames as rowNamesOf, screenshot, searchFor } from './steps'
import { usesLumis } from '../../src/shared/rules/completion'
import { groupDigits } from '../../src/shared/rules/size'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let h: Harness
let page: Page

const search = (text: string, field = 'any'): Promise<void> => searchFor(page, text, field)
const rowNames = (): Promise<string[]> => rowNamesOf(page)
const shot = (name: string): Promise<void> => screenshot(page, name)

beforeAll(async () => {
  h = await startHarness({ demoWorkflows: 120 })
  page = h.page
  await page.goto(h.bridge.openUrl)
  await page.getByTestId('demo-badge').waitFor()
}, 120_000)

afterAll(async () => {
  await h?.close()
})

describe('dashboard in Chromium', () => {
  it('searches a campaign and lists its workflows with completion bars', async () => {
    const store = await h.core.activeStore()
    const [first] = (await store.listNames({ limit: 1 })).names
    expect(first).toBeDefined()
    const doc = (await store.getWorkflow(first!))!
    const campaign = String(doc.Campaigns[0])
    const expected = await h.core.search({ text: campaign })
    await search(campaign)
    await expect.poll(() => page.getByTestId('search-summary').innerText()).toContain(String(expected.total))
    const names = await rowNames()
    expect(names.length).toBeGreaterThan(0)
    const expectedNames = new Set(expected.rows.map((row) => row.name))
    for (const name of names) expect(expectedNames.has(name)).toBe(true)
    expect(await page.locator('[data-testid="workflow-row"] [data-testid="dataset-line"]').count()).toBeGreaterThan(0)
    await shot('search-results')
    // The summed chart above the list (shown by default), then its table alternative.
    await expect.poll(() => page.getByTestId('search-chart').getAttribute('data-series')).toBeTruthy()
    await auditThemes(page, 'result-list-summed-chart')
    const toggle = page.locator('#search-chart-section').getByTestId('chart-table-toggle')
    await toggle.click()
    const table = page.locator('#search-chart-section').getByTestId('chart-table')
    await table.waitFor()
    expect(await toggle.getAttribute('aria-expanded')).toBe('true')
    expect(await table.locator('thead th').allInnerTexts()).toEqual(['Day (UTC)', 'VALID (done)', 'PRODUCTION (produced)', 'INVALID / DELETED', 'Other types'])
    expect(await table.locator('tbody tr').count()).toBeGreaterThan(0)
    await auditThemes(page, 'summed-chart-table', { include: '#search-chart-section' })
    await toggle.click()
  })

  it('follows an attribute link: a PrepID lists the workflows sharing it', async () => {
    const firstRow = page.getByTestId('workflow-row').first()
    const link = firstRow.locator('a.search-link[href*="field=prepid"]').first()
    const prepId = (await link.innerText()).trim()
    await link.click()
    await expect.poll(() => decodeURIComponent(new URL(page.url()).hash)).toContain('field=prepid')
    const expected = await h.core.search({ text: prepId, field: 'prepid' })
    await expect.poll(async () => (await rowNames()).sort().join(',')).toBe(expected.rows.map((row) => row.name).sort().slice(0, 50).join(','))
  })

  it('selects three workflows and updates them with one click: their documents change in the store', async () => {
    const demo = h.core.demoSession!
    const store = await h.core.activeStore()
    demo.sim.advance()
    const next = demo.scenario.steps[demo.sim.step]!.reqmgr2
    // A campaign with three listed workflows that change at the new step.
    const campaigns = new Set<string>()
    for await (const docs of store.allWorkflows()) for (const doc of docs) campaigns.add(String(doc.Campaigns[0]))
    let chosen: { campaign: string; names: string[]; before: WorkflowDoc[] } | undefined
    for (const campaign of campaigns) {
      const result = await h.core.search({ text: campaign, field: 'campaign' })
      const listed = [...(await store.getWorkflows(result.rows.slice(0, 6).map((row) => row.name))).values()]
      const changes = (doc: WorkflowDoc): boolean => {
        const raw = next.get(doc._id) as { RequestTransition?: Array<{ Status: string }> } | undefined
        return Boolean(raw) && raw!.RequestTransition!.length !== doc.RequestTransition.length
      }
      // Among the first rows, which the virtual list renders.
      const firstThree = listed.filter(changes).slice(0, 3)
      if (firstThree.length === 3) {
        chosen = { campaign, names: firstThree.map((d) => d._id), before: firstThree }
        break
      }
    }
    expect(chosen, 'a campaign whose first workflows change at the next step').toBeDefined()
    await search(chosen!.campaign, 'campaign')
    await expect.poll(async () => (await rowNames()).filter((name) => chosen!.names.includes(name))).toEqual(chosen!.names)
    for (const name of chosen!.names) await page.locator(`[data-testid="workflow-row"][data-name="${name}"] [data-testid="workflow-select"]`).check()
    await page.getByTestId('update-selected').click()
    await expect.poll(() => page.getByTestId('workflow-progress').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3)
    await jobFinished(h.core)
    const state = h.core.job.state()
    expect(state).toMatchObject({ state: 'done', scope: 'names' })
    expect(state.workflows?.map((w) => w.name).sort()).toEqual([...chosen!.names].sort())
    for (const before of chosen!.before) {
      const after = (await store.getWorkflow(before._id))!
      expect(after._rev).not.toBe(before._rev)
      const raw = next.get(before._id) as { RequestTransition: Array<{ Status: string; UpdateTime: number }> }
      expect(after.RequestTransition).toEqual(raw.RequestTransition.map(({ Status, UpdateTime }) => ({ Status, UpdateTime })))
    }
    // Written, then possibly a new history entry on top (the badge shows the latest outcome).
    await expect.poll(() => page.locator('[data-testid="workflow-progress"]:is([data-outcome="written"], [data-outcome="history-added"])').count()).toBeGreaterThanOrEqual(1)
    await shot('update-selected')
  })

  it('updates everything with a progress bar and a final report', async () => {
    h.core.demoSession!.sim.advance()
    const before = (await h.core.activeStore()).getSettings()
    await page.getByTestId('update-all').click()
    await page.getByTestId('update-progress').waitFor({ timeout: 10_000 })
    await jobFinished(h.core)
    await page.getByTestId('update-result').waitFor({ timeout: 10_000 })
    await auditThemes(page, 'update-result', { include: '[data-testid="updater"]' })
    await page.getByTestId('update-report-open').click()
    await page.getByTestId('update-report').waitFor()
    await auditThemes(page, 'report-dialog', { include: '[data-testid="update-report"]' })
    await page.keyboard.press('Escape')
    await page.getByTestId('update-report').waitFor({ state: 'hidden' })
    // Back where it was opened from.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute('data-testid'))).toBe('update-report-open')
    const settings = await (await h.core.activeStore()).getSettings()
    expect(settings.last_reqmgr_sequence).not.toEqual((await before).last_reqmgr_sequence)
    expect(h.core.job.state().report?.changed).toBeGreaterThan(0)
    await shot('update-all')
  })

  it('lists the workflows an update could not fetch in a dialog that passes axe in both themes', async () => {
    const missing = 'pdmvserv_task_NOT-IN-REQMGR2-00001_v1_T_000000_000000_0000'
    h.core.startUpdate({ kind: 'names', names: [missing] })
    await jobFinished(h.core)
    await expect.poll(async () => (await h.core.status()).failed.map((failure) => failure.name)).toContain(missing)
    const failed = page.getByTestId('failed-count')
    await failed.waitFor({ timeout: 15_000 })
    await failed.click()
    const dialog = page.getByTestId('failed-dialog')
    await dialog.getByTestId('failure-list').filter({ hasText: missing }).waitFor()
    await auditThemes(page, 'failed-dialog', { include: '[data-testid="failed-dialog"]' })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
  })

  it('charts a workflow: one line per output dataset matching the stored history, plus the expected total', async () => {
    const store = await h.core.activeStore()
    let doc: WorkflowDoc | undefined
    for await (const docs of store.allWorkflows()) {
      // Event based: the expected line of a lumi-based workflow is its lumis, not TotalEvents.
      doc = docs.find((d) => d.EventNumberHistory.length >= 2 && d.TotalEvents > 0 && !usesLumis(d))
      if (doc) break
    }
    expect(doc).toBeDefined()
    // A search that finds one workflow asks main for its chart before anything is clicked (main keeps it in the chart cache).
    const prefetch = page.waitForRequest((request) => request.url().endsWith('/api/getWorkflowChart') && request.postData()?.includes(doc!._id) === true)
    await search(doc!._id)
    await page.getByTestId('workflow-row').first().waitFor()
    await prefetch
    const canvas = await openFirstWorkflow(page)
    await expectChartOf(canvas, doc!)
    await shot('workflow-chart')
    const series = workflowSeries(doc!)
    // The canvas says what it draws; the chart follows the theme (its background is the dark token's).
    expect(await canvas.getAttribute('aria-label')).toMatch(/^Events over time per output dataset of .*Latest: /)
    const corner = async (): Promise<number[]> => canvas.evaluate((element) => [...(element as unknown as { getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: number[] } } }).getContext('2d').getImageData(1, 1, 1, 1).data].slice(0, 3))
    expect(await corner()).toEqual([255, 255, 255])
    await setTheme(page, 'dark')
    await expect.poll(corner).toEqual([0x18, 0x1d, 0x24])
    await setTheme(page, 'light')
    await expect.poll(corner).toEqual([255, 255, 255])
    await auditThemes(page, 'workflow-chart')
    const panel = page.getByTestId('detail-panel')
    await panel.getByTestId('chart-table-toggle').click()
    const table = panel.getByTestId('chart-table')
    await table.waitFor()
    // One column per output dataset; the newest day's values are the last stored ones.
    const charted = series.datasets.filter((dataset) => dataset.points.length > 0)
    expect(await table.locator('thead th').count()).toBe(1 + charted.length)
    const newest = await table.locator('tbody tr').first().locator('td').allInnerTexts()
    expect(newest).toEqual(charted.map((dataset) => groupDigits(dataset.points[dataset.points.length - 1]!.v)))
    await auditThemes(page, 'workflow-chart-table', { include: '[data-testid="detail-panel"]' })
    await panel.getByTestId('tab-history').click()
    await panel.getByTestId('history-table').waitFor()
    await auditThemes(page, 'history-tab', { include: '[data-testid="detail-panel"]' })
    await panel.getByTestId('tab-json').click()
    await panel.getByTestId('raw-json').waitFor()
    await auditThemes(page, 'raw-json-tab', { include: '[data-testid="detail-panel"]' })
    await page.getByTestId('detail-close').click()
  })

  it('exports the search as the Markdown table of the old Stats2', async () => {
    const store = await h.core.activeStore()
    const [name] = (await store.listNames({ limit: 1 })).names
    const doc = (await store.getWorkflow(name!))!
    const campaign = String(doc.Campaigns[0])
    await search(campaign)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-markdown').click()])
    const content = await readFile((await download.path())!, 'utf8')
    const expected = await h.core.exportSearch(campaign, undefined, 'markdown')
    expect(download.suggestedFilename()).toBe(expected.filename)
    expect(content).toBe(expected.content)
    expect(content.split('\n')[0]).toBe('| RequestName | InputDataset | OutputDatasets |')
  })

  it('says clearly what is wrong with a bad search (quotes, 5 kB of text) instead of failing', async () => {
    await search('"HIG-Run3Summer22-00001"')
    await expect.poll(async () => (await page.getByTestId('empty-result').count()) + (await page.getByTestId('search-error').count())).toBeGreaterThan(0)
    const huge = 'x'.repeat(5000)
    await page.getByTestId('search').fill(huge)
    await page.getByTestId('search').press('Enter')
    const alert = page.getByTestId('search-error')
    await alert.waitFor()
    expect(await alert.innerText()).toMatch(/500 characters/)
    await shot('bad-search')
    expect(h.pageErrors).toEqual([])
  })
})
