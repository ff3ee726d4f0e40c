/**
 * The browser-mode client of the contract (`npx stats2 ui`): every channel C is `POST /api/<C>`
 * with the token header, answering a `Result`; events arrive over Server-Sent Events. Pure: the
 * transport (fetch, EventSource) is injected, so this file needs no DOM types and is unit-tested.
 */
import { CHANNEL_NAMES, type ChannelName, type EventName } from '../../../shared/ipc-channels'
import type { PayloadOf, Stats2Api } from '../../../shared/ipc-contract'
import type { Result } from '../../../shared/result'

export interface HttpResponseLike {
  status: number
  text(): Promise<string>
}

export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void
  close(): void
}

export interface BridgeTransport {
  fetch(url: string, init: { method: 'POST'; headers: Record<string, string>; body: string }): Promise<HttpResponseLike>
  openEvents(url: string): EventSourceLike
}

export interface BridgeOptions {
  /** '' for the page's own origin, or `http://127.0.0.1:<port>`. */
  baseUrl: string
  token: string
  transport: BridgeTransport
}

export const TOKEN_HEADER = 'x-stats2-token'

function internal(message: string): Result<never> {
  return { ok: false, error: { code: 'internal', message } }
}

/** True for `{ok: true, value}` or `{ok: false, error: {code, message}}`. */
export function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  if (record.ok === true) return 'value' in record
  if (record.ok !== false) return false
  const error = record.error as Record<string, unknown> | undefined
  return typeof error === 'object' && error !== null && typeof error.code === 'string' && typeof error.message === 'string'
}

function describeStatus(status: number): string {
  if (status === 401 || status === 403) {
    return `The Stats2 server refused this page (HTTP ${status}): the session token is missing or out of date. Open the URL that "stats2 ui" printed.`
  }
  if (status >= 500) return `The Stats2 server failed (HTTP ${status}). See its log in the terminal.`
  return `The Stats2 server answered HTTP ${status}.`
}

/** One call: never throws; transport failures and non-200 answers become `{ok: false, code: 'internal'}`. */
export async function callChannel(options: BridgeOptions, channel: ChannelName, request: unknown): Promise<Result<unknown>> {
  let response: HttpResponseLike
  try {
    response = await options.transport.fetch(`${options.baseUrl}/api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: options.token },
      body: JSON.stringify(request ?? {})
    })
  } catch (error) {
    return internal(`The Stats2 server cannot be reached (${error instanceof Error ? error.message : String(error)}). Is "stats2 ui" still running?`)
  }
  if (response.status !== 200) return internal(describeStatus(response.status))
  let body: unknown
  try {
    body = JSON.parse(await response.text())
  } catch {
    return internal('The Stats2 server sent an answer that is not JSON.')
  }
  return isResult(body) ? body : internal('The Stats2 server sent an answer of an unexpected shape.')
}

type Listener = (payload: unknown) => void

export function createHttpApi(options: BridgeOptions): Stats2Api {
  const listeners = new Map<string, Set<Listener>>()
  let source: EventSourceLike | undefined
  const subscribed = new Set<string>()

  function ensureSubscribed(event: string): void {
    source ??= options.transport.openEvents(`${options.baseUrl}/api/events?token=${encodeURIComponent(options.token)}`)
    if (subscribed.has(event)) return
    subscribed.add(event)
    source.addEventListener(event, (message) => {
      if (typeof message.data !== 'string') return
      let payload: unknown
      try {
        payload = JSON.parse(message.data)
      } catch {
        return
      }
      for (const listener of [...(listeners.get(event) ?? [])]) listener(payload)
    })
  }

  const api: Record<string, unknown> = {}
  for (const channel of CHANNEL_NAMES) api[channel] = (request: unknown) => callChannel(options, channel, request)
  api.on = <E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): (() => void) => {
    const set = listeners.get(event) ?? new Set<Listener>()
    listeners.set(event, set)
    const wrapped = listener as Listener
    set.add(wrapped)
    ensureSubscribed(event)
    return () => {
      set.delete(wrapped)
    }
  }
  return api as Stats2Api
}

/**
 * The token of browser mode: from `?token=` (then kept in session storage and removed from the
 * address bar), else the one stored for this tab. Returns the search string to put back.
 */
export function resolveToken(search: string, stored: string | null): { token: string | undefined; search: string } {
  const params = new URLSearchParams(search)
  const fromUrl = params.get('token')
  if (fromUrl) {
    params.delete('token')
    const rest = params.toString()
    return { token: fromUrl, search: rest ? `?${rest}` : '' }
  }
  return { token: stored ?? undefined, search }
}
