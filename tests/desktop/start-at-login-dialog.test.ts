/**
 * The settings dialog's "Start Stats2 when I log in" in Debian's Chromium, served by the real
 * bridge over a real AppCore whose login-item hook (what the Electron shell passes in) records the
 * calls. Browser mode proper has no hook, and then no such checkbox.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { createHandlers } from '../../src/main/ipc/handlers'
import { startBridge } from '../../src/main/ipc/bridge-server'
import { RENDERER_DIR } from '../../src/main/cli/ui-command'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../e2e/harness'

async function withDialog(startAtLogin: ((enabled: boolean) => Promise<void>) | undefined, body: (page: Page) => Promise<void>): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'stats2-login-ui-'))
  const core = await AppCore.create({
    userDataDir: join(work, 'user-data'), env: { HOME: work }, secrets: new MemorySecretStore(), ...(startAtLogin ? { startAtLogin } : {})
  })
  const bridge = await startBridge({
    handlers: createHandlers(core, { openExternal: async () => undefined }),
    rendererDir: RENDERER_DIR,
    subscribe: (event, listener) => core.subscribe(event, listener)
  })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(bridge.openUrl)
    await page.getByTestId('open-settings').first().click()
    await page.getByTestId('settings-dialog').waitFor()
    await body(page)
  } finally {
    await browser.close()
    await bridge.close()
    await core.close()
    await rm(work, { recursive: true, force: true })
  }
}

describe('start at login in the settings dialog', () => {
  it('is a checkbox in the desktop app that registers the app and stays ticked', async () => {
    const calls: boolean[] = []
    await withDialog(async (enabled) => void calls.push(enabled), async (page) => {
      const box = page.getByTestId('start-at-login')
      expect(await box.isChecked()).toBe(false)
      await box.check()
      await page.getByTestId('settings-save').click()
      await expect.poll(() => calls).toEqual([true])
      await mkdir(ARTIFACTS, { recursive: true })
      await page.getByTestId('settings-dialog').screenshot({ path: join(ARTIFACTS, 'settings-start-at-login.png') })
      await page.reload()
      await page.getByTestId('open-settings').first().click()
      expect(await page.getByTestId('start-at-login').isChecked()).toBe(true)
    })
  })

  it('is absent where the app cannot start at login (browser mode)', async () => {
    await withDialog(undefined, async (page) => {
      await page.locator('#settings-scheduleMinutes').waitFor()
      expect(await page.getByTestId('start-at-login').count()).toBe(0)
    })
  })
})
