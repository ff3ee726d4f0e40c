/** Real HTTPS servers and certificate files for the cmsweb client tests. */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { type CertAndKey } from '../helpers/pki'

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void | Promise<void>

export interface TestServer {
  url: string
  port: number
  /** Requests that reached the handler. */
  hits: number
  /** TLS connections accepted (after the client certificate check). */
  sockets: number
  /** Most requests handled at the same time. */
  maxActive: number
  /** Client-certificate subjects (CN) seen on requests. */
  peers: string[]
  close(): Promise<void>
}

export interface ServerOptions {
  server: CertAndKey
  /** CA(s) that sign acceptable client certificates; omit for a server that does not ask for one. */
  clientCa?: string
}

export async function startServer(options: ServerOptions, handler: Handler): Promise<TestServer> {
  const state = { hits: 0, sockets: 0, active: 0, maxActive: 0, peers: [] as string[] }
  const server: Server = createServer(
    {
      key: options.server.keyPem,
      cert: options.server.certPem,
      ...(options.clientCa === undefined ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true })
    },
    (req, res) => {
      state.hits++
      state.active++
      state.maxActive = Math.max(state.maxActive, state.active)
      res.on('close', () => state.active--)
      const peer = (req.socket as TLSSocket).getPeerCertificate?.()
      if (peer?.subject?.CN) state.peers.push(String(peer.subject.CN))
      Promise.resolve(handler(req, res, state.hits)).catch((err: unknown) => {
        res.statusCode = 599
        res.end(String(err))
      })
    }
  )
  server.on('secureConnection', () => state.sockets++)
  server.on('tlsClientError', () => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    get hits() {
      return state.hits
    },
    get sockets() {
      return state.sockets
    },
    get maxActive() {
      return state.maxActive
    },
    get peers() {
      return state.peers
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export interface TempDir {
  path: string
  write(name: string, content: string | Buffer, mode?: number): Promise<string>
  remove(): Promise<void>
}

export async function tempDir(prefix = 'stats2-cmsweb-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return {
    path,
    async write(name, content, mode = 0o600) {
      const file = join(path, name)
      await mkdir(join(file, '..'), { recursive: true })
      await writeFile(file, content, { mode })
      return file
    },
    remove: () => rm(path, { recursive: true, force: true })
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
