/**
 * The cmsweb simulator: one HTTPS server (node:https, keep-alive) standing in for ReqMgr2, DBS,
 * WMStats (client certificate required, like cmsweb), Keycloak and the PdmV services (bearer token),
 * plus `/_sim/*` controls. Used by the desktop's demo mode and as the updater's test fixture.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import { type IncomingMessage, type ServerResponse } from 'node:http'
import { type TLSSocket } from 'node:tls'
import { createLogger } from '../main/log/logger'
import { ensureTlsDir, type TlsFiles } from './pki'
import { type SimResponse } from './errors'
import { FaultInjector, type Fault, type FaultOptions } from './faults'
import {
  clientCertificateRequired,
  type IssuedToken,
  matchRoute,
  notFound,
  type Notification,
  type RouteContext,
  type SimRequest,
  unavailable
} from './routes'
import { type Scenario } from './scenario'
import { type SimTimeline, Timeline } from './timeline'
import { GeneratedTimeline } from './generate/lazy-steps'
import { GeneratedWorld } from './generate/world'

export interface SimulatorOptions {
  /**
   * What to serve: a scenario's documents, or a generated world whose documents are made on request
   * (bounded memory at any size; the same answers as its materialised scenario).
   */
  scenario: Scenario | GeneratedWorld
  /** Directory for the CA, server and client certificates (created when missing, reused otherwise). */
  tlsDir: string
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  startStep?: number
  /** Added to every cmsweb call (ReqMgr2/DBS/WMStats), not to /_sim, Keycloak or PdmV. */
  latencyMs?: number
  /** Probabilities per cmsweb call. */
  faults?: FaultOptions
  /** Demo mode: advance a step every N ms until the last one. */
  autoAdvanceMs?: number
  /**
   * Unix seconds at which a step becomes active (DBS `last_modification_date` of what it introduces);
   * the wall clock by default. The demo replays its earlier steps on a simulated clock with this.
   */
  clock?: () => number
  /** Lifetime of the Keycloak tokens the simulator issues (default 300 s). */
  tokenLifetimeSeconds?: number
}

export type SimNotification = Notification

export interface Simulator {
  /** https://127.0.0.1:<port> */
  url: string
  tls: TlsFiles
  readonly step: number
  readonly steps: number
  /** Moves to the next step (stays at the last one); returns the new step. */
  advance(): number
  /** Requests by endpoint label ('reqmgr2.changes', 'dbs.filesummaries', …, 'auth.rejected', 'unknown'). */
  requestCounts(): Record<string, number>
  /** Response body bytes sent per endpoint label (what a client received), since the last reset. */
  requestBytes(): Record<string, number>
  resetCounts(): void
  notifications(): SimNotification[]
  /** Every `min_ldate` DBS `datasets?` was asked with, in order, as sent ('' when absent). */
  dbsMinLdates(): string[]
  close(): Promise<void>
}

const MAX_BODY = 32 * 1024 * 1024
const log = createLogger('sim')

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume()
    return Promise.resolve(Buffer.alloc(0))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * Node reports `authorized` for a TLS 1.3 session that was resumed without any client certificate
 * (OpenSSL's verify result is X509_V_OK then), so a peer certificate must also be present.
 */
function hasTrustedClientCertificate(socket: TLSSocket): boolean {
  if (!socket.authorized) return false
  const peer = socket.getPeerCertificate()
  return Boolean(peer && Object.keys(peer).length > 0)
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function send(req: IncomingMessage, res: ServerResponse, response: SimResponse, fault: Fault): void {
  const body = Buffer.from(response.body, 'utf8')
  if (fault.kind === 'truncated' && body.length > 1) {
    const cut = body.subarray(0, Math.max(1, Math.min(body.length - 2, Math.floor(body.length / 2))))
    if (fault.lying) {
      // Promise the whole body, deliver part of it, then close the connection.
      res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) })
      res.write(cut, () => setImmediate(() => req.socket.destroy()))
    } else {
      res.writeHead(response.status, { ...response.headers, 'content-length': String(cut.length) })
      res.end(cut)
    }
    return
  }
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) })
  res.end(req.method === 'HEAD' ? undefined : body)
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const timeline: SimTimeline =
    options.scenario instanceof GeneratedWorld ? new GeneratedTimeline(options.scenario) : new Timeline(options.scenario)
  const scenarioName = options.scenario.name
  const lastStep = timeline.length - 1
  const tls = await ensureTlsDir(options.tlsDir)
  const [key, cert, ca] = await Promise.all([readFile(tls.serverKey), readFile(tls.serverCert), readFile(tls.caCert)])
  const faults = new FaultInjector(options.faults)
  const latencyMs = Math.max(0, options.latencyMs ?? 0)
  const counts = new Map<string, number>()
  const bytes = new Map<string, number>()
  const tokens = new Map<string, IssuedToken>()
  const notifications: Notification[] = []
  const dbsMinLdates: string[] = []
  const nowSeconds = (): number => Math.floor(options.clock ? options.clock() : Date.now() / 1000)

  let current = Math.min(Math.max(0, Math.trunc(options.startStep ?? 0)), lastStep)
  timeline.activate(current, nowSeconds())

  const count = (label: string): void => {
    counts.set(label, (counts.get(label) ?? 0) + 1)
  }

  let autoTimer: NodeJS.Timeout | undefined
  const advance = (): number => {
    if (current < lastStep) {
      current += 1
      const state = timeline.activate(current, nowSeconds())
      log.info(
        `step ${current}/${lastStep}: ${state.changedCount} ReqMgr2 changes, ${state.introducedCount} DBS records new or changed, ${state.wmstatsActive.length} active in WMStats`
      )
    }
    if (current >= lastStep && autoTimer) {
      clearInterval(autoTimer)
      autoTimer = undefined
    }
    return current
  }

  const context: RouteContext = {
    state: () => timeline.step(current),
    step: () => current,
    steps: timeline.length,
    advance,
    counts: () => Object.fromEntries(counts),
    bytes: () => Object.fromEntries(bytes),
    resetCounts: () => {
      counts.clear()
      bytes.clear()
    },
    tokens,
    notifications,
    dbsMinLdates,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 300
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const route = matchRoute(path)
    const socket = req.socket as TLSSocket
    if (route.cmsweb && !hasTrustedClientCertificate(socket)) {
      count('auth.rejected')
      const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0
      const why = presented ? String(socket.authorizationError ?? 'certificate not trusted') : undefined
      send(req, res, clientCertificateRequired(why), { kind: 'none', extraDelayMs: 0 })
      req.resume()
      return
    }
    if (route.service !== 'sim') count(route === notFound ? 'unknown' : route.label)
    const body = await readBody(req)
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' })
      res.end('{"error":"too_large","reason":"request body too large"}')
      return
    }
    const request: SimRequest = {
      method: req.method ?? 'GET',
      path,
      query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      headers: req.headers,
      body,
      info: {
        method: req.method ?? 'GET',
        url,
        userAgent: req.headers['user-agent'] ?? '',
        remoteAddress: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`
      }
    }
    const fault: Fault = route.cmsweb ? faults.next() : { kind: 'none', extraDelayMs: 0 }
    let response: SimResponse | undefined
    if (fault.kind === 'error5xx') {
      response = unavailable(route.service, request)
    } else if (fault.kind !== 'reset') {
      try {
        response = route.handle(request, context)
      } catch (error) {
        log.error(`${request.method} ${url}: ${(error as Error).stack ?? String(error)}`)
        response = { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal","reason":"simulator error"}' }
      }
    }
    const wait = route.cmsweb ? latencyMs + fault.extraDelayMs : 0
    if (wait > 0) await delay(wait)
    if (fault.kind === 'reset' || !response) {
      socket.destroy()
      return
    }
    if (res.destroyed) return
    if (route.service !== 'sim') bytes.set(route.label, (bytes.get(route.label) ?? 0) + Buffer.byteLength(response.body))
    send(req, res, response, fault)
  }

  const server: Server = createServer(
    { key, cert, ca, requestCert: true, rejectUnauthorized: false, keepAlive: true },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        log.error(`request failed: ${String(error)}`)
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end('{"error":"internal"}')
        } else {
          res.destroy()
        }
      })
    }
  )
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  server.on('tlsClientError', (error) => log.debug(`TLS client error: ${error.message}`))

  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0)
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const url = `https://${urlHost}:${port}`

  if (options.autoAdvanceMs && options.autoAdvanceMs > 0 && current < lastStep) {
    autoTimer = setInterval(advance, options.autoAdvanceMs)
    autoTimer.unref()
  }
  log.info(`cmsweb simulator for scenario ${scenarioName} on ${url}: ${timeline.length} steps, at step ${current}`)

  let closed: Promise<void> | undefined
  return {
    url,
    tls,
    get step() {
      return current
    },
    steps: timeline.length,
    advance,
    requestCounts: () => Object.fromEntries(counts),
    requestBytes: () => Object.fromEntries(bytes),
    resetCounts: context.resetCounts,
    notifications: () => notifications.map((n) => ({ ...n })),
    dbsMinLdates: () => [...dbsMinLdates],
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (autoTimer) clearInterval(autoTimer)
        autoTimer = undefined
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closed
    }
  }
}
