/**
 * Issue 14, reproduction 10 in the React dashboard (Debian's Chromium, real handlers, real embedded
 * store): a workflow name, PrepID and dataset holding a right-to-left override are shown isolated
 * (`<bdi>`) with the control as a visible mark, so `…\u202Egnp.exe` no longer reads as `exe.png`;
 * the row still opens the stored workflow under its real name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startHarness, type Harness } from './harness'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

const NAME = 'pdmvserv_evil\u202egnp.exe_230101_000000_1'
const PREPID = 'BIDI-\u2067Run3\u2069-00001'
const DATASET = '/Bidi/x\u202etxt.exe/AODSIM'

let h: Harness
let page: Page

beforeAll(async () => {
  h = await startHarness({ viewport: { width: 1440, height: 2000 } })
  const store = await h.core.activeStore()
  const doc: WorkflowDoc = {
    _id: NAME, RequestName: NAME, PrepID: PREPID, Campaigns: [], OutputDatasets: [DATASET], RequestPriority: 1, RequestTransition: [], Requests: [],
    TotalEvents: 100, TotalInputLumis: -1, EventNumberHistory: [{ Time: 1_700_000_000, Datasets: { [DATASET]: { Type: 'VALID', Events: 50, Size: 10 } } }]
  }
  expect((await store.saveWorkflows([doc]))[0]!.ok).toBe(true)
  page = h.page
  await page.goto(h.bridge.openUrl)
}, 120_000)

afterAll(async () => {
  await h?.close()
})

describe('bidirectional controls in stored values', () => {
  it('are isolated and shown as marks in the row, its attributes and the detail panel', async () => {
    const row = page.locator('[data-testid="workflow-row"]').first()
    await row.waitFor()
    expect(await row.getAttribute('data-name')).toBe(NAME)
    const name = row.locator('.workflow-name bdi')
    expect(await name.textContent()).toBe('pdmvserv_evil[U+202E]gnp.exe_230101_000000_1')
    const text = await row.innerText()
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/)
    expect(text).toContain('BIDI-[U+2067]Run3[U+2069]-00001')
    expect(text).toContain('[U+202E]txt.exe')
    // Every value shown in the row sits in an isolate of its own.
    for (const value of ['[U+202E]gnp.exe', '[U+2067]Run3', '[U+202E]txt.exe']) {
      expect(await row.locator('bdi', { hasText: value }).count(), value).toBeGreaterThan(0)
    }
    await row.locator('.workflow-name').click()
    const title = page.getByTestId('detail-panel').locator('.detail-title')
    await title.waitFor()
    expect(await title.locator('bdi').textContent()).toBe('pdmvserv_evil[U+202E]gnp.exe_230101_000000_1')
  })
})
