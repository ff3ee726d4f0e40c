/**
 * The watchlist end to end in Debian's Chromium, over the real bridge, handlers and the demo's cmsweb
 * simulator: pin a workflow and a PrepID, advance the simulator (`POST /_sim/step`) so the workflow
 * reaches a final status, update the watchlist, and see the Web Notification (permission granted to
 * the page; `window.Notification` is wrapped by an init script that records what is constructed and
 * calls the real API) and the Watchlist view updated. Also the demo's charts: curves from the first
 * minute, and a one-entry chart framed around its entry.
 */
import { Agent, request } from 'undici'
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { jobFinished, startHarness, type Harness } from './harness'
import { auditThemes } from './a11y'
import { drawnSeries, openFirstWorkflow, screenshot, searchFor } from './steps'
import { currentStatus, FINAL_STATUSES } from '../../src/main/watchlist/detect'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let h: Harness
let page: Page

const RECORDER = `(() => {
  const Real = window.Notification
  window.__notifications = []
  window.__permissionRequests = 0
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options)
      window.__notifications.push({ title, body: options && options.body, tag: options && options.tag })
    }
  }
  Recorded.requestPermission = (...args) => {
    window.__permissionRequests += 1
    return Real.requestPermission(...args)
  }
  Object.defineProperty(Recorded, 'permission', { get: () => Real.permission })
  window.Notification = Recorded
})()`

const search = (text: string, field: string): Promise<void> => searchFor(page, text, field)
const shot = (name: string): Promise<void> => screenshot(page, name)

beforeAll(async () => {
  h = await startHarness({ demoWorkflows: 120 })
  page = h.page
  await page.context().grantPermissions(['notifications'], { origin: h.bridge.url })
  await page.addInitScript(RECORDER)
  await page.goto(h.bridge.openUrl)
  await page.getByTestId('demo-badge').waitFor()
}, 180_000)

afterAll(async () => {
  await h?.close()
})

describe('watchlist and notifications in Chromium', () => {
  let target: WorkflowDoc
  let finalStatus: string

  it('pins a workflow from its row and a PrepID from its search; never asks for permission at load', async () => {
    const demo = h.core.demoSession!
    const store = await h.core.activeStore()
    const next = demo.scenario.steps[demo.sim.step + 1]!.reqmgr2
    // A stored workflow that reaches a final status at the next simulated step.
    for await (const docs of store.allWorkflows()) {
      for (const doc of docs) {
        const raw = next.get(doc._id) as { RequestStatus?: string } | undefined
        const now = currentStatus(doc)?.status
        if (raw?.RequestStatus && (FINAL_STATUSES as readonly string[]).includes(raw.RequestStatus) && now !== raw.RequestStatus && doc.PrepID) {
          target = doc
          finalStatus = raw.RequestStatus
          break
        }
      }
      if (target) break
    }
    expect(target, 'a workflow that completes at the next step').toBeDefined()
    expect(await page.evaluate(() => (globalThis as unknown as { __permissionRequests: number }).__permissionRequests)).toBe(0)

    await search(target._id, 'workflow')
    const row = page.locator(`[data-testid="workflow-row"][data-name="${target._id}"]`)
    await row.getByTestId('pin').click()
    await expect.poll(() => row.getByTestId('pin').getAttribute('aria-pressed')).toBe('true')

    await search(target.PrepID!, 'prepid')
    const pinPrepId = page.locator('.results-head [data-testid="pin"]')
    await expect.poll(() => pinPrepId.getAttribute('data-value')).toBe(target.PrepID)
    await pinPrepId.click()
    await expect.poll(() => pinPrepId.getAttribute('aria-pressed')).toBe('true')
    expect(h.core.watch.items()).toEqual([{ kind: 'workflow', value: target._id }, { kind: 'prepid', value: target.PrepID }])
  })

  it('lists the pinned items with their workflows, then notifies when the workflow reaches its final status', async () => {
    await page.getByTestId('view-watchlist').click()
    await page.getByTestId('watchlist-view').waitFor()
    await expect.poll(() => page.getByTestId('watch-item').count()).toBe(2)
    const watched = page.locator(`[data-testid="watch-item"][data-kind="workflow"] [data-testid="watch-workflow"][data-name="${target._id}"]`)
    await watched.waitFor()
    expect(await watched.getAttribute('data-status')).toBe(currentStatus(target)!.status)
    await page.getByTestId('notifications-on').waitFor()

    // The simulator's own control: next step, over HTTPS verified against its CA.
    const demo = h.core.demoSession!
    const dispatcher = new Agent({ connect: { ca: await readFile(demo.sim.tls.caCert) } })
    const step = await request(`${demo.sim.url}/_sim/step`, { method: 'POST', dispatcher })
    expect(step.statusCode).toBe(200)
    expect(((await step.body.json()) as { step: number }).step).toBe(demo.sim.step)
    await dispatcher.close()

    await page.getByTestId('update-watchlist').click()
    await expect.poll(() => h.core.job.state().scope).toBe('names')
    await jobFinished(h.core)
    expect(h.core.job.state().state).toBe('done')
    await expect.poll(() => watched.getAttribute('data-status'), { timeout: 15_000 }).toBe(finalStatus)

    const recorded = async (): Promise<Array<{ title: string; body: string }>> =>
      page.evaluate(() => (globalThis as unknown as { __notifications: Array<{ title: string; body: string }> }).__notifications)
    await expect.poll(async () => (await recorded()).map((n) => n.title), { timeout: 15_000 }).toContain(`Stats2: Workflow ${finalStatus}`)
    const mine = (await recorded()).filter((n) => n.title === `Stats2: Workflow ${finalStatus}`)
    expect(mine.map((n) => n.body)).toContain(target._id)
    await expect.poll(() => page.locator('[data-testid="watch-event"][data-kind="status"]').count()).toBeGreaterThan(0)
    await shot('watchlist')
    await auditThemes(page, 'watchlist')

    // The same documents again: no second notification for the same event.
    const before = (await recorded()).length
    await page.getByTestId('update-watchlist').click()
    await jobFinished(h.core)
    await page.waitForTimeout(500)
    expect((await recorded()).length).toBe(before)
    expect(h.pageErrors).toEqual([])
  })
})

describe('demo charts in Chromium', () => {
  it('draws curves for a demo workflow and areas for a summed search, from the first minute', async () => {
    const store = await h.core.activeStore()
    let doc: WorkflowDoc | undefined
    for await (const docs of store.allWorkflows()) {
      doc = docs.find((d) => d.EventNumberHistory.length >= 4 && d.TotalEvents > 0 && d.OutputDatasets.length >= 2)
      if (doc) break
    }
    expect(doc, 'a demo workflow with several history entries').toBeDefined()
    await search(doc!._id, 'workflow')
    const canvas = await openFirstWorkflow(page)
    const drawn = await drawnSeries(canvas)
    const lines = drawn.filter((line) => doc!.OutputDatasets.includes(line.label))
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line.data.length, line.label).toBeGreaterThanOrEqual(3)
    const range = JSON.parse((await canvas.getAttribute('data-x-range'))!) as { min: number; max: number }
    expect(range.max - range.min).toBeGreaterThanOrEqual(3 * 3600)
    await shot('demo-chart')
    await page.getByTestId('detail-close').click()

    await search(String(doc!.Campaigns[0]), 'campaign')
    const summed = page.getByTestId('search-chart')
    if ((await summed.count()) === 0) await page.getByRole('button', { name: 'Show chart' }).click()
    const stacked = await drawnSeries(summed)
    const times = new Set(stacked.flatMap((s) => s.data.map((p) => p.x)))
    expect(times.size).toBeGreaterThanOrEqual(4)
    await shot('demo-summed-chart')
    await auditThemes(page, 'demo-summed-chart', { include: '#search-chart-section' })
  })

  it('frames the time axis of a one-entry workflow around that entry', async () => {
    const store = await h.core.activeStore()
    let doc: WorkflowDoc | undefined
    for await (const docs of store.allWorkflows()) {
      doc = docs.find((d) => d.EventNumberHistory.length === 1)
      if (doc) break
    }
    expect(doc, 'a demo workflow whose outputs appeared at the last step').toBeDefined()
    const time = doc!.EventNumberHistory[0]!.Time
    await search(doc!._id, 'workflow')
    const canvas = await openFirstWorkflow(page)
    await expect.poll(() => canvas.getAttribute('data-x-range')).toBeTruthy()
    const range = JSON.parse((await canvas.getAttribute('data-x-range'))!) as { min: number; max: number }
    expect(range.min).toBeLessThan(time)
    expect(range.max).toBeGreaterThan(time)
    // Hours around the entry, not years (Chart.js alone spans 2024 to 2029).
    expect(range.max - range.min).toBeLessThanOrEqual(2 * 3600)
    await shot('one-entry-chart')
    await page.getByTestId('detail-close').click()
    expect(h.pageErrors).toEqual([])
  })
})
