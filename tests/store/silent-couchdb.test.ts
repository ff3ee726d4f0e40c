/**
 * Issue 14, reproduction 9: a DB_URL whose server accepts connections and never answers (a real TCP
 * server here) is named within 30 s by `stats2 search` and `stats2 see` — the first contact has its
 * own short budget; the long limits apply once the server has answered. (Before, 242–246 s.)
 */
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIRST_CONTACT_BUDGET_MS } from '../../src/main/store/couch-store'
import { runCli } from '../helpers/cli'

let server: Server
const sockets = new Set<Socket>()
let url: string

beforeAll(async () => {
  // Accepts, reads what is sent, never writes a byte.
  server = createServer((socket) => {
    sockets.add(socket)
    socket.on('data', () => undefined)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => server.close(resolve))
})

describe('a CouchDB that never answers', () => {
  it('is named by search and see within 30 s', async () => {
    const env = { HOME: '/nonexistent-home', DB_URL: url }
    const started = Date.now()
    const [search, see] = await Promise.all([
      runCli(['search', 'anything'], env).then((result) => ({ ...result, seconds: (Date.now() - started) / 1000 })),
      runCli(['see', 'some_workflow_1'], env).then((result) => ({ ...result, seconds: (Date.now() - started) / 1000 }))
    ])
    for (const result of [search, see]) {
      expect(result.code).toBe(1)
      expect(result.err).toMatch(new RegExp(`CouchDB at ${url} did not answer within 10 s to .*: it accepts connections but says nothing`))
      expect(result.seconds).toBeLessThanOrEqual(FIRST_CONTACT_BUDGET_MS / 1000)
    }
  }, 60_000)
})
