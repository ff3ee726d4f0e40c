/**
 * The one way the renderer reaches the main process: `window.stats2` (the Electron preload, or a
 * test's shim) when present, otherwise the HTTP bridge of browser mode. Both have the same shape
 * and the same `Result` answers, so nothing else in the renderer knows which one it talks to.
 */
import type { Stats2Api } from '../../shared/ipc-contract'
import { createHttpApi, resolveToken, type EventSourceLike, type HttpResponseLike } from './lib/http-bridge'

const TOKEN_KEY = 'stats2.token'

let api: Stats2Api | undefined

function readStoredToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

function browserToken(): string {
  const { token, search } = resolveToken(location.search, readStoredToken())
  if (token) {
    try {
      sessionStorage.setItem(TOKEN_KEY, token)
    } catch {
      // Storage disabled: the token lives in memory for this page only.
    }
    if (search !== location.search) history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`)
  }
  return token ?? ''
}

function createBrowserApi(): Stats2Api {
  return createHttpApi({
    // The page's own folder: '' for `stats2 ui`, `/stats/dashboard` under `stats2 serve`'s base path.
    baseUrl: location.pathname.replace(/\/[^/]*$/, ''),
    token: browserToken(),
    transport: {
      fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' }) as Promise<HttpResponseLike>,
      openEvents: (url) => new EventSource(url) as unknown as EventSourceLike
    }
  })
}

export function getApi(): Stats2Api {
  if (api) return api
  const injected = (window as unknown as { stats2?: Stats2Api }).stats2
  api = injected ?? createBrowserApi()
  return api
}

/** True in browser mode (`stats2 ui`): notifications are then the page's own Web Notifications. */
export function isBrowserMode(): boolean {
  return !(window as unknown as { stats2?: Stats2Api }).stats2
}
