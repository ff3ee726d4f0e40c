/**
 * The Electron shell: one window, locked down (context isolation, sandbox, no Node in the renderer,
 * strict CSP, no navigation, no new windows, links out only to the CMS allow-list), the contract's
 * handlers on IPC, and the certificate, key and passphrase kept here in main. Everything else lives
 * in Electron-free modules tested under plain Node.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeTheme, Notification, safeStorage, screen, session, shell,
  type BrowserWindowConstructorOptions, type MenuItemConstructorOptions, type WebContents
} from 'electron'
import { AppCore } from './desktop/app-core'
import { appIconPath } from './desktop/app-icon'
import { demoStepMs } from './desktop/demo'
import { applicationMenu } from './desktop/app-menu'
import { SettingsError } from './desktop/desktop-settings'
import { aboutText, dataFolder, diagnosticsText, runtimeVersions } from './desktop/diagnostics'
import { autostartFile, loginCommand, setLinuxAutostart } from './desktop/login-item'
import { WindowStateFile, restoreWindow, trackWindowState } from './desktop/window-state'
import { EncryptedSecretStore, MemorySecretStore, type SecretStore } from './desktop/secrets'
import { createHandlers } from './ipc/handlers'
import { DEV_SERVER_CSP, RENDERER_CSP } from '../shared/csp'
import { registerIpc, sendEvent, showWatchNotifications } from './ipc/register'
import { createLogger, setLogLevel } from './log/logger'
import { logLevelFromEnv } from './config/config'
import { allowedExternalUrl } from '../shared/rules/links'

const log = createLogger('desktop')

/** `--color-bg` of styles/theme.css, light and dark: the window's colour before the page paints. */
export const WINDOW_BACKGROUND = { light: '#f3f4f7', dark: '#101419' } as const

/** `dark`: the OS theme at creation (`nativeTheme.shouldUseDarkColors`; themeSource stays 'system'). */
export function windowOptions(preloadPath: string, icon?: string, dark = false): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    ...(icon ? { icon } : {}),
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'Stats2',
    backgroundColor: dark ? WINDOW_BACKGROUND.dark : WINDOW_BACKGROUND.light,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false
    }
  }
}

/** The page the window may show: the built renderer file, or the dev server in `electron-vite dev`. */
export function isAppUrl(url: string, rendererUrl: string): boolean {
  try {
    const page = new URL(url)
    const app = new URL(rendererUrl)
    if (app.protocol === 'file:') return page.protocol === 'file:' && page.pathname === app.pathname
    return page.origin === app.origin
  } catch {
    return false
  }
}

/** No navigation, no new windows, no webviews, no permissions; allowed links open in the system browser. */
export function hardenContents(contents: WebContents, rendererUrl: string, openExternal: (url: string) => Promise<void>): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, rendererUrl)) {
      event.preventDefault()
      log.warn(`navigation blocked: ${url.slice(0, 200)}`)
    }
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, rendererUrl)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    const href = allowedExternalUrl(url)
    if (href !== undefined) void openExternal(href)
    else log.warn(`window.open blocked: ${url.slice(0, 200)}`)
    return { action: 'deny' }
  })
}

/** CSP on every response (the dev server's too) and every permission request refused. */
export function hardenSession(
  target: Pick<Electron.Session, 'webRequest' | 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
  csp: string = RENDERER_CSP
): void {
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } })
  })
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  target.setPermissionCheckHandler(() => false)
}

/** OS-encrypted secrets, refusing Chromium's plain-text fallback (Linux without a keyring). */
export async function openSecretStore(userData: string): Promise<SecretStore> {
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os'
  if (!safeStorage.isEncryptionAvailable() || backend === 'basic_text' || backend === 'unknown') {
    log.warn('no OS secret storage: passphrases are kept for this session only')
    return new MemorySecretStore()
  }
  return EncryptedSecretStore.open(userData, {
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (encrypted) => safeStorage.decryptString(encrypted)
  })
}

/** Start at login: Electron's login items on macOS and Windows, an XDG autostart entry on Linux. */
async function registerLoginItem(enabled: boolean): Promise<void> {
  try {
    if (process.platform === 'linux') await setLinuxAutostart(enabled, autostartFile(process.env), loginCommand(process.execPath, process.env))
    else app.setLoginItemSettings({ openAtLogin: enabled })
  } catch (error) {
    throw new SettingsError(`startAtLogin: could not ${enabled ? 'add' : 'remove'} the login item (${(error as Error).message})`)
  }
}

/**
 * The built renderer file, or the dev server only under `electron-vite dev` (which sets
 * NODE_ENV_ELECTRON_VITE=development for the Electron it starts): an ELECTRON_RENDERER_URL left in
 * a shell must not point an unpackaged `npm start` at whatever server it names.
 */
export function rendererUrl(env: NodeJS.ProcessEnv = process.env, packaged: boolean = app.isPackaged): string {
  const devServer = env.ELECTRON_RENDERER_URL
  if (!packaged && env.NODE_ENV_ELECTRON_VITE === 'development' && devServer && isHttpUrl(devServer)) return devServer
  if (devServer) log.warn('ELECTRON_RENDERER_URL ignored: it is honoured only under electron-vite dev')
  return pathToFileURL(join(__dirname, '..', 'renderer', 'index.html')).toString()
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

export async function startDesktop(): Promise<void> {
  app.setName('Stats2')
  try {
    setLogLevel(logLevelFromEnv(process.env))
  } catch (error) {
    log.warn(`${(error as Error).message}; logging at info`)
  }
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  await app.whenReady()
  const url = rendererUrl()
  hardenSession(session.defaultSession, url.startsWith('file:') ? RENDERER_CSP : DEV_SERVER_CSP)
  const openExternal = (url: string): Promise<void> => shell.openExternal(url)
  const userData = app.getPath('userData')
  const core = await AppCore.create({
    userDataDir: userData,
    secrets: await openSecretStore(userData),
    demoStepEveryMs: demoStepMs(process.argv),
    // Only an installed app has a stable command to start at login.
    ...(app.isPackaged ? { startAtLogin: registerLoginItem } : {})
  })
  registerIpc(ipcMain, createHandlers(core, { openExternal }), (frameUrl) => isAppUrl(frameUrl, url))

  const versions = runtimeVersions(app.getVersion())
  const icon = appIconPath({ packaged: app.isPackaged, resourcesPath: process.resourcesPath, mainDir: __dirname })
  const windowState = new WindowStateFile(userData)
  let savedState = await windowState.load()
  let savingState: Promise<void> = Promise.resolve()
  let flushWindowState: (() => void) | undefined
  let window: BrowserWindow | undefined
  const message = (options: Electron.MessageBoxOptions): void =>
    void (window && !window.isDestroyed() ? dialog.showMessageBox(window, options) : dialog.showMessageBox(options))
  Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenu(process.platform, {
    about: () => message({ type: 'info', title: 'About Stats2', message: 'Stats2', detail: aboutText(versions), icon, buttons: ['OK'] }),
    openDataFolder: () => {
      const folder = dataFolder(core.liveConfig(), userData)
      void shell.openPath(folder).then((problem) => {
        if (problem) message({ type: 'warning', title: 'Open data folder', message: `Cannot open ${folder}`, detail: problem, buttons: ['OK'] })
      })
    },
    copyDiagnostics: () => {
      void core.status().then((status) => {
        const text = diagnosticsText({ versions, status, dataFolder: dataFolder(core.liveConfig(), userData) })
        clipboard.writeText(text)
        message({ type: 'info', title: 'Copy diagnostics', message: 'Diagnostics copied to the clipboard', detail: text, buttons: ['OK'] })
      })
    }
  }, { devTools: !app.isPackaged }) as MenuItemConstructorOptions[]))

  const open = (): void => {
    if (window && !window.isDestroyed()) {
      if (window.isMinimized()) window.restore()
      window.focus()
      return
    }
    // The size and place of the last session, checked against the displays there are now.
    const place = restoreWindow(savedState, screen.getAllDisplays().map((display) => display.workArea))
    window = new BrowserWindow({
      ...windowOptions(join(__dirname, '..', 'preload', 'index.js'), icon, nativeTheme.shouldUseDarkColors),
      width: place.width,
      height: place.height,
      ...(place.x !== undefined && place.y !== undefined ? { x: place.x, y: place.y } : {})
    })
    if (place.maximized) window.maximize()
    flushWindowState = trackWindowState(window, (state) => {
      savedState = state
      savingState = windowState.save(state).catch((error: unknown) => log.warn(`window state not saved: ${(error as Error).message}`))
    })
    hardenContents(window.webContents, url, openExternal)
    window.once('ready-to-show', () => window?.show())
    void (url.startsWith('file:') ? window.loadFile(join(__dirname, '..', 'renderer', 'index.html')) : window.loadURL(url))
  }
  core.subscribe('updaterState', (state) => sendEvent(window?.webContents, 'updaterState', state))
  core.subscribe('statusChanged', (status) => sendEvent(window?.webContents, 'statusChanged', status))
  core.subscribe('watchNotifications', (events) => {
    sendEvent(window?.webContents, 'watchNotifications', events)
    showWatchNotifications(Notification, events, open)
  })
  app.on('second-instance', open)
  app.on('activate', open)
  // Closing the window does not stop a running update: the app stays until it ends, and a window
  // opened meanwhile (second launch) shows its progress.
  app.on('window-all-closed', () => {
    if (process.platform === 'darwin') return
    if (core.job.isRunning) {
      log.info('window closed during an update: finishing it before quitting')
      void core.job.wait().then(() => app.quit())
      return
    }
    app.quit()
  })
  let closing = false
  app.on('before-quit', (event) => {
    if (closing) return
    closing = true
    event.preventDefault()
    // app.exit destroys the window without its `close` event: save a move or resize still waiting.
    if (window && !window.isDestroyed()) flushWindowState?.()
    void Promise.allSettled([core.close(), savingState]).finally(() => app.exit(0))
  })
  open()
}

if (process.versions.electron) {
  startDesktop().catch((error: unknown) => {
    log.error(`start failed: ${error instanceof Error ? error.stack : String(error)}`)
    app.exit(1)
  })
}
