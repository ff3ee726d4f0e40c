/**
 * session.defaultSession of the Electron stand-in. Every request of every window passes through
 * here (a Playwright route on the browser context):
 *
 * - a navigation of a window's main frame that the page started (a link, `location.href = …`) is
 *   first offered to the window's `will-navigate` listeners; `preventDefault()` aborts it, as in
 *   Electron. Loads started from main (`loadFile`, `loadURL`, `reload`) do not emit it;
 * - `webRequest.onHeadersReceived` sees each response and the headers it answers are the ones
 *   Chromium gets: file:// responses are read from disk and fulfilled with them, http(s) responses
 *   are fetched for real and fulfilled with them. (Electron applies this to file:// responses too
 *   in recent versions; its CSP header is then in force beside the page's CSP meta element.)
 *
 * Permission handlers are kept but not consulted: headless Chromium under Playwright grants no
 * permission anyway, which is what the app's handlers answer.
 */
import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Request, Route } from 'playwright-core'

export type ResourceType = 'mainFrame' | 'subFrame' | 'stylesheet' | 'script' | 'image' | 'font' | 'object' | 'xhr' | 'ping' | 'cspReport' | 'media' | 'webSocket' | 'other'

export interface HeadersDetails {
  id: number
  url: string
  method: string
  webContentsId?: number
  resourceType: ResourceType
  referrer: string
  timestamp: number
  statusLine: string
  statusCode: number
  responseHeaders: Record<string, string[]>
}

export interface HeadersResponse {
  cancel?: boolean
  responseHeaders?: Record<string, string | string[]>
  statusLine?: string
}

type HeadersListener = (details: HeadersDetails, callback: (response: HeadersResponse) => void) => void

/** The window a request belongs to, as the route needs it. */
export interface RequestOwner {
  readonly id: number
  /** True when main started this navigation (so no will-navigate); consumes the mark. */
  takeMainNavigation(url: string): boolean
  /** Emits will-navigate; true when a listener prevented it. */
  willNavigate(url: string): boolean
}

const MIME: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain', '.map': 'application/json'
}

function resourceTypeOf(request: Request): ResourceType {
  switch (request.resourceType()) {
    case 'document': return request.frame().parentFrame() ? 'subFrame' : 'mainFrame'
    case 'stylesheet': return 'stylesheet'
    case 'script': return 'script'
    case 'image': return 'image'
    case 'font': return 'font'
    case 'xhr': case 'fetch': case 'eventsource': return 'xhr'
    case 'media': return 'media'
    case 'websocket': return 'webSocket'
    case 'ping': return 'ping'
    default: return 'other'
  }
}

class WebRequest {
  headersListener: HeadersListener | undefined

  onHeadersReceived(filterOrListener: unknown, maybeListener?: HeadersListener | null): void {
    const listener = typeof filterOrListener === 'function' ? (filterOrListener as HeadersListener) : maybeListener
    this.headersListener = listener ?? undefined
  }
}

export class Session {
  readonly webRequest = new WebRequest()
  permissionRequestHandler: unknown
  permissionCheckHandler: unknown
  private nextRequestId = 1

  setPermissionRequestHandler(handler: unknown): void {
    this.permissionRequestHandler = handler
  }

  setPermissionCheckHandler(handler: unknown): void {
    this.permissionCheckHandler = handler
  }

  /** One request of a window's page (`owner`), or of a page no window owns (refused). */
  async route(route: Route, owner: RequestOwner | undefined): Promise<void> {
    const request = route.request()
    if (!owner) return route.abort('blockedbyclient')
    const mainFrameNavigation = request.isNavigationRequest() && request.frame().parentFrame() === null
    if (mainFrameNavigation && !owner.takeMainNavigation(request.url()) && owner.willNavigate(request.url())) {
      return route.abort('aborted')
    }
    const listener = this.webRequest.headersListener
    const url = new URL(request.url())
    if (!listener || !['file:', 'http:', 'https:'].includes(url.protocol)) return route.continue()

    let status = 200
    let statusLine = 'HTTP/1.1 200 OK'
    let headers: Record<string, string[]>
    let body: Buffer
    if (url.protocol === 'file:') {
      const path = fileURLToPath(url)
      const found = await stat(path).catch(() => undefined)
      // Chromium's own error pages for what is not a readable file.
      if (!found?.isFile()) return route.continue()
      body = await readFile(path)
      headers = { 'content-type': [MIME[extname(path).toLowerCase()] ?? 'application/octet-stream'] }
    } else {
      const response = await route.fetch()
      status = response.status()
      statusLine = `HTTP/1.1 ${status} ${response.statusText()}`
      headers = {}
      for (const { name, value } of response.headersArray()) (headers[name.toLowerCase()] ??= []).push(value)
      body = await response.body()
    }
    const answer = await new Promise<HeadersResponse>((resolve) =>
      listener(
        {
          id: this.nextRequestId++, url: request.url(), method: request.method(), webContentsId: owner.id, resourceType: resourceTypeOf(request),
          referrer: request.headers().referer ?? '', timestamp: Date.now(), statusLine, statusCode: status, responseHeaders: headers
        },
        resolve
      )
    )
    if (answer.cancel) return route.abort('blockedbyclient')
    const given = answer.responseHeaders ?? headers
    const flat: Record<string, string> = {}
    // One header line per name: several values join with a comma (for CSP, several policies, all enforced).
    for (const [name, value] of Object.entries(given)) flat[name] = Array.isArray(value) ? value.join(', ') : value
    const statusFrom = answer.statusLine ? Number(/^\S+\s+(\d{3})/.exec(answer.statusLine)?.[1] ?? status) : status
    return route.fulfill({ status: statusFrom, headers: flat, body })
  }
}

export const defaultSession = new Session()
