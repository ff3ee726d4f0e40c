/**
 * The Chromium behind the Electron stand-in: Debian's Chromium, headless, started by Playwright with
 * the app's userData folder as its profile (as Electron's own Chromium uses it). Every BrowserWindow
 * is one real Chromium window (its own target, with real bounds); its page is a Playwright Page.
 * Chromium also listens for DevTools on a port, so a test can attach to the same windows the way
 * Playwright attaches to a real Electron app.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type BrowserContext, type CDPSession, type Page, type Route } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium'
import { systemColorScheme } from './native-theme'

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface HostedWindow {
  page: Page
  cdp: CDPSession
  targetId: string
  windowId: number
}

export interface HostHooks {
  /** Every request of every page (Electron's session sees them all). */
  route(route: Route): Promise<void>
  /** A page no BrowserWindow asked for: a popup the page opened. */
  strayPage(page: Page): void
}

export class ChromiumHost {
  private readonly windows = new WeakSet<Page>()
  /** Windows being opened: a new page is a stray only once they are all known. */
  private opening: Promise<unknown> = Promise.resolve()

  private constructor(
    readonly context: BrowserContext,
    /** ws://… of the browser target, for a test to attach over CDP. */
    readonly wsEndpoint: string,
    /** Chromium's version, e.g. 156.0.8078.114. */
    readonly version: string
  ) {}

  static async launch(profileDir: string, screens: Rect[], hooks: HostHooks): Promise<ChromiumHost> {
    const screenInfo = screens.map((s) => `{${s.x},${s.y} ${s.width}x${s.height}}`).join('')
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      args: [
        ...CHROMIUM_ARGS,
        '--remote-debugging-port=0',
        // Electron lets its file:// pages load their module scripts and styles from file://; Chromium
        // refuses cross-origin module loads from the opaque file origin unless told otherwise.
        '--allow-file-access-from-files',
        `--screen-info=${screenInfo}`
      ],
      viewport: null,
      // The windows follow the stand-in's operating-system theme, as Electron's follow the OS's.
      colorScheme: systemColorScheme()
    })
    // Chromium opens with one blank tab; Electron has no window until the app opens one.
    let version = ''
    for (const page of context.pages()) {
      const cdp = await context.newCDPSession(page)
      version ||= ((await cdp.send('Browser.getVersion')) as { product: string }).product.replace(/^[^/]*\//, '')
      await page.close()
    }
    const [port, path] = (await readFile(join(profileDir, 'DevToolsActivePort'), 'utf8')).split('\n')
    const host = new ChromiumHost(context, `ws://127.0.0.1:${port}${path}`, version)
    await context.route('**/*', (route) => hooks.route(route))
    context.on('page', (page) => {
      void host.opening.then(() => {
        if (!host.windows.has(page)) hooks.strayPage(page)
      })
    })
    return host
  }

  /** A new Chromium window at these bounds, showing about:blank. */
  openWindow(bounds: Rect): Promise<HostedWindow> {
    const opened = this.open(bounds)
    this.opening = Promise.allSettled([this.opening, opened])
    return opened
  }

  private async open(bounds: Rect): Promise<HostedWindow> {
    const existing = this.context.pages()
    let page: Page
    if (existing.length === 0) {
      // The first window of an empty browser: Chromium opens it as a window of its own.
      page = await this.context.newPage()
    } else {
      const creator = await this.context.newCDPSession(existing[0]!)
      const { targetId } = await creator.send('Target.createTarget', { url: 'about:blank', newWindow: true })
      await creator.detach()
      page = await this.pageOfTarget(targetId)
    }
    this.windows.add(page)
    const cdp = await this.context.newCDPSession(page)
    const { targetInfo } = await cdp.send('Target.getTargetInfo')
    const { windowId } = await cdp.send('Browser.getWindowForTarget')
    await this.setBounds(cdp, windowId, bounds)
    return { page, cdp, targetId: targetInfo.targetId, windowId }
  }

  async setBounds(cdp: CDPSession, windowId: number, bounds: Rect): Promise<void> {
    await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'normal' } })
    await cdp.send('Browser.setWindowBounds', { windowId, bounds: { left: bounds.x, top: bounds.y, width: bounds.width, height: bounds.height } })
  }

  private async pageOfTarget(targetId: string): Promise<Page> {
    const find = async (): Promise<Page | undefined> => {
      for (const page of this.context.pages()) {
        if (this.windows.has(page)) continue
        const cdp = await this.context.newCDPSession(page)
        const { targetInfo } = await cdp.send('Target.getTargetInfo')
        await cdp.detach()
        if (targetInfo.targetId === targetId) return page
      }
      return undefined
    }
    for (;;) {
      const found = await find()
      if (found) return found
      await this.context.waitForEvent('page')
    }
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined)
  }
}
