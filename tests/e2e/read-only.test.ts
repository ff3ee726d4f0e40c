/**
 * The dashboard on a shared CouchDB reached without credentials (the embedded server started as
 * admin in this test, the app given only its URL as DB_URL), in Chromium: workflows list and open,
 * Update all and Update selected are disabled and say why and what to set, and the handler refuses
 * an update with the same message.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { CouchStore } from '../../src/main/store/couch-store'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { createCertificateAuthority, issueCertificate } from '../helpers/pki'
import { ARTIFACTS, startHarness, type Harness } from './harness'

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
