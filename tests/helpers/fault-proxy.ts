/**
 * A small HTTP proxy that injects faults in front of a real server (here: an embedded store standing
 * in for the shared Stats2 CouchDB): connections dropped before the answer, 5xx answers, answers
 * held back, and a switch to answer every request with 503 (a storm) or to refuse everything.
 * Seeded, so a failing run can be replayed; counts what it forwarded per route.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface FaultRates {
  /** Share of requests whose connection is destroyed without an answer. */
  drop?: number
  /** Share answered 500/502/503 by the proxy. */
  error5xx?: number
  /** Share held back `slowMs` before being forwarded. */
  slow?: number
  slowMs?: number
}

export interface FaultProxy {
  url: string
  rates: FaultRates
  /** Every request answered 503 while set. */
  storm: boolean
  /** Requests forwarded per `METHOD /db/_route` (documents and `_local` paths folded), and faults injected. */
  counts: Map<string, number>
  faults: { drop: number; error5xx: number; slow: number; storm: number }
  /** Documents asked for through `_bulk_get` (forwarded requests only). */
  bulkGetDocs: number
  close(): Promise<void>
}

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    // xorshift32
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 4294967296
  }
}

function routeOf(method: string, url: string): string {
  const path = url.split('?')[0] ?? ''
  const parts = path.split('/').filter(Boolean)
  const route = parts.length <= 1 ? parts.join('/') : `${parts[0]}/${parts[1]?.startsWith('_') ? parts[1] : '<doc>'}`
  return `${method} /${route}`
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export async function startFaultProxy(target: string, rates: FaultRates = {}, seed = 1): Promise<FaultProxy> {
  const random = seededRandom(seed)
  const upstream = new URL(target)
  const sockets = new Set<Socket>()
  const proxy: FaultProxy = {
    url: '',
    rates,
    storm: false,
    counts: new Map(),
    faults: { drop: 0, error5xx: 0, slow: 0, storm: 0 },
    bulkGetDocs: 0,
    close: async () => undefined
  }
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      if (proxy.storm) {
        proxy.faults.storm++
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"service_unavailable","reason":"storm"}\n')
        return
      }
      const r = proxy.rates
      if (random() < (r.drop ?? 0)) {
        proxy.faults.drop++
        req.socket.destroy()
        return
      }
      if (random() < (r.error5xx ?? 0)) {
        proxy.faults.error5xx++
        const status = [500, 502, 503][Math.floor(random() * 3)] as number
        res.writeHead(status, { 'content-type': 'text/html' }).end(`<html><body>${status} from the proxy</body></html>`)
        return
      }
      if (random() < (r.slow ?? 0)) {
        proxy.faults.slow++
        await new Promise((resolve) => setTimeout(resolve, r.slowMs ?? 300))
      }
      const route = routeOf(req.method ?? 'GET', req.url ?? '/')
      proxy.counts.set(route, (proxy.counts.get(route) ?? 0) + 1)
      if (route.endsWith('/_bulk_get')) {
        try {
          proxy.bulkGetDocs += ((JSON.parse(body.toString('utf8')) as { docs?: unknown[] }).docs ?? []).length
        } catch {
          // not JSON: the server answers that
        }
      }
      const headers = { ...req.headers, host: upstream.host }
      const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      forward.on('error', () => req.socket.destroy())
      res.on('close', () => forward.destroy())
      forward.end(body)
    })()
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return proxy
}
