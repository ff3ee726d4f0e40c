/**
 * End-to-end harness: the real main-process core in demo mode (cmsweb simulator + embedded store),
 * the real browser-mode bridge serving the built renderer, and Debian's Chromium driven by
 * playwright-core (never a downloaded browser).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { createHandlers } from '../../src/main/ipc/handlers'
import { startBridge, type Bridge } from '../../src/main/ipc/bridge-server'
import { RENDERER_DIR } from '../../src/main/cli/ui-command'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium'

export { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS }

export interface Harness {
  work: string
  core: AppCore
  bridge: Bridge
  browser: Browser
  page: Page
  opened: string[]
  pageErrors: string[]
  close(): Promise<void>
}

export async function startHarness(
  options: { demoWorkflows?: number; viewport?: { width: number; height: number }; env?: Record<string, string> } = {}
): Promise<Harness> {
  const work = await mkdtemp(join(tmpdir(), 'stats2-e2e-'))
  await mkdir(ARTIFACTS, { recursive: true })
  const core = await AppCore.create({
    userDataDir: join(work, 'user-data'),
    env: { HOME: work, XDG_CONFIG_HOME: join(work, 'config'), ...options.env },
    secrets: new MemorySecretStore(),
    demoStepEveryMs: 0
  })
  const opened: string[] = []
  const bridge = await startBridge({
    handlers: createHandlers(core, { openExternal: async (url) => void opened.push(url) }),
    rendererDir: RENDERER_DIR,
    subscribe: (event, listener) => core.subscribe(event, listener)
  })
  if (options.demoWorkflows) {
    await core.startDemo(options.demoWorkflows)
    await core.job.wait()
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1440, height: 900 }, acceptDownloads: true })
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  return {
    work, core, bridge, browser, page, opened, pageErrors,
    async close() {
      await browser.close()
      await bridge.close()
      await core.close()
      await rm(work, { recursive: true, force: true })
    }
  }
}

/** Waits until the core's update job is no longer running. */
export async function jobFinished(core: AppCore, timeoutMs = 60_000): Promise<void> {
  const started = Date.now()
  while (core.job.isRunning) {
    if (Date.now() - started > timeoutMs) throw new Error('update job did not finish')
    await new Promise((r) => setTimeout(r, 50))
  }
}
