/**
 * BrowserWindow and webContents of the Electron stand-in. A window is one real Chromium window
 * (chromium-host.ts) with its bounds kept here, as Electron keeps them, and pushed to Chromium. Its
 * webContents runs the window's preload in the page before the page's scripts (page-bridge.js),
 * answers ipcRenderer.invoke through ipcMain, delivers webContents.send to the page, offers
 * `window.open` and links with a target to the window-open handler (the popup Chromium creates
 * anyway is closed: the stand-in opens no windows for pages), and emits will-navigate through the
 * session's request routing.
 *
 * Only the locked-down configuration the app uses is supported: context isolation and the sandbox
 * on, no Node in the page, no webview tag, web security on. Anything else is refused with an error.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Frame, Page } from 'playwright-core'
import type { ChromiumHost, HostedWindow, Rect } from './chromium-host'
import { ipcMain, type InvokeAnswer } from './ipc-main'
import { logText, records } from './records'
import { defaultSession, type RequestOwner } from './session'

export class StandinEvent {
  defaultPrevented = false

  preventDefault(): void {
    this.defaultPrevented = true
  }
}

export interface WindowHooks {
  host(): ChromiumHost | undefined
  workArea(bounds: Rect): Rect
  /** The last window is gone (not emitted while the app quits or exits). */
  allClosed(): void
  quitting(): boolean
}

let hooks: WindowHooks | undefined

export function setWindowHooks(given: WindowHooks): void {
  hooks = given
}

const PAGE_BRIDGE = readFileSync(join(__dirname, 'page-bridge.js'), 'utf8')

interface WindowOpenDetails {
  url: string
  frameName: string
  features: string
  disposition: 'default' | 'foreground-tab' | 'background-tab' | 'new-window' | 'other'
  referrer: { url: string; policy: string }
}
type WindowOpenHandler = (details: WindowOpenDetails) => { action: 'allow' | 'deny' }

/** A URL as a request shows it: no fragment. */
function withoutHash(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.hash = ''
    return parsed.href
  } catch {
    return url
  }
}

export class WebContents extends EventEmitter implements RequestOwner {
  private static readonly all = new Map<number, WebContents>()
  private static nextId = 1

  static getAllWebContents(): WebContents[] {
    return [...WebContents.all.values()]
  }

  static fromId(id: number): WebContents | undefined {
    return WebContents.all.get(id)
  }

  /** Playwright's Electron support finds a page's webContents by its DevTools target. */
  static fromDevToolsTargetId(targetId: string): WebContents | undefined {
    return WebContents.getAllWebContents().find((contents) => contents.hosted?.targetId === targetId)
  }

  static fromPage(page: Page): WebContents | undefined {
    return WebContents.getAllWebContents().find((contents) => contents.hosted?.page === page)
  }

  static getFocusedWebContents(): WebContents | undefined {
    return BrowserWindow.getFocusedWindow()?.webContents
  }

  readonly id = WebContents.nextId++
  readonly session = defaultSession
  private hosted: HostedWindow | undefined
  private readonly attached: Promise<HostedWindow>
  private destroyed = false
  private loaded = false
  private readonly mainNavigations: string[] = []
  private openHandler: WindowOpenHandler | undefined
  /** What is on its way to the page, in order. */
  private outbox: Promise<void> = Promise.resolve()
  private readonly names = {
    invoke: `__electronStandinInvoke_${randomBytes(6).toString('hex')}`,
    send: `__electronStandinSend_${randomBytes(6).toString('hex')}`,
    dispatch: `__electronStandinDispatch_${randomBytes(6).toString('hex')}`
  }

  constructor(private readonly window: BrowserWindow, opening: Promise<HostedWindow>, preload: string | undefined) {
    super()
    WebContents.all.set(this.id, this)
    this.attached = opening.then((hosted) => this.attach(hosted, preload))
    this.attached.catch((error: unknown) => {
      records.mainErrors.push(`window ${window.id} could not open: ${(error as Error).stack ?? String(error)}`)
    })
  }

  private async attach(hosted: HostedWindow, preload: string | undefined): Promise<HostedWindow> {
    const { page, cdp } = hosted
    // The binding only hands the call over; the answer goes back in order with what main sends (deliver).
    await page.exposeBinding(this.names.invoke, (source, channel: string, args: unknown[], id: number) => {
      void ipcMain.invokeFromPage(this, source.frame, channel, args).then((answer) => this.deliver({ reply: id, answer }, source.frame))
    })
    await page.exposeBinding(this.names.send, (source, channel: string, args: unknown[]) => ipcMain.sendFromPage(this, source.frame, channel, args))
    if (preload) {
      const config = { ...this.names, preloadPath: preload, platform: process.platform, versions: process.versions }
      const script = readFileSync(preload, 'utf8')
      await page.addInitScript(
        `${PAGE_BRIDGE}(${JSON.stringify(config)}, function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n${script}\n});`
      )
    }
    cdp.on('Page.windowOpen', (event: { url: string; windowName: string; windowFeatures: string[] }) => this.windowOpen(event))
    await cdp.send('Page.enable')
    page.on('domcontentloaded', () => this.emit('dom-ready', new StandinEvent()))
    page.on('load', () => {
      this.emit('did-finish-load', new StandinEvent())
      if (!this.loaded) {
        this.loaded = true
        this.window.emit('ready-to-show', new StandinEvent())
      }
    })
    // The page gone (closed from outside, or its renderer crashed): the window goes with it.
    page.on('close', () => this.window.destroy())
    this.hosted = hosted
    return hosted
  }

  private windowOpen(event: { url: string; windowName: string; windowFeatures: string[] }): void {
    const details: WindowOpenDetails = {
      url: event.url, frameName: event.windowName, features: event.windowFeatures.join(','), disposition: 'new-window',
      referrer: { url: this.getURL(), policy: 'strict-origin-when-cross-origin' }
    }
    const answer = this.openHandler ? this.openHandler(details) : { action: 'allow' as const }
    if (answer.action !== 'deny') {
      process.stderr.write(`electron-standin: window.open(${event.url}) allowed by the app; the stand-in opens no windows for pages, so it stays closed\n`)
    }
  }

  // ---- what session.ts asks ----------------------------------------------------------------------

  takeMainNavigation(url: string): boolean {
    const index = this.mainNavigations.indexOf(withoutHash(url))
    if (index < 0) return false
    this.mainNavigations.splice(index, 1)
    return true
  }

  willNavigate(url: string): boolean {
    const event = Object.assign(new StandinEvent(), { url, isMainFrame: true, isSameDocument: false })
    this.emit('will-navigate', event, url, false, true)
    return event.defaultPrevented
  }

  // ---- Electron's API ----------------------------------------------------------------------------

  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed')
    records.ipc.push({ direction: 'send', channel, toPage: logText(args) })
    this.deliver({ event: channel, args })
  }

  /**
   * To the page, after everything sent before it (Electron's IPC keeps that order): an event of
   * webContents.send (to the main frame), or the answer to an invoke (to the frame that asked).
   */
  private deliver(message: { event: string; args: unknown[] } | { reply: number; answer: InvokeAnswer }, frame?: Frame): void {
    const page = this.hosted?.page
    if (!page || this.destroyed) return
    const target = frame ?? page.mainFrame()
    this.outbox = this.outbox
      .then(() =>
        target.evaluate(([name, body]) => {
          const dispatch = (globalThis as unknown as Record<string, ((m: unknown) => void) | undefined>)[name]
          if (dispatch) dispatch(body)
        }, [this.names.dispatch, message] as [string, unknown])
      )
      .catch(() => undefined)
  }

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.openHandler = handler
  }

  async loadURL(url: string): Promise<void> {
    const { page } = await this.attached
    this.mainNavigations.push(withoutHash(url))
    try {
      await page.goto(url, { waitUntil: 'load' })
    } catch (error) {
      this.emit('did-fail-load', new StandinEvent(), -2, (error as Error).message, url, true)
      throw new Error(`ERR_FAILED (-2) loading '${url}': ${(error as Error).message}`)
    }
  }

  loadFile(filePath: string, options: { query?: Record<string, string>; search?: string; hash?: string } = {}): Promise<void> {
    const url = pathToFileURL(filePath)
    if (options.query) url.search = new URLSearchParams(options.query).toString()
    if (options.search) url.search = options.search
    if (options.hash) url.hash = options.hash
    return this.loadURL(url.href)
  }

  reload(): void {
    void this.attached.then(({ page }) => {
      this.mainNavigations.push(withoutHash(page.url()))
      return page.reload()
    }).catch(() => undefined)
  }

  getURL(): string {
    return this.hosted?.page.url() ?? ''
  }

  getTitle(): string {
    return this.window.getTitle()
  }

  isLoading(): boolean {
    return !this.loaded
  }

  isDestroyed(): boolean {
    return this.destroyed
  }

  focus(): void {
    this.window.focus()
  }

  executeJavaScript(code: string): Promise<unknown> {
    return this.attached.then(({ page }) => page.evaluate(code))
  }

  /** Closes the page, and with it the window (Playwright closes Electron pages this way). */
  close(): void {
    this.window.close()
  }

  /** Brings the page's Chromium window to the front. */
  bringToFront(): void {
    void this.attached.then(({ page }) => page.bringToFront()).catch(() => undefined)
  }

  /** Sets the Chromium window's bounds. */
  applyBounds(bounds: Rect): void {
    const host = hooks?.host()
    void this.attached.then(({ cdp, windowId }) => host?.setBounds(cdp, windowId, bounds)).catch(() => undefined)
  }

  /** The window is going: close its page. */
  destroy(): void {
    void this.attached.then(({ page }) => page.close()).catch(() => undefined)
    this.markDestroyed()
  }

  private markDestroyed(): void {
    if (this.destroyed) return
    this.destroyed = true
    WebContents.all.delete(this.id)
    this.emit('destroyed', new StandinEvent())
  }
}

export interface WindowOptions {
  width?: number
  height?: number
  x?: number
  y?: number
  minWidth?: number
  minHeight?: number
  show?: boolean
  title?: string
  webPreferences?: Record<string, unknown>
  [other: string]: unknown
}

/** webPreferences the stand-in cannot honour: it models the locked-down window only. */
function refusedPreferences(prefs: Record<string, unknown>): string[] {
  const refused: string[] = []
  if (prefs.contextIsolation === false) refused.push('contextIsolation: false')
  if (prefs.sandbox === false) refused.push('sandbox: false')
  if (prefs.nodeIntegration === true) refused.push('nodeIntegration: true')
  if (prefs.nodeIntegrationInSubFrames === true) refused.push('nodeIntegrationInSubFrames: true')
  if (prefs.nodeIntegrationInWorker === true) refused.push('nodeIntegrationInWorker: true')
  if (prefs.webviewTag === true) refused.push('webviewTag: true')
  if (prefs.webSecurity === false) refused.push('webSecurity: false')
  if (prefs.allowRunningInsecureContent === true) refused.push('allowRunningInsecureContent: true')
  return refused
}

export class BrowserWindow extends EventEmitter {
  private static readonly all: BrowserWindow[] = []
  private static focused: BrowserWindow | undefined
  private static nextId = 1

  static getAllWindows(): BrowserWindow[] {
    return [...BrowserWindow.all]
  }

  static getFocusedWindow(): BrowserWindow | null {
    return BrowserWindow.focused ?? null
  }

  static fromWebContents(contents: WebContents): BrowserWindow | null {
    return BrowserWindow.all.find((window) => window.webContents === contents) ?? null
  }

  static fromId(id: number): BrowserWindow | null {
    return BrowserWindow.all.find((window) => window.id === id) ?? null
  }

  readonly id = BrowserWindow.nextId++
  readonly webContents: WebContents
  private bounds: Rect
  private normalBounds: Rect
  private readonly minimum: { width: number; height: number }
  private title: string
  private visible = false
  private maximized = false
  private minimized = false
  private fullScreen = false
  private destroyed = false
  /** How many times focus() was asked for (the stand-in's own record). */
  focusRequests = 0

  constructor(options: WindowOptions = {}) {
    super()
    const host = hooks?.host()
    if (!host) throw new Error('Cannot create BrowserWindow before app is ready')
    const prefs = options.webPreferences ?? {}
    const refused = refusedPreferences(prefs)
    if (refused.length > 0) throw new Error(`electron-standin supports only the locked-down window; refused: ${refused.join(', ')}`)
    const preload = typeof prefs.preload === 'string' ? prefs.preload : undefined
    if (preload !== undefined && (!isAbsolute(preload) || !existsSync(preload))) throw new Error(`Unable to load preload script: ${preload}`)
    this.minimum = { width: options.minWidth ?? 0, height: options.minHeight ?? 0 }
    const width = Math.max(options.width ?? 800, this.minimum.width)
    const height = Math.max(options.height ?? 600, this.minimum.height)
    // Without a position Electron centres the window on the display.
    const area = hooks!.workArea({ x: options.x ?? 0, y: options.y ?? 0, width, height })
    this.bounds = {
      x: options.x ?? Math.round(area.x + (area.width - width) / 2),
      y: options.y ?? Math.round(area.y + (area.height - height) / 2),
      width,
      height
    }
    this.normalBounds = { ...this.bounds }
    this.title = options.title ?? 'Electron'
    this.webContents = new WebContents(this, host.openWindow(this.bounds), preload)
    BrowserWindow.all.push(this)
    if (options.show !== false) this.show()
  }

  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url)
  }

  loadFile(filePath: string, options?: { query?: Record<string, string>; search?: string; hash?: string }): Promise<void> {
    return this.webContents.loadFile(filePath, options)
  }

  // ---- bounds ------------------------------------------------------------------------------------

  getBounds(): Rect {
    return { ...this.bounds }
  }

  getNormalBounds(): Rect {
    return { ...(this.maximized || this.fullScreen ? this.normalBounds : this.bounds) }
  }

  getSize(): [number, number] {
    return [this.bounds.width, this.bounds.height]
  }

  getPosition(): [number, number] {
    return [this.bounds.x, this.bounds.y]
  }

  setSize(width: number, height: number): void {
    this.setBounds({ width, height })
  }

  setPosition(x: number, y: number): void {
    this.setBounds({ x, y })
  }

  setBounds(given: Partial<Rect>): void {
    const next: Rect = {
      x: Math.round(given.x ?? this.bounds.x),
      y: Math.round(given.y ?? this.bounds.y),
      width: Math.max(Math.round(given.width ?? this.bounds.width), this.minimum.width),
      height: Math.max(Math.round(given.height ?? this.bounds.height), this.minimum.height)
    }
    this.moveTo(next)
  }

  private moveTo(next: Rect): void {
    const before = this.bounds
    this.bounds = next
    if (!this.maximized && !this.fullScreen) this.normalBounds = { ...next }
    this.webContents.applyBounds(next)
    if (next.width !== before.width || next.height !== before.height) this.emit('resize', new StandinEvent())
    if (next.x !== before.x || next.y !== before.y) this.emit('move', new StandinEvent())
  }

  maximize(): void {
    if (this.maximized) return
    this.normalBounds = { ...this.bounds }
    this.maximized = true
    this.moveTo(hooks!.workArea(this.bounds))
    this.emit('maximize', new StandinEvent())
  }

  unmaximize(): void {
    if (!this.maximized) return
    this.maximized = false
    this.moveTo({ ...this.normalBounds })
    this.emit('unmaximize', new StandinEvent())
  }

  isMaximized(): boolean {
    return this.maximized
  }

  minimize(): void {
    if (this.minimized) return
    this.minimized = true
    this.emit('minimize', new StandinEvent())
  }

  restore(): void {
    if (!this.minimized) return
    this.minimized = false
    this.emit('restore', new StandinEvent())
  }

  isMinimized(): boolean {
    return this.minimized
  }

  setFullScreen(flag: boolean): void {
    if (flag === this.fullScreen) return
    this.fullScreen = flag
    this.emit(flag ? 'enter-full-screen' : 'leave-full-screen', new StandinEvent())
  }

  isFullScreen(): boolean {
    return this.fullScreen
  }

  // ---- visibility and focus ----------------------------------------------------------------------

  show(): void {
    if (!this.visible) {
      this.visible = true
      this.emit('show', new StandinEvent())
    }
    this.focus()
  }

  hide(): void {
    if (!this.visible) return
    this.visible = false
    this.emit('hide', new StandinEvent())
  }

  isVisible(): boolean {
    return this.visible
  }

  focus(): void {
    this.focusRequests += 1
    this.webContents.bringToFront()
    if (BrowserWindow.focused === this) return
    const previous = BrowserWindow.focused
    BrowserWindow.focused = this
    previous?.emit('blur', new StandinEvent())
    this.emit('focus', new StandinEvent())
  }

  blur(): void {
    if (BrowserWindow.focused !== this) return
    BrowserWindow.focused = undefined
    this.emit('blur', new StandinEvent())
  }

  isFocused(): boolean {
    return BrowserWindow.focused === this
  }

  getTitle(): string {
    return this.title
  }

  setTitle(title: string): void {
    this.title = title
  }

  // ---- closing -----------------------------------------------------------------------------------

  /** As a click on the window's close button: `close` may be prevented, then the window goes. */
  close(): void {
    if (this.destroyed) return
    const event = new StandinEvent()
    this.emit('close', event)
    if (event.defaultPrevented) return
    this.destroy()
  }

  /** Goes at once: no `close` event, `closed` always. */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    BrowserWindow.all.splice(BrowserWindow.all.indexOf(this), 1)
    if (BrowserWindow.focused === this) BrowserWindow.focused = undefined
    this.webContents.destroy()
    this.emit('closed', new StandinEvent())
    if (BrowserWindow.all.length === 0 && !hooks?.quitting()) hooks?.allClosed()
  }

  isDestroyed(): boolean {
    return this.destroyed
  }
}
