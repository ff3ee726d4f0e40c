/**
 * `stats2 serve` in Debian's Chromium: the front page works with JavaScript turned off (search box,
 * attribute links, paging) under its CSP, and the dashboard served under `<base>/dashboard/` reaches
 * its read-only API under the same base path.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../e2e/harness'
import { fillPublicStore, serveStore, type FilledStore, type ServiceUnderTest } from './helpers'

let work: string
let filled: FilledStore
let store: CouchStore
let svc: ServiceUnderTest
let browser: Browser
let docs: WorkflowDoc[]

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-browser-'))
  await mkdir(ARTIFACTS, { recursive: true })
  filled = await fillPublicStore(work)
  store = await CouchStore.open(filled.config.db)
  docs = []
  for await (const page of store.allWorkflows()) docs.push(...page)
  svc = await serveStore(store, filled.config, filled.env)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  await browser?.close()
  await svc?.close()
  await store?.close()
  await filled?.sim.close()
  await rm(work, { recursive: true, force: true })
})

describe('the front page in a browser without JavaScript', () => {
  it('searches, follows attribute links and shows rows, with no CSP violation', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1400, height: 900 } })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    try {
      await page.goto(`${svc.origin}/stats/`)
      await page.fill('#q', 'HG1812_Validation')
      await Promise.all([page.waitForURL(/campaign=HG1812_Validation/), page.click('button[type=submit]')])
      expect(new URL(page.url()).pathname).toBe('/stats')
      const expected = docs.filter((d) => (d.Campaigns as string[]).includes('HG1812_Validation'))
      expect(await page.locator('table.workflows tbody tr').count()).toBe(expected.length)
      await page.screenshot({ path: join(ARTIFACTS, 'serve-front-page.png'), fullPage: false })

      const prepid = 'TEST-TEST-HIG-RunIISummer15wmLHEGS-00744'
      await Promise.all([page.waitForURL(/prepid=/), page.locator(`a[href="0?prepid=${prepid}"]`).first().click()])
      expect(page.url()).toBe(`${svc.origin}/stats/0?prepid=${prepid}`)
      expect(await page.locator('table.workflows tbody tr').count()).toBe(docs.filter((d) => d.PrepID === prepid).length)
      // The stylesheet loaded (the CSP allows it): the bars are laid out as blocks, as it says.
      const stylesheet = await page.evaluate(() => (globalThis as unknown as { document: { styleSheets: { length: number } } }).document.styleSheets.length)
      expect(stylesheet).toBe(1)
      const box = await page.locator('progress.bar').first().boundingBox()
      expect(box!.height).toBe(8)
      expect(problems).toEqual([])
    } finally {
      await context.close()
    }
  })
})

describe('the dashboard under the base path', () => {
  it('loads and searches through <base>/dashboard/api', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    try {
      await page.goto(`${svc.origin}/stats/dashboard/#q=Run2022C_ReReco_synthetic&field=campaign&page=1`)
      const name = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 20_000 })
      await page.screenshot({ path: join(ARTIFACTS, 'serve-dashboard.png') })
      expect(errors).toEqual([])
    } finally {
      await page.close()
    }
  })
})
