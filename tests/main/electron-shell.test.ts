/**
 * The Electron-specific code (window options, security handlers, IPC registration, preload).
 * The Electron binary cannot run on these machines, so `electron` is replaced by a small fake that
 * records what the code asks of it — the one mock in this suite, and only for that reason. The
 * handlers behind IPC are the real ones.
 */
import { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { REPO_ROOT } from '../helpers/paths'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { CHANNEL_NAMES, ipcChannel } from '../../src/shared/ipc-contract'
import type { Handlers } from '../../src/main/ipc/handlers'

const fake = vi.hoisted(() => {
  const handled = new Map<string, (event: unknown, request: unknown) => Promise<unknown>>()
  const exposed: Record<string, unknown> = {}
  const invoked: Array<[string, unknown]> = []
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>()
  return { handled, exposed, invoked, listeners }
})

vi.mock('electron', () => ({
  app: { isPackaged: false, getPath: () => '/tmp', setName: () => undefined },
  BrowserWindow: class {},
  session: {},
  shell: { openExternal: vi.fn(async () => undefined) },
  safeStorage: { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'basic_text' },
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, request: unknown) => Promise<unknown>) => fake.handled.set(channel, fn),
    removeHandler: (channel: string) => fake.handled.delete(channel)
  },
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (fake.exposed[key] = value) },
  ipcRenderer: {
    invoke: async (channel: string, request: unknown) => {
      fake.invoked.push([channel, request])
      return { ok: true, value: channel }
    },
    on: (channel: string, fn: (...args: unknown[]) => void) => {
      if (!fake.listeners.has(channel)) fake.listeners.set(channel, new Set())
      fake.listeners.get(channel)!.add(fn)
    },
    removeListener: (channel: string, fn: (...args: unknown[]) => void) => fake.listeners.get(channel)?.delete(fn)
  }
}))

const shellModule = await import('../../src/main/index')
const { registerIpc } = await import('../../src/main/ipc/register')

const APP_URL = 'file:///opt/stats2/out/renderer/index.html'

describe('window', () => {
  it('isolates the renderer: context isolation, sandbox, no Node, no webview', () => {
    const prefs = shellModule.windowOptions('/x/preload.js').webPreferences!
    expect(prefs).toMatchObject({
      preload: '/x/preload.js', contextIsolation: true, sandbox: true, nodeIntegration: false,
      nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, webviewTag: false,
      allowRunningInsecureContent: false
    })
  })

  it('opens in the colour of the page behind it, light or dark as the OS theme is', async () => {
    const theme = await readFile(resolve(REPO_ROOT, 'src/renderer/src/styles/theme.css'), 'utf8')
    const dark = theme.slice(theme.indexOf('@media (prefers-color-scheme: dark)'))
    const token = (css: string): string | undefined => /--color-bg:\s*(#[0-9a-f]{6})/i.exec(css)?.[1]
    expect(shellModule.windowOptions('/x/preload.js').backgroundColor).toBe(token(theme))
    expect(shellModule.windowOptions('/x/preload.js', undefined, true).backgroundColor).toBe(token(dark))
    expect(token(dark)).not.toBe(token(theme))
  })

  it('recognises only its own page', () => {
    expect(shellModule.isAppUrl(APP_URL, APP_URL)).toBe(true)
    expect(shellModule.isAppUrl('file:///etc/passwd', APP_URL)).toBe(false)
    expect(shellModule.isAppUrl('https://cmsweb.cern.ch/', APP_URL)).toBe(false)
    expect(shellModule.isAppUrl('http://localhost:5173/#q=x', 'http://localhost:5173')).toBe(true)
    expect(shellModule.isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false)
  })

  it('blocks navigation and window.open, opening only allow-listed links outside', () => {
    const contents = new EventEmitter() as EventEmitter & { setWindowOpenHandler: (h: (d: { url: string }) => { action: string }) => void }
    let openHandler: ((d: { url: string }) => { action: string }) | undefined
    contents.setWindowOpenHandler = (handler) => (openHandler = handler)
    const opened: string[] = []
    shellModule.hardenContents(contents as never, APP_URL, async (url) => void opened.push(url))

    const navigate = (url: string): boolean => {
      let prevented = false
      contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url)
      return prevented
    }
    expect(navigate('https://evil.example/')).toBe(true)
    expect(navigate('https://cmsweb.cern.ch/das')).toBe(true)
    expect(navigate(APP_URL)).toBe(false)
    let webview = false
    contents.emit('will-attach-webview', { preventDefault: () => (webview = true) })
    expect(webview).toBe(true)

    expect(openHandler!({ url: 'https://cmsweb.cern.ch/reqmgr2/fetch?rid=x' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(opened).toEqual(['https://cmsweb.cern.ch/reqmgr2/fetch?rid=x'])
    // What is opened is the checked, normalised href, never the raw string.
    opened.length = 0
    openHandler!({ url: ' \thttps:\\cmsweb.cern.ch\\das?a=1&b=2' })
    expect(opened).toEqual(['https://cmsweb.cern.ch/das?a=1&b=2'])
  })

  it('loads the dev server only under electron-vite dev, never from a stray ELECTRON_RENDERER_URL', () => {
    const dev = 'http://localhost:5173'
    const isFile = (url: string): boolean => url.startsWith('file:') && url.endsWith('/renderer/index.html')
    expect(shellModule.rendererUrl({ ELECTRON_RENDERER_URL: dev, NODE_ENV_ELECTRON_VITE: 'development' }, false)).toBe(dev)
    expect(isFile(shellModule.rendererUrl({ ELECTRON_RENDERER_URL: 'https://evil.example/' }, false))).toBe(true)
    expect(isFile(shellModule.rendererUrl({ ELECTRON_RENDERER_URL: dev, NODE_ENV_ELECTRON_VITE: 'production' }, false))).toBe(true)
    expect(isFile(shellModule.rendererUrl({ ELECTRON_RENDERER_URL: dev, NODE_ENV_ELECTRON_VITE: 'development' }, true))).toBe(true)
    expect(isFile(shellModule.rendererUrl({ ELECTRON_RENDERER_URL: 'javascript:alert(1)', NODE_ENV_ELECTRON_VITE: 'development' }, false))).toBe(true)
    expect(isFile(shellModule.rendererUrl({}, false))).toBe(true)
  })

  it('adds the strict CSP to every response and refuses every permission', () => {
    let headersHook: ((d: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | undefined
    let permission: ((c: unknown, p: string, cb: (granted: boolean) => void) => void) | undefined
    let check: (() => boolean) | undefined
    shellModule.hardenSession({
      webRequest: { onHeadersReceived: (hook: typeof headersHook) => (headersHook = hook) },
      setPermissionRequestHandler: (handler: typeof permission) => (permission = handler),
      setPermissionCheckHandler: (handler: typeof check) => (check = handler)
    } as never)
    let headers: Record<string, string[]> = {}
    headersHook!({ responseHeaders: { 'X-Other': ['1'] } }, (result) => (headers = result.responseHeaders))
    expect(headers['Content-Security-Policy']![0]).toContain("script-src 'self'")
    expect(headers['Content-Security-Policy']![0]).toContain("default-src 'self'")
    expect(headers['X-Other']).toEqual(['1'])
    let granted: boolean | undefined
    permission!(undefined, 'media', (answer) => (granted = answer))
    expect(granted).toBe(false)
    expect(check!()).toBe(false)
  })

  it('refuses the plain-text secret backend', async () => {
    const store = await shellModule.openSecretStore('/tmp')
    expect(store.persistent).toBe(false)
  })
})

describe('IPC registration', () => {
  const calls: Array<[string, unknown]> = []
  const handlers = Object.fromEntries(
    CHANNEL_NAMES.map((name) => [name, async (request: unknown) => { calls.push([name, request]); return `${name}-answer` }])
  ) as unknown as Handlers

  beforeEach(() => {
    fake.handled.clear()
    calls.length = 0
  })

  it('registers exactly the contract channels and removes them again', () => {
    const remove = registerIpc({ handle: (c: string, f: never) => fake.handled.set(c, f), removeHandler: (c: string) => fake.handled.delete(c) } as never, handlers, () => true)
    expect([...fake.handled.keys()].sort()).toEqual(CHANNEL_NAMES.map(ipcChannel).sort())
    remove()
    expect(fake.handled.size).toBe(0)
  })

  it('validates every argument in main and refuses foreign frames', async () => {
    registerIpc({ handle: (c: string, f: never) => fake.handled.set(c, f), removeHandler: () => undefined } as never, handlers, (url) => url === APP_URL)
    const call = (channel: string, request: unknown, url = APP_URL): Promise<unknown> =>
      fake.handled.get(ipcChannel(channel as never))!({ senderFrame: { url } }, request)

    expect(await call('search', { text: 'HIG-Run3-00001' })).toEqual({ ok: true, value: 'search-answer' })
    expect(await call('search', { text: 'x' }, 'https://evil.example/')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call('search', { text: 'x'.repeat(5000) })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('search', { text: 'a\nb' })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('search', { text: 'x', extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('getWorkflow', { name: 'a\u0000b' })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('getWorkflow', { name: 'x'.repeat(1001) })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('updateSelected', { names: [] })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('updateSelected', { names: Array(501).fill('w') })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('setSettings', { concurrency: 0 })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await call('setSettings', { database: { kind: 'url', url: 'javascript:alert(1)' } })).toMatchObject({ ok: false })
    expect(await call('openExternal', 42)).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(calls).toEqual([['search', { text: 'HIG-Run3-00001' }]])
  })
})

describe('preload', () => {
  it('exposes exactly one method per contract channel, plus on()', async () => {
    await import('../../src/preload/index')
    const api = fake.exposed.stats2 as Record<string, (...args: unknown[]) => unknown>
    expect(Object.keys(api).sort()).toEqual([...CHANNEL_NAMES, 'on'].sort())
    expect(Object.isFrozen(api)).toBe(true)
    expect(await api.getStatus!({})).toEqual({ ok: true, value: 'stats2:getStatus' })
    expect(fake.invoked).toContainEqual(['stats2:getStatus', {}])

    const seen: unknown[] = []
    const off = api.on!('updaterState', (payload: unknown) => seen.push(payload)) as () => void
    for (const fn of fake.listeners.get('stats2:updaterState') ?? []) fn({}, { state: 'running' })
    off()
    for (const fn of fake.listeners.get('stats2:updaterState') ?? []) fn({}, { state: 'done' })
    expect(seen).toEqual([{ state: 'running' }])
    expect(() => api.on!('ipc-anything', () => undefined)).toThrow(/Unknown event/)
  })
})
