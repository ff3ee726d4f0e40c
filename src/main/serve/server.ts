/**
 * `stats2 serve`: the old Stats2 web service's URLs (../shared/spec/stats2-web.md) on node:http, over
 * the store. Stateless apart from the update queue: several instances can serve one CouchDB.
 * One log line per request; errors answer a status and a clear message, never a stack trace; a
 * store that cannot be reached answers 503 with the reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { ServeConfig } from '../config/serve-config'
import { StoreError, type CouchStore } from '../store/couch-store'
import { createLogger } from '../log/logger'
import { workflowName as workflowNameSchema } from '../../shared/ipc-contract'
import type { Authoriser } from './auth'
import { Dashboard, HEAVY_AT_ONCE, limited, readOnlyHandlers } from './dashboard'
import { BadRequestError, HttpError, MethodNotAllowedError } from './errors'
import { BusyError, NotFoundError } from '../core/errors'
import { errorMapping } from '../core/error-codes'
import { sortedJson } from './json'
import { markdownTable } from './markdown'
import { FRONT_PAGE_CSS, renderFrontPage } from './page'
import { checkParam, parsePage, readPage, readPages, selectorOf, VIEW_OF, VIEW_SELECTORS } from './query'
import { requestsDocCount, viewHasKey } from './store-reads'
import type { UpdateQueue } from './updates'
import { OverviewService } from '../overview/service'
import { answerOverview } from './overview-route'

const log = createLogger('serve')

/** Pages read by `/api/fetch` and `/md` at most (stats2-web.md). */
export const FETCH_MAX_PAGES = 100
export const MD_MAX_PAGES = 5
const MAX_UPDATE_BODY = 16 * 1024

/** The front page's policy: no script at all, styles from the service, forms and base only to itself. */
export const FRONT_PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

const COMMON_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY'
}

/**
 * The front page's header figures (doc_count, last update) are re-read at most this often per
 * instance: they change once per update run, and a busy page then costs one store call, not three.
 */
export const HEADER_CACHE_MS = 2000

/** A value re-read after `ttlMs`; concurrent readers share one read; failures are not kept. */
export function cachedRead<T>(read: () => Promise<T>, ttlMs: number, clock: () => number = Date.now): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined
  return () => {
    if (value && clock() - value.at < ttlMs) return value.promise
    const promise = read()
    const entry = { at: clock(), promise }
    value = entry
    promise.catch(() => {
      if (value === entry) value = undefined
    })
    return promise
  }
}

export const MISSING_NAME_MESSAGE = "Please provide the workflow name via 'workflow_name' query parameter"

export interface ServeDeps {
  config: ServeConfig
  store: CouchStore
  auth: Authoriser
  updates: UpdateQueue
  rendererDir: string
  /** Unix seconds; injectable for tests. */
  now?: () => number
}

export interface RunningService {
  /** `http://host:port` + base path (no trailing slash unless the base is `/`). */
  url: string
  port: number
  /** Stops accepting, waits for requests in flight (at most `drainMs`), then closes what is left. */
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, body: string, type: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end()
    return
  }
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'cache-control': 'no-store', ...extra })
  res.end(body)
}

const json = (res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void =>
  send(res, status, body, 'application/json', extra)

/** Compact JSON, as the old service's jsonify answers of `api/update`. */
const jsonMessage = (value: Record<string, string | number>): string => JSON.stringify(value) + '\n'

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new BadRequestError('The path is not valid percent-encoding.')
  }
}

async function readUpdateBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_UPDATE_BODY) throw new BadRequestError(`The request body is over ${MAX_UPDATE_BODY} bytes; send {"workflow": "<name>"}.`)
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return {}
  const type = String(req.headers['content-type'] ?? '')
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text))
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new BadRequestError('The request body is not JSON; send {"workflow": "<name>"}.')
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('The request body must be a JSON object: {"workflow": "<name>"}.')
  return body as Record<string, unknown>
}

export function createServeHandler(deps: ServeDeps): { handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>; dashboard: Dashboard } {
  const { config, store, auth, updates } = deps
  const now = deps.now ?? (() => Date.now() / 1000)
  const base = config.basePath === '/' ? '' : config.basePath
  // One overview engine per instance: the route and the dashboard read the same facts.
  const overview = new OverviewService(store, deps.now ? { now: () => Math.floor(deps.now!()) } : {})
  const overviewAnswer = limited(HEAVY_AT_ONCE, ({ res, params }: { res: ServerResponse; params: URLSearchParams }) =>
    answerOverview(res, params, overview, (out, status, body) => json(out, status, body)))
  const dashboard = new Dashboard({ rendererDir: deps.rendererDir, handlers: readOnlyHandlers(store, overview) })
  const headerFigures = cachedRead(async () => {
    const [totalWorkflows, settings] = await Promise.all([requestsDocCount(store), store.getSettings()])
    return { totalWorkflows, lastUpdate: typeof settings.last_dbs_update_date === 'number' ? settings.last_dbs_update_date : undefined }
  }, HEADER_CACHE_MS)

  /** Whether the route answers JSON (errors then too). */
  const isApi = (rest: string): boolean => rest.startsWith('/api/') || rest.startsWith('/get_json/') || rest === '/healthz'

  async function frontPage(res: ServerResponse, url: URL, page: number, head: boolean): Promise<void> {
    const selector = selectorOf(url.searchParams)
    const [{ docs, full }, { totalWorkflows, lastUpdate }] = await Promise.all([readPage(store, selector, page), headerFigures()])
    const html = renderFrontPage({
      basePath: config.basePath,
      query: url.search.replace(/^\?/, ''),
      selector,
      page,
      hasNext: full,
      docs,
      totalWorkflows,
      lastUpdate,
      now: now()
    })
    send(res, 200, head ? '' : html, 'text/html; charset=utf-8', { 'content-security-policy': FRONT_PAGE_CSP })
  }

  async function search(res: ServerResponse, url: URL): Promise<void> {
    const q = checkParam('q', url.searchParams.get('q') ?? '').trim()
    const target = (param?: string): string => `${base === '' ? '/' : base}${param ? `?${param}=${encodeURIComponent(q)}` : ''}`
    if (q === '') return send(res, 302, '', 'text/plain', { location: target() })
    // All views at once (one round trip's latency), then the first in the spec's order.
    const found = await Promise.all(VIEW_SELECTORS.map((selector) => viewHasKey(store, VIEW_OF[selector], q)))
    const index = found.indexOf(true)
    send(res, 302, '', 'text/plain', { location: target(index < 0 ? 'workflow_name' : VIEW_SELECTORS[index]) })
  }

  async function getJson(res: ServerResponse, encodedName: string): Promise<void> {
    const name = safeDecode(encodedName)
    checkParam('name', name)
    // Flask's <string:> takes no slash; `_` documents (design, local) are never workflows.
    const doc = name === '' || name.includes('/') || name.startsWith('_') ? undefined : await store.getWorkflow(name)
    if (!doc) return json(res, 404, '{}')
    json(res, 200, sortedJson(doc))
  }

  async function update(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'POST') throw new MethodNotAllowedError(['GET', 'POST'])
    const decision = auth.authorise(req)
    if (!decision.ok) {
      req.resume()
      return json(res, decision.status, jsonMessage({ error: decision.message }), decision.status === 401 ? { 'www-authenticate': 'Bearer realm="stats2"' } : {})
    }
    let name: unknown
    if (req.method === 'GET') {
      name = url.searchParams.get('workflow_name') ?? ''
    } else {
      name = url.searchParams.get('workflow') ?? url.searchParams.get('workflow_name') ?? (await readUpdateBody(req)).workflow ?? ''
    }
    if (typeof name !== 'string' || name.trim() === '') return json(res, 400, jsonMessage({ msg: MISSING_NAME_MESSAGE }))
    const parsed = workflowNameSchema.safeParse(name.trim())
    if (!parsed.success) {
      return json(res, 400, jsonMessage({ msg: `Invalid workflow name: ${parsed.error.issues[0]?.message ?? 'not a ReqMgr2 RequestName'}` }))
    }
    const workflow = parsed.data
    log.info(`update of ${workflow} requested by ${decision.caller}`)
    try {
      await updates.update(workflow)
    } catch (error) {
      if (error instanceof HttpError || error instanceof BusyError) throw error
      // A programming error's text means nothing to the caller: it goes to the log only.
      const internal = error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || !(error instanceof Error)
      if (internal) log.error(`update of ${workflow} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      const reason = internal ? 'An internal error stopped the update; the service log has the details.' : (error as Error).message
      return json(res, 500, jsonMessage({
        error: `Unfortunately, there were issues updating workflow: ${workflow}, there are described below:\n${reason}`
      }))
    }
    json(res, 200, jsonMessage({ msg: `Workflow ${workflow} has been updated successfully` }))
  }

  async function health(res: ServerResponse): Promise<void> {
    try {
      const count = await requestsDocCount(store)
      json(res, 200, jsonMessage({ status: 'ok', documents: count }))
    } catch (error) {
      json(res, 503, jsonMessage({ status: 'unavailable', reason: (error as Error).message }))
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, rest: string): Promise<void> {
    if (rest === '/api/update') return update(req, res, url)
    if (rest === '/dashboard') return send(res, 301, '', 'text/plain', { location: `${base}/dashboard/` })
    if (rest.startsWith('/dashboard/')) return dashboard.handle(req, res, rest.slice('/dashboard'.length), COMMON_HEADERS)
    const head = req.method === 'HEAD'
    if (req.method !== 'GET' && !head) throw new MethodNotAllowedError(['GET'])
    if (rest === '/' || rest === '') return frontPage(res, url, 0, head)
    const pageMatch = /^\/(-?\d+)$/.exec(rest)
    if (pageMatch) return frontPage(res, url, parsePage(pageMatch[1]!), head)
    if (rest === '/search') return search(res, url)
    const jsonMatch = /^\/(?:api\/)?get_json\/(.*)$/.exec(rest)
    if (jsonMatch) return getJson(res, jsonMatch[1]!)
    if (rest === '/api/fetch') {
      const docs = await readPages(store, selectorOf(url.searchParams), FETCH_MAX_PAGES)
      return json(res, 200, sortedJson(docs))
    }
    if (rest === '/api/overview') return overviewAnswer({ res, params: url.searchParams })
    if (rest === '/md') {
      const docs = await readPages(store, selectorOf(url.searchParams), MD_MAX_PAGES)
      return send(res, 200, markdownTable(docs, config.publicUrl), 'text/plain; charset=utf-8')
    }
    if (rest === '/healthz') return health(res)
    if (rest === '/static/stats2.css') return send(res, 200, FRONT_PAGE_CSS, 'text/css; charset=utf-8', { 'cache-control': 'max-age=3600' })
    throw new NotFoundError('Not found')
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const rawUrl = req.url ?? '/'
    let pathname = rawUrl.split('?')[0] ?? '/'
    res.once('close', () => {
      log.info(`${req.method} ${pathname.slice(0, 300)} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`)
    })
    let rest = ''
    try {
      if (rawUrl.length > 8192) throw new BadRequestError('The URL is over 8192 characters.')
      let url: URL
      try {
        url = new URL(rawUrl, 'http://service.invalid')
      } catch {
        throw new BadRequestError('The URL cannot be parsed.')
      }
      pathname = url.pathname
      if (base !== '' && pathname !== base && !pathname.startsWith(`${base}/`)) throw new NotFoundError(`Not found: this service answers under ${base}/`)
      rest = pathname.slice(base.length)
      await route(req, res, url, rest)
    } catch (error) {
      answerError(res, error, isApi(rest))
    }
  }

  return { handle, dashboard }
}

/** Status and message for an error: ours carry their status, the store's mean 503, anything else 500 without details. */
function answerError(res: ServerResponse, error: unknown, api: boolean): void {
  let status: number
  let message: string
  const extra: Record<string, string> = {}
  const mapping = errorMapping(error)
  if (error instanceof HttpError) {
    status = error.status
    message = error.message
    if (error instanceof MethodNotAllowedError) extra.allow = error.allowed.join(', ')
  } else if (error instanceof StoreError) {
    status = 503
    message = `The Stats2 store is not available: ${error.message}`
    extra['retry-after'] = '10'
    log.warn(message)
  } else if (error instanceof Error && mapping !== undefined && mapping.code !== 'internal') {
    // The product's own errors (not found, busy, …): their status from the error table.
    status = mapping.status
    message = error.message
    if (error instanceof BusyError) extra['retry-after'] = String(error.retryAfterSeconds)
  } else {
    status = 500
    message = 'Internal error; the service log has the details.'
    log.error(`request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  }
  if (status === 404 && api) return json(res, 404, '{}')
  if (api) return json(res, status, jsonMessage({ error: message }), extra)
  send(res, status, `${message}\n`, 'text/plain; charset=utf-8', extra)
}

/** Listens and returns the running service; `close()` drains it. */
export async function startService(deps: ServeDeps): Promise<RunningService> {
  const { handle, dashboard } = createServeHandler(deps)
  const inFlight = new Set<ServerResponse>()
  const server: Server = createServer((req, res) => {
    inFlight.add(res)
    res.once('close', () => inFlight.delete(res))
    void handle(req, res)
  })
  // Slow-header clients are cut (the default is 60 s); keep-alive sockets live a little longer than a proxy's.
  server.headersTimeout = 20_000
  server.keepAliveTimeout = 65_000
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    else socket.destroy(error)
  })
  const { host, port } = deps.config
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`${host}:${port} is already in use; choose another --port`) : error)
    )
    server.listen(port, host, () => resolveListen())
  })
  const actualPort = (server.address() as { port: number }).port
  const hostPart = host.includes(':') ? `[${host}]` : host
  const url = `http://${hostPart}:${actualPort}${deps.config.basePath === '/' ? '/' : deps.config.basePath}`
  let closing: Promise<void> | undefined
  return {
    url,
    port: actualPort,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((done) => server.close(() => done()))
        dashboard.close()
        server.closeIdleConnections()
        const deadline = Date.now() + deps.config.drainMs
        while (inFlight.size > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 25))
          server.closeIdleConnections()
        }
        if (inFlight.size > 0) log.warn(`${inFlight.size} request(s) still running after ${deps.config.drainMs} ms; closing them`)
        deps.updates.stop()
        server.closeAllConnections()
        for (const socket of sockets) socket.destroy()
        await closed
      })())
  }
}
