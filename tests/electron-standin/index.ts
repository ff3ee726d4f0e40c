/**
 * The Electron stand-in: what `require('electron')` gives the app's built main process when the
 * tests start it without Electron's binary (see docs/testing-desktop.md). Real Chromium windows
 * (Debian's Chromium through Playwright), the real built preload in the page, the app's real IPC
 * handlers; nothing of it is used outside tests.
 *
 * Only what the app uses is here: app, BrowserWindow, webContents, ipcMain, Menu, MenuItem,
 * nativeTheme, Notification, shell, clipboard, dialog, safeStorage, screen and session. `standin` is not
 * Electron's: it is how a test reads what was recorded and acts as the operator would on the
 * desktop (clicking a notification). contextBridge and ipcRenderer exist in the page only
 * (page-bridge.js), as in Electron.
 */
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { join, resolve } from 'node:path'
import { app } from './app'
import { BrowserWindow, WebContents, setWindowHooks } from './browser-window'
import { ChromiumHost, type Rect } from './chromium-host'
import { clipboard, dialog, Notification, safeStorage, screen, secretsReady, shell, shownNotifications } from './desktop-services'
import { ipcMain } from './ipc-main'
import { Menu, MenuItem, setMenuQuit } from './menu'
import { nativeTheme } from './native-theme'
import { records } from './records'
import { defaultSession } from './session'

let host: ChromiumHost | undefined

setWindowHooks({
  host: () => host,
  workArea: (bounds: Rect) => screen.getDisplayMatching(bounds).workArea,
  allClosed: () => void app.emit('window-all-closed'),
  quitting: () => app.isQuitting
})
setMenuQuit(() => app.quit())

const webContents = {
  getAllWebContents: (): WebContents[] => WebContents.getAllWebContents(),
  fromId: (id: number): WebContents | undefined => WebContents.fromId(id),
  fromDevToolsTargetId: (targetId: string): WebContents | undefined => WebContents.fromDevToolsTargetId(targetId),
  getFocusedWebContents: (): WebContents | undefined => WebContents.getFocusedWebContents()
}

export interface StartOptions {
  /** The folder holding the app's package.json (Electron's `electron <appPath>`). */
  appPath: string
  /** Everything after the executable, switches included, as Electron keeps them in process.argv. */
  args: string[]
  /** The executable's path (process.argv[0]). */
  executable: string
  /** Loads the app's main script with the plain Node require of the launcher (no TypeScript hooks). */
  loadMain(path: string): void
}

/**
 * Starts the app as Electron would: its name, version and userData from package.json, its `main`
 * loaded (the built bundle), then Chromium, then `ready`. A start that quits at once (the second
 * instance) never starts Chromium.
 */
async function start(options: StartOptions): Promise<void> {
  const appPath = resolve(options.appPath)
  const pkg = JSON.parse(readFileSync(join(appPath, 'package.json'), 'utf8')) as { name?: string; productName?: string; version?: string; main?: string }
  process.argv = [options.executable, ...options.args]
  Object.assign(process, { type: 'browser' })
  app.configure(appPath, pkg)
  // Electron shows an uncaught error of the main process in a dialog and goes on running.
  process.on('uncaughtException', (error) => {
    records.mainErrors.push(error.stack ?? String(error))
    process.stderr.write(`electron-standin: uncaught exception in the main process: ${error.stack ?? String(error)}\n`)
  })
  process.on('unhandledRejection', (reason) => {
    records.mainErrors.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason))
    process.stderr.write(`electron-standin: unhandled rejection in the main process: ${String(reason)}\n`)
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit())

  options.loadMain(join(appPath, pkg.main ?? 'index.js'))
  // Let the app's synchronous start run its course (the single-instance check, a quit).
  await new Promise((resolveTurn) => setImmediate(resolveTurn))
  if (app.isQuitting) return

  const displays = screen.getAllDisplays().map((display) => display.bounds)
  host = await ChromiumHost.launch(app.getPath('userData'), displays, {
    route: (route) => {
      let page: Page | undefined
      try {
        page = route.request().frame().page()
      } catch {
        // A popup's first navigation, issued before its frame exists: no window owns it.
      }
      return defaultSession.route(route, page ? WebContents.fromPage(page) : undefined)
    },
    // A popup the page opened: the window-open handler has had its say (webContents); none is kept.
    strayPage: (page) => void page.close().catch(() => undefined)
  })
  app.shutdown = async () => host?.close()
  Object.defineProperty(process.versions, 'chrome', { value: host.version, enumerable: true })
  // What Playwright's Electron support waits for to attach to the windows.
  process.stderr.write(`DevTools listening on ${host.wsEndpoint}\n`)
  secretsReady()
  app.markReady()
}

/** Not Electron's: the stand-in's records and the operator's hands. */
const standin = {
  records,
  start,
  /** Clicks the n-th notification shown so far, as the operator would on the desktop. */
  clickNotification(index: number): boolean {
    const notification = shownNotifications[index]
    if (!notification) return false
    notification.emit('click', {})
    return true
  },
  /** How many times each open window was asked to take the focus. */
  focusRequests(): number[] {
    return BrowserWindow.getAllWindows().map((window) => window.focusRequests)
  },
  /** Whether any IPC message from main to the page (an invoke's answer, a send) held this text. */
  reachedPage(text: string): boolean {
    return records.ipc.some((record) => record.toPage?.includes(text) === true)
  },
  /** Whether any IPC message from the page to main held this text. */
  reachedMain(text: string): boolean {
    return records.ipc.some((record) => record.toMain?.includes(text) === true)
  }
}

const session = { defaultSession, fromPartition: () => defaultSession }

export { app, BrowserWindow, webContents, ipcMain, Menu, MenuItem, nativeTheme, Notification, shell, clipboard, dialog, safeStorage, screen, session, standin }
