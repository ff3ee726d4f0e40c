/**
 * `stats2 serve`: the old Stats2 web service's URLs (../shared/spec/stats2-web.md) on node:http, over
 * the store. Stateless apart from the update queue: several instances can serve one CouchDB.
 * One log line per request (`aborted` when the client left before the end); errors answer a status
 * and a clear message, never a stack trace; a store that cannot be reached answers 503 with the
 * reason. Every answer is bounded (docs/service-limits.md): `/api/fetch` streams and stops at its
 * limits, store reads run a few documents at a time and stop when the client goes, concurrency is
 * capped per client and per instance, slow sockets are closed, and SIGTERM lets answers finish.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'
import type { ServeConfig } from '../config/serve-config'
import { StoreError, type CouchStore } from '../store/couch-store'
import { createLogger } from '../log/logger'
import { cachedRead } from '../util/cached-read'
import { workflowName as workflowNameSchema } from '../../shared/ipc-contract'
import { sortedJson, sortedJsonElement } from '../util/canonical-json'
import { ConcurrencyGate, clientOf, plainAddress } from '../http/limits'
import { LimitError } from '../http/errors'
import { ReadModel, rowOf } from '../read-model/read-model'
import type { Authoriser } from './auth'
import { Dashboard, readOnlyHandlers, SERVE_EXPORT_MAX_CHARS } from './dashboard'
import { BadRequestError, ClientGoneError, HttpError, MethodNotAllowedError } from './errors'
import { BusyError, NotFoundError } from '../core/errors'
import { errorMapping } from '../core/error-codes'
import { MarkdownTable } from './markdown'
import { FRONT_PAGE_CSS, renderFrontPage, type PageRow } from './page'
import { checkParam, parsePage, planPages, selectorOf, VIEW_OF, VIEW_SELECTORS } from './query'
import { documentsOf, requestsDocCount, viewHasKey } from './store-reads'
import type { UpdateQueue } from './updates'
import type { ServeMetrics } from '../metrics/serve-metrics'
import { routeLabel } from '../metrics/routes'
import { opsRoutes } from './ops-routes'
import { OverviewService } from '../overview/service'
import { answerOverview } from './overview-route'

const log = createLogger('serve')

/** Pages read by `/api/fetch` and `/md` at most (stats2-web.md); `/api/fetch` also stops at STATS2_SERVE_FETCH_MAX_*. */
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

export const MISSING_NAME_MESSAGE = "Please provide the workflow name via 'workflow_name' query parameter"

export interface ServeDeps {
  config: ServeConfig
  store: CouchStore
  auth: Authoriser
  updates: UpdateQueue
  rendererDir: string
  /** Unix seconds; injectable for tests. */
  now?: () => number
  /** `/metrics` (absent: the route answers 404) and who may read it when it needs a token. */
  metrics?: ServeMetrics
  metricsAuth?: Authoriser
  /** This build's version, for `/metrics` and `/api/openapi.json`. */
  version?: string
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
    // An answer already under way (a stream) cannot turn into an error: cut it, so the client sees it incomplete.
    res.destroy()
    return
  }
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, 'cache-control': 'no-store', ...extra })
  res.end(body)
}

/** Writes a chunk; waits while the client's buffer is full, and stops when the request is aborted (client gone). */
async function write(res: ServerResponse, chunk: string, signal: AbortSignal): Promise<void> {
  if (res.write(chunk)) return
  await once(res, 'drain', { signal })
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

export function createServeHandler(deps: ServeDeps): {
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  dashboard: Dashboard
  /** Set while draining: answers then close their connection. */
  setDraining: () => void
} {
  const { config, store, auth, updates } = deps
  const now = deps.now ?? (() => Date.now() / 1000)
  const base = config.basePath === '/' ? '' : config.basePath
  const model = new ReadModel(store, { exportMaxChars: SERVE_EXPORT_MAX_CHARS })
  // One overview engine per instance: `api/overview` and the dashboard read the same facts.
  const overview = new OverviewService(store, deps.now ? { now: () => Math.floor(deps.now!()) } : {})
  const dashboard = new Dashboard({ rendererDir: deps.rendererDir, handlers: readOnlyHandlers(model, overview) })
  const opsAnswer = opsRoutes({
    config, metrics: deps.metrics, metricsAuth: deps.metricsAuth, version: deps.version ?? '0.0.0', fetchMaxPages: FETCH_MAX_PAGES, mdMaxPages: MD_MAX_PAGES
  })
  const proxies = new Set(config.trustedProxies.map(plainAddress))
  const reads = new ConcurrencyGate('requests', { total: config.concurrency, perClient: config.clientConcurrency })
  const heavy = new ConcurrencyGate('api/fetch and md answers', { total: config.heavyConcurrency, perClient: config.clientHeavy })
  const streams = new ConcurrencyGate('event streams', { total: config.streams, perClient: config.clientStreams }, 30)
  let draining = false
  const headerFigures = cachedRead(async () => {
    const [totalWorkflows, figures] = await Promise.all([requestsDocCount(store), model.settingsFigures()])
    return { totalWorkflows, lastUpdate: figures.lastUpdate }
  }, HEADER_CACHE_MS)

  /** Whether the route answers JSON (errors then too). */
  const isApi = (rest: string): boolean => rest.startsWith('/api/') || rest.startsWith('/get_json/') || rest === '/healthz'

  /** A slot of `gate` for this request's client until its answer is complete or abandoned; LimitError when there is none. */
  function enter(gate: ConcurrencyGate, req: IncomingMessage, res: ServerResponse): void {
    const release = gate.enter(clientOf(req, proxies))
    res.once('close', release)
  }

  async function frontPage(res: ServerResponse, url: URL, page: number, head: boolean, signal: AbortSignal): Promise<void> {
    const selector = selectorOf(url.searchParams)
    const [plan, { totalWorkflows, lastUpdate }] = await Promise.all([planPages(store, selector, page, 1, signal), headerFigures()])
    const rows: PageRow[] = []
    for await (const doc of documentsOf(store, plan.pages[0] ?? [], signal)) rows.push({ id: doc._id, row: rowOf(doc, doc._id) })
    const html = renderFrontPage({
      basePath: config.basePath,
      query: url.search.replace(/^\?/, ''),
      selector,
      page,
      hasNext: plan.lastFull,
      rows,
      totalWorkflows,
      lastUpdate,
      now: now()
    })
    send(res, 200, head ? '' : html, 'text/html; charset=utf-8', { 'content-security-policy': FRONT_PAGE_CSP })
  }

  async function search(res: ServerResponse, url: URL, signal: AbortSignal): Promise<void> {
    const q = checkParam('q', url.searchParams.get('q') ?? '').trim()
    const target = (param?: string): string => `${base === '' ? '/' : base}${param ? `?${param}=${encodeURIComponent(q)}` : ''}`
    if (q === '') return send(res, 302, '', 'text/plain', { location: target() })
    // All views at once (one round trip's latency), then the first in the spec's order.
    const found = await Promise.all(VIEW_SELECTORS.map((selector) => viewHasKey(store, VIEW_OF[selector], q, signal)))
    const index = found.indexOf(true)
    send(res, 302, '', 'text/plain', { location: target(index < 0 ? 'workflow_name' : VIEW_SELECTORS[index]) })
  }

  async function getJson(res: ServerResponse, encodedName: string, signal: AbortSignal): Promise<void> {
    const name = safeDecode(encodedName)
    checkParam('name', name)
    // Flask's <string:> takes no slash; `_` documents (design, local) are never workflows.
    const doc = name === '' || name.includes('/') || name.startsWith('_') ? undefined : await store.getWorkflow(name, signal)
    if (!doc) return json(res, 404, '{}')
    json(res, 200, sortedJson(doc))
  }

  /**
   * `/api/fetch`: the matching documents as the old service's JSON array, written a few documents at
   * a time as the client takes them. The ids are read first (one cheap read), so the headers say how
   * many documents come (`X-Stats2-Documents`) and whether matches were left out by the document
   * limit (`X-Stats2-Truncated: documents`). The byte limit is met while writing: the array then ends
   * at a whole document (valid JSON, fewer documents than the header said) and the trailer
   * `X-Stats2-Truncated` says so.
   */
  async function fetchDocuments(req: IncomingMessage, res: ServerResponse, url: URL, head: boolean, signal: AbortSignal): Promise<void> {
    const selector = selectorOf(url.searchParams)
    const plan = await planPages(store, selector, 0, FETCH_MAX_PAGES, signal)
    let ids = plan.pages.flat()
    let truncated = plan.more
    if (ids.length > config.fetchMaxDocs) {
      ids = ids.slice(0, config.fetchMaxDocs)
      truncated = true
    }
    const headers: Record<string, string> = {
      ...COMMON_HEADERS,
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-stats2-documents': String(ids.length),
      'x-stats2-limits': `documents=${config.fetchMaxDocs}, bytes=${config.fetchMaxBytes}`
    }
    if (truncated) headers['x-stats2-truncated'] = `documents; limit=${config.fetchMaxDocs}`
    if (head) {
      res.writeHead(200, headers)
      return void res.end()
    }
    // A trailer needs chunked encoding: HTTP/1.1 (an HTTP/1.0 answer ends when the connection closes).
    const chunked = req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1)
    if (chunked) headers.trailer = 'X-Stats2-Truncated'
    res.writeHead(200, headers)
    await write(res, '[', signal)
    let bytes = 1
    let count = 0
    let cut = false
    for await (const doc of documentsOf(store, ids, signal)) {
      const element = (count === 0 ? '\n' : ',\n') + sortedJsonElement(doc)
      // sortedJson escapes everything beyond ASCII: characters are bytes. 2 more for the closing "\n]".
      if (bytes + element.length + 2 > config.fetchMaxBytes) {
        cut = true
        break
      }
      await write(res, element, signal)
      bytes += element.length
      count++
    }
    await write(res, count === 0 ? ']' : '\n]', signal)
    if (cut) {
      log.warn(`api/fetch${url.search.slice(0, 200)} cut at ${count} of ${ids.length} documents: the next would pass ${config.fetchMaxBytes} bytes (STATS2_SERVE_FETCH_MAX_BYTES)`)
      if (chunked) res.addTrailers({ 'X-Stats2-Truncated': `bytes; limit=${config.fetchMaxBytes}; documents=${count}` })
    }
    res.end()
  }

  async function markdown(res: ServerResponse, url: URL, signal: AbortSignal): Promise<void> {
    const plan = await planPages(store, selectorOf(url.searchParams), 0, MD_MAX_PAGES, signal)
    const table = new MarkdownTable(config.publicUrl)
    // Each workflow once: its document is read once too.
    for await (const doc of documentsOf(store, [...new Set(plan.pages.flat())], signal)) table.add(doc._id, rowOf(doc, doc._id))
    send(res, 200, table.text(), 'text/plain; charset=utf-8')
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
      json(res, 503, jsonMessage({ status: 'unavailable', reason: (error as Error).message }), { 'retry-after': '10' })
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, rest: string, signal: AbortSignal): Promise<void> {
    if (rest === '/api/update') return update(req, res, url)
    if (rest === '/dashboard') return send(res, 301, '', 'text/plain', { location: `${base}/dashboard/` })
    if (rest === '/dashboard/api/events') {
      if (req.method === 'HEAD') return send(res, 200, '', 'text/event-stream')
      if (req.method !== 'GET') throw new MethodNotAllowedError(['GET'])
      enter(streams, req, res)
      return dashboard.events(req, res, COMMON_HEADERS)
    }
    if (rest.startsWith('/dashboard/api/')) enter(reads, req, res)
    if (rest.startsWith('/dashboard/')) return dashboard.handle(req, res, rest.slice('/dashboard'.length), COMMON_HEADERS, url.pathname)
    const head = req.method === 'HEAD'
    if (req.method !== 'GET' && !head) throw new MethodNotAllowedError(['GET'])
    if (rest === '/healthz') return health(res)
    const ops = await opsAnswer(rest, req)
    if (ops) return send(res, ops.status, head ? '' : ops.body, ops.type, ops.headers)
    if (rest === '/static/stats2.css') return send(res, 200, FRONT_PAGE_CSS, 'text/css; charset=utf-8', { 'cache-control': 'max-age=3600' })
    const pageMatch = /^\/(-?\d+)$/.exec(rest)
    const jsonMatch = /^\/(?:api\/)?get_json\/(.*)$/.exec(rest)
    const known = rest === '/' || rest === '' || pageMatch || rest === '/search' || jsonMatch || rest === '/api/fetch' || rest === '/md' || rest === '/api/overview'
    if (!known) throw new NotFoundError('Not found')
    // Everything below reads the store: a slot per client and per instance, held until the answer is out.
    enter(reads, req, res)
    if (rest === '/api/fetch' || rest === '/md' || rest === '/api/overview') enter(heavy, req, res)
    if (rest === '/api/overview') return answerOverview(res, url.searchParams, overview, (out, status, body) => json(out, status, body))
    if (rest === '/' || rest === '') return frontPage(res, url, 0, head, signal)
    if (pageMatch) return frontPage(res, url, parsePage(pageMatch[1]!), head, signal)
    if (rest === '/search') return search(res, url, signal)
    if (jsonMatch) return getJson(res, jsonMatch[1]!, signal)
    if (rest === '/api/fetch') return fetchDocuments(req, res, url, head, signal)
    return markdown(res, url, signal)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const rawUrl = req.url ?? '/'
    let pathname = rawUrl.split('?')[0] ?? '/'
    const abort = new AbortController()
    res.once('close', () => {
      // 'close' without 'finish': the connection went before the whole answer did.
      const complete = res.writableFinished
      if (!complete) abort.abort(new ClientGoneError())
      log.info(`${req.method} ${pathname.slice(0, 300)} ${complete ? res.statusCode : 'aborted'} ${(performance.now() - started).toFixed(1)}ms`)
    })
    if (draining) res.setHeader('connection', 'close')
    let rest = ''
    let routed: string | undefined
    deps.metrics?.track(req, res, () => routeLabel(routed))
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
      routed = rest
      await route(req, res, url, rest, abort.signal)
    } catch (error) {
      // The client is gone: nobody to answer, and the work has stopped.
      if (abort.signal.aborted) return
      answerError(res, error, isApi(rest))
    }
  }

  return { handle, dashboard, setDraining: () => void (draining = true) }
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
  } else if (error instanceof LimitError) {
    status = error.status
    message = error.message
    extra['retry-after'] = String(error.retryAfterSeconds)
    // A refused caller's connection is not kept open for it.
    extra.connection = 'close'
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
  // Every 503 says when to come back (a full update queue, a store that is down, a busy instance).
  if (status === 503 && extra['retry-after'] === undefined) extra['retry-after'] = '10'
  if (status === 404 && api) return json(res, 404, '{}')
  if (api) return json(res, status, jsonMessage({ error: message }), extra)
  send(res, status, `${message}\n`, 'text/plain; charset=utf-8', extra)
}

/** Listens and returns the running service; `close()` drains it. */
export async function startService(deps: ServeDeps): Promise<RunningService> {
  const { config } = deps
  const { handle, dashboard, setDraining } = createServeHandler(deps)
  /** Answers not yet complete, per connection: a connection with none can be closed at once when draining. */
  const busy = new Map<Socket, number>()
  const server: Server = createServer({
    // Slow senders are cut: headers within headersTimeoutMs, the whole request within requestTimeoutMs,
    // checked every second (Node's default is every 30 s).
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: 1000,
    // Keep-alive sockets live a little longer than a proxy's.
    keepAliveTimeout: 65_000
  }, (req, res) => {
    const socket = req.socket
    busy.set(socket, (busy.get(socket) ?? 0) + 1)
    res.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1
      if (left > 0) busy.set(socket, left)
      else busy.delete(socket)
    })
    void handle(req, res)
  })
  // A connection that neither sends nor takes data for this long (a client that stopped reading) is closed.
  server.timeout = config.idleTimeoutMs
  server.maxConnections = config.maxConnections
  const proxies = new Set(config.trustedProxies.map(plainAddress))
  const sockets = new Set<Socket>()
  const perAddress = new Map<string, number>()
  const refusals = new RefusalLog()
  server.on('connection', (socket: Socket) => {
    const address = plainAddress(socket.remoteAddress)
    const open = (perAddress.get(address) ?? 0) + 1
    if (open > config.clientConnections && !proxies.has(address)) {
      refusals.refused(address, config.clientConnections)
      socket.destroy()
      return
    }
    perAddress.set(address, open)
    sockets.add(socket)
    socket.once('close', () => {
      sockets.delete(socket)
      const left = (perAddress.get(address) ?? 1) - 1
      if (left > 0) perAddress.set(address, left)
      else perAddress.delete(address)
    })
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Node's own answers to a slow sender (408) and to what is not HTTP (400).
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request'
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    else socket.destroy(error)
  })
  const { host, port } = config
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`${host}:${port} is already in use; choose another --port`) : error)
    )
    server.listen(port, host, () => resolveListen())
  })
  const actualPort = (server.address() as { port: number }).port
  const hostPart = host.includes(':') ? `[${host}]` : host
  const url = `http://${hostPart}:${actualPort}${config.basePath === '/' ? '/' : config.basePath}`
  let closing: Promise<void> | undefined
  return {
    url,
    port: actualPort,
    close: () =>
      (closing ??= (async () => {
        setDraining()
        // Stop accepting without http's closeIdleConnections(): it destroys a connection whose answer
        // is ended but still being written to a slow client (a large answer was cut mid-way).
        const stopped = new Promise<void>((done) => NetServer.prototype.close.call(server, () => done()))
        dashboard.close()
        const deadline = Date.now() + config.drainMs
        for (;;) {
          // A connection without an answer in flight and with nothing left to write can go now.
          for (const socket of sockets) if (!busy.has(socket) && socket.writableLength === 0) socket.destroy()
          if (sockets.size === 0 || Date.now() >= deadline) break
          await new Promise((r) => setTimeout(r, 25))
        }
        if (sockets.size > 0) log.warn(`${busy.size} answer(s) still running after ${config.drainMs} ms (STATS2_SERVE_DRAIN_MS); closing them`)
        deps.updates.stop()
        for (const socket of sockets) socket.destroy()
        await stopped
        // Clears http's connection-checking timer (nothing is left for its idle-connection sweep).
        server.close(() => undefined)
      })())
  }
}

/**
 * The log of connections refused past an address's share: one line when an address is first
 * refused, then at most one a minute per address with how many more were refused, so that a client
 * reconnecting in a loop cannot flood the log (or spend the event loop on it). Bounded: past 1 000
 * addresses the oldest is forgotten (its next refusal is logged again).
 */
export class RefusalLog {
  private readonly byAddress = new Map<string, { since: number; count: number }>()

  constructor(private readonly now: () => number = Date.now, private readonly everyMs = 60_000, private readonly maxAddresses = 1_000) {}

  refused(address: string, limit: number): void {
    const entry = this.byAddress.get(address)
    const now = this.now()
    if (!entry) {
      if (this.byAddress.size >= this.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!)
      this.byAddress.set(address, { since: now, count: 0 })
      log.warn(`${address} holds ${limit} connections (STATS2_SERVE_CLIENT_CONNECTIONS): closing its new ones`)
      return
    }
    entry.count++
    if (now - entry.since >= this.everyMs) {
      log.warn(`${address}: ${entry.count} more connections closed in the last ${Math.round((now - entry.since) / 1000)} s (STATS2_SERVE_CLIENT_CONNECTIONS ${limit})`)
      entry.since = now
      entry.count = 0
    }
  }
}
