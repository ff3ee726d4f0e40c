/**
 * Browser mode (`stats2 ui`): serves the built renderer on 127.0.0.1 and answers the contract over
 * HTTP — `POST /api/<channel>` with the `x-stats2-token` header, events as Server-Sent Events on
 * `/api/events?token=…`. Loopback only, a random token per start, Host and Origin checked (no DNS
 * rebinding), the renderer's strict CSP sent as a header. Bounded like `stats2 serve`
 * (docs/service-limits.md): slow senders are cut, event streams are capped, pings keep them open.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { EVENT_NAMES, type EventName, type PayloadOf } from '../../shared/ipc-contract'
import { RENDERER_CSP } from '../../shared/csp'
import { createLogger } from '../log/logger'
import { ConcurrencyGate } from '../http/limits'
import { sendStaticFile } from '../http/static-files'
import { LimitError, MalformedPathError, StaticFileError } from '../http/errors'
import { dispatch, type Handlers } from './handlers'

const log = createLogger('bridge')

export { RENDERER_CSP }

const MAX_BODY = 1 << 20

/** Event streams open at once (browser tabs of this one user); more are answered 503 with Retry-After. */
export const BRIDGE_MAX_STREAMS = 16
/** Headers within this, the whole request within BRIDGE_REQUEST_TIMEOUT_MS; comments keep streams open every KEEP_ALIVE_MS. */
export const BRIDGE_HEADERS_TIMEOUT_MS = 10_000
export const BRIDGE_REQUEST_TIMEOUT_MS = 30_000
const KEEP_ALIVE_MS = 15_000

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
}

function decodePath(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new MalformedPathError('The path is not valid percent-encoding.')
  }
}

export interface BridgeOptions {
  handlers: Handlers
  rendererDir: string
  /** Subscribes to an app event; returns the unsubscribe function. */
  subscribe: <E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void) => () => void
  port?: number
  token?: string
}

export interface Bridge {
  url: string
  /** The URL to open: the page with its token. */
  openUrl: string
  token: string
  close(): Promise<void>
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json', extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...extra })
  res.end(body)
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new Error('request body too large')
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? {} : JSON.parse(text)
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = options.token ?? randomBytes(24).toString('hex')
  const root = resolve(options.rendererDir)
  await stat(join(root, 'index.html')).catch(() => {
    throw new Error(`The built renderer is missing (${join(root, 'index.html')}); run "npm run build" first.`)
  })
  let port = 0
  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`])
  const streams = new Set<ServerResponse>()
  // One user on loopback: only the instance's limit applies (503 beyond it).
  const streamGate = new ConcurrencyGate('event streams', { total: BRIDGE_MAX_STREAMS, perClient: Number.MAX_SAFE_INTEGER }, 5)

  const server: Server = createServer({
    headersTimeout: BRIDGE_HEADERS_TIMEOUT_MS,
    requestTimeout: BRIDGE_REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: 1000
  }, (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy()
      if (error instanceof MalformedPathError) return send(res, 400, error.message, 'text/plain')
      if (error instanceof LimitError) return send(res, error.status, error.message, 'text/plain', { 'retry-after': String(error.retryAfterSeconds), connection: 'close' })
      log.error(`request failed: ${(error as Error).message}`)
      send(res, 500, JSON.stringify({ ok: false, error: { code: 'internal', message: 'bridge error' } }))
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) return send(res, 403, 'wrong host', 'text/plain')
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    if (url.pathname.startsWith('/api/')) {
      const origin = req.headers.origin
      if (origin && !allowedHosts().has(origin.replace(/^http:\/\//, ''))) return send(res, 403, 'wrong origin', 'text/plain')
      if (url.pathname === '/api/events') return events(req, res, url)
      if (req.method !== 'POST') return send(res, 405, 'POST only', 'text/plain')
      if (!sameToken(req.headers['x-stats2-token'] as string | undefined, token)) {
        return send(res, 401, JSON.stringify({ ok: false, error: { code: 'forbidden', message: 'missing or wrong token' } }))
      }
      let body: unknown
      try {
        body = await readBody(req)
      } catch (error) {
        return send(res, 400, JSON.stringify({ ok: false, error: { code: 'invalid-argument', message: (error as Error).message } }))
      }
      const result = await dispatch(options.handlers, decodePath(url.pathname.slice('/api/'.length)), body)
      return send(res, 200, JSON.stringify(result))
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only', 'text/plain')
    try {
      await sendStaticFile(req, res, url.pathname, {
        root,
        headers: { 'content-security-policy': RENDERER_CSP, 'cache-control': 'no-store', ...SECURITY_HEADERS, 'x-frame-options': 'DENY' },
        requestPath: url.pathname
      })
    } catch (error) {
      if (!(error instanceof StaticFileError)) throw error
      send(res, error.status, error.status === 403 ? 'outside the renderer' : error.status === 404 ? 'not found' : error.message, 'text/plain')
    }
  }

  function events(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!sameToken(url.searchParams.get('token') ?? undefined, token)) return send(res, 401, 'missing or wrong token', 'text/plain')
    if (req.method !== 'GET') return send(res, 405, 'GET only', 'text/plain', { allow: 'GET' })
    const release = streamGate.enter('loopback')
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', ...SECURITY_HEADERS })
    res.flushHeaders()
    res.write(': stats2 events\n\n')
    streams.add(res)
    const unsubscribes = EVENT_NAMES.map((event) =>
      options.subscribe(event, (payload) => res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`))
    )
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS)
    const done = (): void => {
      clearInterval(keepAlive)
      for (const unsubscribe of unsubscribes) unsubscribe()
      streams.delete(res)
      release()
    }
    req.on('close', done)
    res.on('close', done)
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`127.0.0.1:${options.port} is already in use; choose another --port`) : error)
    )
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  port = (server.address() as { port: number }).port
  const url = `http://127.0.0.1:${port}`
  log.info(`dashboard served at ${url}`)
  return {
    url,
    openUrl: `${url}/?token=${token}`,
    token,
    close: () =>
      new Promise<void>((done) => {
        for (const stream of streams) stream.end()
        server.closeAllConnections()
        server.close(() => done())
      })
  }
}
