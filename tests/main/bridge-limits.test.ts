/**
 * Issue 14 on the browser-mode bridge (`stats2 ui`) over the real desktop core: a malformed `%` in
 * a URL is a 400 (it was a 500), event streams are capped (503 with Retry-After) and free their slot
 * when closed, and a request whose headers never finish is cut.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { createHandlers } from '../../src/main/ipc/handlers'
import { BRIDGE_HEADERS_TIMEOUT_MS, BRIDGE_MAX_STREAMS, startBridge, type Bridge } from '../../src/main/ipc/bridge-server'
import { RENDERER_DIR } from '../../src/main/cli/ui-command'

let work: string
let core: AppCore
let bridge: Bridge

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-bridge-limits-'))
  core = await AppCore.create({ userDataDir: join(work, 'user'), env: { HOME: work }, secrets: new MemorySecretStore(), demoStepEveryMs: 0 })
  bridge = await startBridge({ handlers: createHandlers(core, { openExternal: async () => undefined }), rendererDir: RENDERER_DIR, subscribe: (event, listener) => core.subscribe(event, listener) })
}, 60_000)

afterAll(async () => {
  await bridge?.close()
  await core?.close()
  await rm(work, { recursive: true, force: true })
})

/** A raw request whose answer is left unread after its head. */
async function open(path: string): Promise<{ socket: Socket; status: number; head: string }> {
  const socket = connect(Number(new URL(bridge.url).port), '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`GET ${path} HTTP/1.1\r\nhost: ${new URL(bridge.url).host}\r\n\r\n`)
  const head = await new Promise<string>((resolve) => {
    let text = ''
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1')
      if (!text.includes('\r\n\r\n')) return
      socket.off('data', onData)
      socket.pause()
      resolve(text.split('\r\n\r\n')[0]!.toLowerCase())
    }
    socket.on('data', onData)
  })
  return { socket, status: Number(head.split(' ')[1]), head }
}

describe('the bridge', () => {
  it('answers 400, not 500, to a malformed percent-encoding, in the API and in file paths', async () => {
    const api = await request(`${bridge.url}/api/get%E0%A4%Atatus`, { method: 'POST', headers: { 'x-stats2-token': bridge.token, 'content-type': 'application/json' }, body: '{}' })
    expect(api.statusCode).toBe(400)
    expect(await api.body.text()).toMatch(/percent-encoding/)
    const file = await request(`${bridge.url}/assets/%E0%A4%A.js`)
    expect(file.statusCode).toBe(400)
    await file.body.dump()
  })

  it(`keeps at most ${BRIDGE_MAX_STREAMS} event streams: more get 503 with Retry-After until one closes`, async () => {
    const path = `/api/events?token=${bridge.token}`
    const streams = await Promise.all(Array.from({ length: BRIDGE_MAX_STREAMS }, () => open(path)))
    expect(streams.every((stream) => stream.status === 200)).toBe(true)
    const refused = await open(path)
    expect(refused.status).toBe(503)
    expect(refused.head).toMatch(/\r\nretry-after: \d+/)
    streams[0]!.socket.destroy()
    await new Promise((resolve) => setTimeout(resolve, 300))
    const again = await open(path)
    expect(again.status).toBe(200)
    for (const stream of [...streams, refused, again]) stream.socket.destroy()
  })

  it('cuts a request whose headers never finish', async () => {
    const socket = connect(Number(new URL(bridge.url).port), '127.0.0.1')
    socket.on('data', () => undefined)
    socket.write('GET / HTTP/1.1\r\n')
    const started = Date.now()
    await new Promise((resolve) => socket.once('close', resolve))
    expect(Date.now() - started).toBeLessThan(BRIDGE_HEADERS_TIMEOUT_MS + 3000)
  }, 30_000)
})
