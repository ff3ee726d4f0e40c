/**
 * A new operator's first minutes, in Chromium: no certificate yet → the welcome card; settings
 * checked field by field (a missing file is named next to its field); a demo started with one click.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { ARTIFACTS, jobFinished, startHarness, type Harness } from './harness'
import { auditThemes } from './a11y'
import { expectWelcome, saveMissingCertificate, testConnectionThenClose } from './steps'

let h: Harness
let page: Page

beforeAll(async () => {
  h = await startHarness()
  page = h.page
  await page.goto(h.bridge.openUrl)
}, 120_000)

afterAll(async () => {
  await h?.close()
})

describe('first start', () => {
  it('welcomes an operator without a certificate and says what is needed', async () => {
    await expectWelcome(page)
    await page.screenshot({ path: join(ARTIFACTS, 'welcome.png') })
    await auditThemes(page, 'welcome')
  })

  it('refuses settings that point at missing files, naming the field, and keeps nothing of them', async () => {
    const dialog = await saveMissingCertificate(page, h.work)
    expect(h.core.settingsView().credentials.kind).toBe('auto')
    await page.screenshot({ path: join(ARTIFACTS, 'settings-errors.png') })
    await auditThemes(page, 'settings-dialog')
    await testConnectionThenClose(page, dialog, () => auditThemes(page, 'settings-connection-checks', { include: '[data-testid="settings-dialog"]' }))
    // The focus is back on the button that opened the dialog.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute('data-testid'))).toBe('open-settings')
  })

  it('starts a labelled demo with one click and shows its workflows', async () => {
    await page.getByTestId('start-demo').click()
    await page.getByTestId('demo-badge').waitFor({ timeout: 60_000 })
    // The first job replays the demo's earlier steps (several updates of 300 workflows): minutes on a busy machine.
    await jobFinished(h.core, 240_000)
    await page.getByTestId('update-result').waitFor({ timeout: 30_000 })
    const status = await h.core.status()
    expect(status.mode).toBe('demo')
    expect(status.store.workflows).toBeGreaterThan(0)
    await page.getByTestId('search').fill('')
    await page.getByTestId('search').press('Enter')
    await page.getByTestId('workflow-row').first().waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'demo-started.png') })
    await page.getByTestId('stop-demo').click()
    await expect.poll(async () => (await h.core.status()).mode, { timeout: 30_000 }).toBe('unconfigured')
    expect(h.pageErrors).toEqual([])
  }, 360_000)
})
