/**
 * The dashboard on a shared CouchDB reached without credentials (the embedded server started as
 * admin in this test, the app given only its URL as DB_URL), in Chromium: workflows list and open,
 * Update all and Update selected are disabled and say why and what to set, and the handler refuses
 * an update with the same message. Then the read-only dashboard of `stats2 serve` on the same
 * store: no update, selection, pin, watchlist or settings control at all, and reading still works.
 * Both, and the workflow panel of the service, axe-checked in the light and the dark theme.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { CouchStore } from '../../src/main/store/couch-store'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { createCertificateAuthority, issueCertificate } from '../helpers/pki'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, startHarness, type Harness } from './harness'
import { auditThemes } from './a11y'
import { chromium } from 'playwright-core'
import { loadConfig } from '../../src/main/config/config'
import { serveStore } from '../serve/helpers'

const NAMES = ['pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111', 'shared store name with spaces ✓']
let couch: EmbeddedCouch
let certs: string
let h: Harness
let page: Page

beforeAll(async () => {
  couch = await startEmbeddedCouch({ dataDir: '', inMemory: true })
  const admin = await CouchStore.open({ url: couch.url, authHeader: couch.authHeader, dataDir: '' })
  await admin.saveWorkflows(NAMES.map((name) => ({
    _id: name, RequestName: name, Campaigns: ['Run2022C_ReReco_synthetic'], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0,
    RequestTransition: [{ Status: 'running-closed', UpdateTime: 1690000000 }], Requests: [], TotalEvents: 1000, TotalInputLumis: -1, RequestType: 'ReReco'
  })))
  await admin.close()
  // A certificate is configured (live mode): only the store's rights keep updates off.
  certs = await mkdtemp(join(tmpdir(), 'stats2-e2e-certs-'))
  const ca = createCertificateAuthority('Read-only test CA')
  const pair = issueCertificate(ca, { commonName: 'Reader', usage: 'client' })
  await writeFile(join(certs, 'usercert.pem'), pair.certPem)
  await writeFile(join(certs, 'userkey.pem'), pair.keyPem, { mode: 0o600 })
  h = await startHarness({ env: { DB_URL: couch.url, USERCRT: join(certs, 'usercert.pem'), USERKEY: join(certs, 'userkey.pem') } })
  page = h.page
  await page.goto(h.bridge.openUrl)
}, 120_000)

afterAll(async () => {
  await h?.close()
  await couch?.close()
  await rm(certs, { recursive: true, force: true })
})

describe('a read-only store in the dashboard', () => {
  it('lists and opens workflows, disables the update buttons and says why', async () => {
    const notice = page.getByTestId('read-only-notice')
    await notice.waitFor({ timeout: 30_000 })
    const text = await notice.innerText()
    expect(text).toContain('Read-only.')
    expect(text).toContain('no credentials given')
    expect(text).toContain('STATS_DB_AUTH_HEADER')
    expect(text).toContain('Settings → Database')

    const updateAll = page.getByTestId('update-all')
    expect(await updateAll.isDisabled()).toBe(true)
    expect(await updateAll.getAttribute('title')).toMatch(/Updating is disabled: CouchDB at .* is open read-only/)

    const rows = page.getByTestId('workflow-row')
    await rows.first().waitFor({ timeout: 30_000 })
    expect(await rows.count()).toBe(2)
    await page.locator('[data-testid="workflow-row"] input[type="checkbox"]').first().check()
    const updateSelected = page.getByTestId('update-selected')
    expect(await updateSelected.isDisabled()).toBe(true)
    expect(await updateSelected.getAttribute('title')).toContain('open read-only')
    await page.screenshot({ path: join(ARTIFACTS, 'read-only.png') })
    await auditThemes(page, 'read-only-store')

    const status = await h.core.status()
    expect(status.mode).toBe('live')
    expect(status.store).toMatchObject({ readOnly: true, readOnlyReason: expect.stringContaining('STATS_DB_AUTH_HEADER') })
    expect(() => h.core.startUpdate({ kind: 'all' })).toThrow(/Updating is disabled/)
    expect(h.pageErrors).toEqual([])
  })

  it('opens a stored name the old IPC schema refused (spaces, Unicode)', async () => {
    await page.locator(`[data-testid="workflow-row"][data-name="${NAMES[1]}"] .workflow-name`).click()
    const panel = page.getByTestId('detail-panel')
    await panel.waitFor()
    await panel.locator('.detail-summary').waitFor({ timeout: 15_000 })
    expect(await panel.locator('[role="alert"]').count()).toBe(0)
    await page.getByTestId('tab-json').click()
    // The raw JSON view loads lazily ("Loading…" first).
    await expect.poll(() => panel.innerText(), { timeout: 15_000 }).toContain(`"_id": "${NAMES[1]}"`)
    expect(h.pageErrors).toEqual([])
  })
})

describe('the read-only dashboard of stats2 serve', () => {
  it('shows no update, selection, pin, watchlist or settings control, and still lists and opens workflows', async () => {
    const env = { DB_URL: couch.url, USERCRT: join(certs, 'usercert.pem'), USERKEY: join(certs, 'userkey.pem') }
    // Anonymous, as a browser reaches the service.
    const store = await CouchStore.open({ url: couch.url, dataDir: '' })
    const svc = await serveStore(store, loadConfig(env), env)
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    try {
      const served = await browser.newPage({ viewport: { width: 1440, height: 900 } })
      const errors: string[] = []
      served.on('pageerror', (error) => errors.push(error.message))
      served.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text())
      })
      await served.goto(`${svc.origin}/stats/dashboard/`)
      const rows = served.getByTestId('workflow-row')
      await rows.first().waitFor({ timeout: 30_000 })
      expect(await rows.count()).toBe(2)
      await served.getByTestId('status-line').filter({ hasText: '2 workflows' }).waitFor()
      // Reading works: the summary, the rows' fields, the exports.
      expect(await served.getByTestId('search-summary').innerText()).toContain('2')
      expect(await served.getByTestId('export-markdown').isEnabled()).toBe(true)
      // No control that the service would refuse, not even disabled.
      for (const id of ['update-all', 'open-settings', 'update-selected', 'select-page', 'workflow-select', 'pin', 'view-watchlist']) {
        expect(await served.getByTestId(id).count(), id).toBe(0)
      }
      await served.screenshot({ path: join(ARTIFACTS, 'serve-read-only.png') })
      await auditThemes(served, 'serve-dashboard')

      await served.locator(`[data-testid="workflow-row"][data-name="${NAMES[0]}"] .workflow-name`).click()
      const panel = served.getByTestId('detail-panel')
      await panel.locator('.detail-summary').waitFor({ timeout: 15_000 })
      expect(await panel.getByTestId('pin').count()).toBe(0)
      await served.getByTestId('tab-json').click()
      await expect.poll(() => panel.innerText(), { timeout: 15_000 }).toContain(`"_id": "${NAMES[0]}"`)
      await auditThemes(served, 'serve-workflow-panel')
      expect(errors).toEqual([])
    } finally {
      await browser.close()
      await svc.close()
      await store.close()
    }
  })
})
