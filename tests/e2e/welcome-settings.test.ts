/**
 * A new operator's first minutes, in Chromium: no certificate yet → the welcome card; settings
 * checked field by field (a missing file is named next to its field); a demo started with one click.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { ARTIFACTS, jobFinished, startHarness, type Harness } from './harness'
import { auditThemes } from './a11y'

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
    const welcome = page.getByTestId('welcome')
    await welcome.waitFor()
    expect(await welcome.innerText()).toMatch(/certificate/i)
    await page.screenshot({ path: join(ARTIFACTS, 'welcome.png') })
    await auditThemes(page, 'welcome')
  })

  it('refuses settings that point at missing files, naming the field, and keeps nothing of them', async () => {
    await page.getByTestId('open-settings').click()
    const dialog = page.getByTestId('settings-dialog')
    await dialog.waitFor()
    await dialog.locator('input[name="credential-kind"][value="pem"]').check()
    await dialog.locator('#settings-certPath').fill(join(h.work, 'nowhere', 'usercert.pem'))
    await dialog.locator('#settings-keyPath').fill(join(h.work, 'nowhere', 'userkey.pem'))
    await page.getByTestId('settings-save').click()
    const certError = dialog.locator('#settings-certPath-error')
    await certError.waitFor()
    expect(await certError.innerText()).toContain('usercert.pem does not exist')
    expect(await dialog.locator('#settings-keyPath-error').innerText()).toContain('userkey.pem does not exist')
    expect(h.core.settingsView().credentials.kind).toBe('auto')
    await page.screenshot({ path: join(ARTIFACTS, 'settings-errors.png') })
    await auditThemes(page, 'settings-dialog')

    await page.getByTestId('test-connection').click()
    const checks = page.getByTestId('connection-checks')
    await checks.waitFor()
    expect(await checks.innerText()).toMatch(/\.globus\/usercert\.pem/)
    await auditThemes(page, 'settings-connection-checks', { include: '[data-testid="settings-dialog"]' })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
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
