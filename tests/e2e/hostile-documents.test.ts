/**
 * The dashboard never goes blank: a store holding documents that do not fit the Stats2 schema (an
 * object PrepID, InputDataset or transition Status, a non-numeric or 1e20 time, a lone surrogate
 * in a Campaign, a history that is not a list) next to good ones. In Debian's Chromium, against the
 * real embedded store and the real handlers: the page renders, good rows render as usual, each bad
 * row shows the warning and its raw JSON, and nothing reaches the console as an error.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { ARTIFACTS, startHarness, type Harness } from './harness'
import { auditThemes } from './a11y'
import { REPO_ROOT } from '../helpers/paths'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let h: Harness
let page: Page

const GOOD_DIR = resolve(REPO_ROOT, 'tests', 'scenarios', 'totals-and-shaping', 'steps', '01', 'expected')
const good: WorkflowDoc[] = readdirSync(GOOD_DIR).map((file) => JSON.parse(readFileSync(join(GOOD_DIR, file), 'utf8')) as WorkflowDoc)
const template = good[0]!

function hostile(id: string, change: Record<string, unknown>): WorkflowDoc {
  const { _rev: _revision, ...rest } = template
  return { ...rest, _id: id, RequestName: id, ...change } as unknown as WorkflowDoc
}

/** Name → a text its raw JSON must show. */
const HOSTILE: Array<{ doc: WorkflowDoc; shows: string }> = [
  { doc: hostile('hostile_prepid_object', { PrepID: { $gt: 'injected' } }), shows: '"$gt": "injected"' },
  { doc: hostile('hostile_input_object', { InputDataset: { dataset: '/A/B/RAW' } }), shows: '"dataset": "/A/B/RAW"' },
  { doc: hostile('hostile_status_object', { RequestTransition: [{ Status: { name: 'running' }, UpdateTime: 1_700_000_000 }] }), shows: '"name": "running"' },
  { doc: hostile('hostile_time_text', { RequestTransition: [{ Status: 'new', UpdateTime: 'yesterday' }] }), shows: '"UpdateTime": "yesterday"' },
  { doc: hostile('hostile_time_huge', { RequestTransition: [{ Status: 'new', UpdateTime: 1e20 }], LastUpdate: 1e20 }), shows: '100000000000000000000' },
  { doc: hostile('hostile_campaign_surrogate', { Campaigns: ['Run3Summer22\ud800'] }), shows: 'Run3Summer22' },
  { doc: hostile('hostile_history_object', { EventNumberHistory: { Time: 1 } }), shows: '"EventNumberHistory": {' }
]

beforeAll(async () => {
  // Tall enough that the windowed list renders every row.
  h = await startHarness({ viewport: { width: 1440, height: 4000 } })
  const store = await h.core.activeStore()
  const written = await store.saveWorkflows([...good.map(({ _rev: _revision, ...doc }) => doc as WorkflowDoc), ...HOSTILE.map((item) => item.doc)])
  expect(written.every((result) => !('error' in result) || !result.error)).toBe(true)
  page = h.page
  await page.goto(h.bridge.openUrl)
}, 120_000)

afterAll(async () => {
  await h?.close()
})

describe('a store with documents that do not fit the schema', () => {
  it('lists every document: good rows as usual, bad rows with the warning and their raw JSON', async () => {
    await page.getByTestId('search-summary').waitFor()
    await expect.poll(() => page.getByTestId('workflow-row').count()).toBe(good.length + HOSTILE.length)

    for (const doc of good) {
      const row = page.locator(`[data-testid="workflow-row"][data-name="${doc._id}"]`)
      expect(await row.getAttribute('data-invalid')).toBeNull()
      expect(await row.getByTestId('invalid-doc').count()).toBe(0)
      expect(await row.locator('.attrs').count()).toBeGreaterThan(0)
    }
    for (const { doc, shows } of HOSTILE) {
      const row = page.locator(`[data-testid="workflow-row"][data-name="${doc._id}"]`)
      expect(await row.getAttribute('data-invalid'), doc._id).toBe('true')
      await expect.poll(() => row.getByTestId('invalid-issues').innerText()).not.toBe('')
      expect(await row.getByTestId('invalid-raw').textContent(), doc._id).toContain(shows)
    }
    // The lone surrogate arrives escaped as JSON text, not as a broken character.
    const surrogate = page.locator('[data-testid="workflow-row"][data-name="hostile_campaign_surrogate"]')
    expect(await surrogate.getByTestId('invalid-raw').textContent()).toContain('\\ud800')
    expect(await surrogate.getByTestId('invalid-issues').innerText()).toContain('lone surrogate')
    // No boundary had to step in: the documents were stopped at the contract boundary.
    expect(await page.getByTestId('render-error').count()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, 'hostile-documents.png') })
    await auditThemes(page, 'hostile-documents')
    expect(h.pageErrors).toEqual([])
  })

  it('the summed chart counts the bad documents as left out', async () => {
    await page.locator('#search-chart-section').waitFor()
    await expect.poll(() => page.locator('#search-chart-section').innerText()).toContain('not readable, left out')
    expect(h.pageErrors).toEqual([])
  })

  it('opens a bad document: the panel shows the warning and the raw JSON', async () => {
    await page.locator('[data-testid="workflow-row"][data-name="hostile_time_huge"] button.workflow-name').click()
    const panel = page.getByTestId('detail-panel')
    await panel.getByTestId('invalid-doc').waitFor()
    expect(await panel.getByTestId('invalid-issues').innerText()).toContain('RequestTransition.0.UpdateTime')
    expect(await panel.getByTestId('invalid-raw').textContent()).toContain('100000000000000000000')
    await auditThemes(page, 'hostile-panel', { include: '[data-testid="detail-panel"]' })
    expect(h.pageErrors).toEqual([])
  })

  it('opens a good document after it: its chart and fields render', async () => {
    const name = good[0]!._id
    await page.locator(`[data-testid="workflow-row"][data-name="${name}"] button.workflow-name`).click()
    const panel = page.getByTestId('detail-panel')
    await panel.getByTestId('tab-chart').waitFor()
    expect(await panel.getByTestId('invalid-doc').count()).toBe(0)
    expect(await panel.locator('canvas').count()).toBeGreaterThan(0)
    expect(await page.getByTestId('render-error').count()).toBe(0)
    expect(h.pageErrors).toEqual([])
  })

  it('error boundaries contain a row that still fails to render: the rest of the page stays', async () => {
    // Stand in for a main process that let a bad document through: the search answer is rewritten
    // on its way to the page, so the renderer's own error boundaries are what is tested here.
    const uncaught: string[] = []
    const onPageError = (error: Error): void => void uncaught.push(error.message)
    page.on('pageerror', onPageError)
    const victim = good[1]!._id
    await page.route('**/api/search', async (route) => {
      const response = await route.fetch()
      const body = (await response.json()) as { ok: boolean; value?: { rows: Array<Record<string, unknown>> } }
      for (const row of body.value?.rows ?? []) if (row.name === victim) row.prepId = { $gt: 'rendered as an object' }
      await route.fulfill({ response, json: body })
    })
    try {
      await page.goto(`${h.bridge.openUrl}#q=`)
      await page.getByTestId('search-summary').waitFor()
      const broken = page.getByTestId('render-error')
      await broken.first().waitFor()
      expect(await broken.count()).toBe(1)
      expect(await broken.innerText()).toContain(`Workflow ${victim} could not be shown`)
      // Every other row is there, good ones rendered normally, bad ones with their raw JSON.
      await expect.poll(() => page.getByTestId('workflow-row').count()).toBe(good.length + HOSTILE.length - 1)
      expect(await page.getByTestId('invalid-doc').count()).toBe(HOSTILE.length)
      expect(await page.getByTestId('search-summary').isVisible()).toBe(true)
      expect(uncaught).toEqual([])
    } finally {
      page.off('pageerror', onPageError)
      await page.unroute('**/api/search')
    }
  })
})
