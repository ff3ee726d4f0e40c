/**
 * The desktop scenario as tests: two starts of one throw-away operator. The first goes through the
 * dashboard with the demo moving only when asked (`--demo-step-ms=0`); the second finds the window
 * where it was left and the passphrase kept, takes the focus when the app is started once more, and
 * watches a demo move on by itself. Declared once, run on the stand-in (desktop-app.test.ts, in
 * `npm test`) and on Electron's binary (tests/electron, `npm run test:electron`); `checks` adds what
 * only one of them can see.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ElectronApplication } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SettingsView } from '../../src/shared/ipc-contract'
import { ARTIFACTS } from '../helpers/chromium'
import { assertBuilt, launchDesktop, startAgain, type DesktopRun } from './launch'
import type { DesktopRecorder } from './recorders'
import {
  demoStepsLive, expectLockedDownWindow, ipc, menuActions, pinAndNotify, probeContentSecurityPolicy, quitCleanly, refuseNavigationAndPopups,
  searchAndFollowPrepId, setWindowBounds, startDemoCancelThenFinish, storePassphrase, updateSelected, welcomeAndSettingsErrors, windowBounds,
  workflowPanelAndLink, type CspProbe
} from './scenario'

export const PASSPHRASE = 'correct horse battery staple 7781'
const BOUNDS = { x: 40, y: 50, width: 1100, height: 700 }

/** What one way of running the app can check beyond the shared steps. */
export interface ExtraChecks {
  csp?(probe: CspProbe): void
  passphraseStored?(run: DesktopRun, view: SettingsView): Promise<void>
  diagnostics?(text: string): void
  /** After the navigation and window checks of the first start. */
  security?(run: DesktopRun): Promise<void>
  /** After each step of a start: nothing went wrong in main. */
  mainHealthy?(run: DesktopRun): Promise<void>
  secondInstance?(run: DesktopRun): Promise<void>
  quitted?(run: DesktopRun): void
}

export interface ScenarioOptions {
  name: string
  executablePath: string
  recorder(app: ElectronApplication): Promise<DesktopRecorder>
  checks?: ExtraChecks
}

export function desktopScenario({ name, executablePath, recorder: makeRecorder, checks = {} }: ScenarioOptions): void {
  let work: string
  let run: DesktopRun
  let recorder: DesktopRecorder

  const start = async (args: string[]): Promise<void> => {
    run = await launchDesktop({ executablePath, work, args })
    recorder = await makeRecorder(run.app)
  }

  beforeAll(async () => {
    assertBuilt()
    work = mkdtempSync(join(tmpdir(), 'stats2-desktop-'))
    mkdirSync(ARTIFACTS, { recursive: true })
    await start(['--demo-step-ms=0'])
  }, 120_000)

  afterAll(async () => {
    await run?.app.close().catch(() => undefined)
    if (work) rmSync(work, { recursive: true, force: true })
  })

  describe(`${name}: first start`, () => {
    it('opens one locked-down window: the preload bridge only, no Node, the CSP in force', async () => {
      await expectLockedDownWindow(run)
      const csp = await probeContentSecurityPolicy(run.page)
      expect(csp.inlineScriptRan).toBe(false)
      expect(csp.evalResult).toBe('EvalError')
      checks.csp?.(csp)
      // The probes' own refusals, logged by Chromium.
      run.pageErrors.length = 0
    })

    it('welcomes an operator without a certificate; Settings names the missing files; a saved passphrase never comes back to the page', async () => {
      await welcomeAndSettingsErrors(run)
      const view = await storePassphrase(run, PASSPHRASE)
      await checks.passphraseStored?.(run, view)
    })

    it('starts the demo: its first run shows live progress, is cancelled, then finished by Update all', async () => {
      await startDemoCancelThenFinish(run)
    }, 180_000)

    it('searches and follows a PrepID; the workflow panel charts the stored history; a CMS link opens in the browser', async () => {
      await searchAndFollowPrepId(run)
      await workflowPanelAndLink(run, recorder)
    }, 120_000)

    it('updates three selected workflows with an outcome for each', async () => {
      await updateSelected(run)
    }, 120_000)

    it('pins a stalled workflow: a desktop notification through Notification; clicking it brings the window forward', async () => {
      await pinAndNotify(run, recorder)
    }, 120_000)

    it('has the application menu: About, Copy diagnostics (no secret), Open data folder', async () => {
      checks.diagnostics?.(await menuActions(run, recorder, PASSPHRASE))
    })

    it('refuses navigation and window.open; only allow-listed links reach the browser', async () => {
      await refuseNavigationAndPopups(run, recorder)
      await checks.security?.(run)
      await checks.mainHealthy?.(run)
      expect(run.pageErrors.filter((error) => !/Content Security Policy|Failed to load resource/.test(error))).toEqual([])
    })

    it('quits cleanly with the window where the operator left it: store closed, no process left', async () => {
      expect(await setWindowBounds(run, BOUNDS)).toEqual(BOUNDS)
      // Quit at once: the move must not wait for the window-state delay.
      expect(await quitCleanly(run)).toBe(0)
    })
  })

  describe(`${name}: second start`, () => {
    beforeAll(async () => {
      await start(['--demo-step-ms=1500'])
    }, 120_000)

    it('opens where it was left, with the passphrase and the watchlist settings kept', async () => {
      expect(await windowBounds(run)).toEqual(BOUNDS)
      const settings = await ipc<SettingsView>(run.page, 'getSettings')
      if (!settings.ok) throw new Error(settings.error.message)
      // Kept across starts where the OS offers encrypted storage (safeStorage); else for the session only.
      expect(settings.value.passphraseStored).toBe(settings.value.secureStorage)
      expect(await ipc(run.page, 'getWatchlist')).toMatchObject({ ok: true, value: { items: [], stallHours: 1 } })
    })

    it('is the only instance: a third start ends at once and this window takes the focus', async () => {
      const focus = await recorder.focusRequests()
      expect(await startAgain({ executablePath, work, args: ['--from-second-start'] })).toBe(0)
      await expect.poll(() => recorder.focusRequests()).toBeGreaterThan(focus)
      expect(run.app.windows().length).toBe(1)
      await checks.secondInstance?.(run)
    })

    it('runs a demo live: its steps come by themselves and each update reaches the window', async () => {
      await demoStepsLive(run, 60, 2)
      await checks.mainHealthy?.(run)
    }, 180_000)

    it('quits cleanly: store closed, no process left', async () => {
      expect(await quitCleanly(run)).toBe(0)
      checks.quitted?.(run)
      expect(existsSync(join(run.userData, 'window-state.json'))).toBe(true)
    })
  })
}
