/**
 * The dashboard end to end in Debian's Chromium: the built renderer, served by the browser-mode
 * bridge, answered by the real main-process handlers over a demo store fed by the cmsweb simulator.
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { jobFinished, startHarness, type Harness } from './harness'
import { expectChartOf, openFirstWorkflow, rowNames as rowNamesOf, screenshot, searchFor } from './steps'
import { usesLumis } from '../../src/shared/rules/completion'
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
    const settings = await (await h.core.activeStore()).getSettings()
    expect(settings.last_reqmgr_sequence).not.toEqual((await before).last_reqmgr_sequence)
    expect(h.core.job.state().report?.changed).toBeGreaterThan(0)
    await shot('update-all')
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
    await expectChartOf(await openFirstWorkflow(page), doc!)
    await shot('workflow-chart')
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
