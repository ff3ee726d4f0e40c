import { describe, expect, it } from 'vitest'
import { CHANNEL_NAMES } from '../../src/shared/ipc-channels'
import { createHttpApi, isResult, resolveToken, type BridgeTransport, type EventSourceLike } from '../../src/renderer/src/lib/http-bridge'

interface Call {
  url: string
  headers: Record<string, string>
  body: unknown
}

function fakeTransport(answer: (call: Call) => { status: number; text: string } | Error): { transport: BridgeTransport; calls: Call[]; sources: FakeSource[] } {
  const calls: Call[] = []
  const sources: FakeSource[] = []
  return {
    calls,
    sources,
    transport: {
      fetch: async (url, init) => {
        const call = { url, headers: init.headers, body: JSON.parse(init.body) as unknown }
        calls.push(call)
        const result = answer(call)
        if (result instanceof Error) throw result
        return { status: result.status, text: async () => result.text }
      },
      openEvents: (url) => {
        const source = new FakeSource(url)
        sources.push(source)
        return source
      }
    }
  }
}

class FakeSource implements EventSourceLike {
  listeners = new Map<string, Array<(event: { data?: unknown }) => void>>()
  closed = false
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }
  close(): void {
    this.closed = true
  }
  emit(type: string, data: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ data })
  }
}

describe('browser-mode HTTP bridge client', () => {
  it('has one method per contract channel, from CHANNEL_NAMES', () => {
    const { transport } = fakeTransport(() => ({ status: 200, text: '{"ok":true,"value":null}' }))
    const api = createHttpApi({ baseUrl: '', token: 't', transport }) as unknown as Record<string, unknown>
    for (const name of CHANNEL_NAMES) expect(typeof api[name]).toBe('function')
    expect(typeof api.on).toBe('function')
  })

  it('POSTs /api/<channel> with the token header and the request as JSON, and returns the Result', async () => {
    const { transport, calls } = fakeTransport(() => ({ status: 200, text: JSON.stringify({ ok: true, value: { total: 3 } }) }))
    const api = createHttpApi({ baseUrl: 'http://127.0.0.1:5199', token: 'secret', transport })
    const result = await api.search({ text: 'abc', field: 'prepid' })
    expect(calls[0]!.url).toBe('http://127.0.0.1:5199/api/search')
    expect(calls[0]!.headers['x-stats2-token']).toBe('secret')
    expect(calls[0]!.body).toEqual({ text: 'abc', field: 'prepid' })
    expect(result).toEqual({ ok: true, value: { total: 3 } })
  })

  it('passes {ok: false} answers through unchanged', async () => {
    const failure = { ok: false, error: { code: 'invalid-argument', message: 'too long' } }
    const { transport } = fakeTransport(() => ({ status: 200, text: JSON.stringify(failure) }))
    const api = createHttpApi({ baseUrl: '', token: 't', transport })
    expect(await api.search({ text: 'x'.repeat(10) })).toEqual(failure)
  })

  it.each([401, 403, 500, 502])('turns HTTP %i into an internal error', async (status) => {
    const { transport } = fakeTransport(() => ({ status, text: '{"ok":false,"error":{"code":"forbidden","message":"x"}}' }))
    const api = createHttpApi({ baseUrl: '', token: 't', transport })
    const result = await api.getStatus({})
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('internal')
      expect(result.error.message).toContain(String(status))
    }
  })

  it('turns network errors and garbage into internal errors, never throws', async () => {
    const down = createHttpApi({ baseUrl: '', token: 't', transport: fakeTransport(() => new Error('ECONNREFUSED')).transport })
    const result = await down.getStatus({})
    expect(result.ok === false && result.error.code === 'internal' && result.error.message.includes('ECONNREFUSED')).toBe(true)
    const garbage = createHttpApi({ baseUrl: '', token: 't', transport: fakeTransport(() => ({ status: 200, text: '<html>' })).transport })
    expect((await garbage.getStatus({})).ok).toBe(false)
    const wrongShape = createHttpApi({ baseUrl: '', token: 't', transport: fakeTransport(() => ({ status: 200, text: '{"value":1}' })).transport })
    expect((await wrongShape.getStatus({})).ok).toBe(false)
  })

  it('delivers SSE events to listeners until they unsubscribe, over one EventSource', () => {
    const { transport, sources } = fakeTransport(() => ({ status: 200, text: '{}' }))
    const api = createHttpApi({ baseUrl: '', token: 'a b', transport })
    const seen: unknown[] = []
    const other: unknown[] = []
    const stop = api.on('updaterState', (payload) => seen.push(payload))
    api.on('statusChanged', (payload) => other.push(payload))
    expect(sources).toHaveLength(1)
    expect(sources[0]!.url).toBe('/api/events?token=a%20b')
    sources[0]!.emit('updaterState', JSON.stringify({ state: 'running', jobId: 1 }))
    sources[0]!.emit('updaterState', 'not json')
    sources[0]!.emit('statusChanged', JSON.stringify({ mode: 'demo' }))
    stop()
    sources[0]!.emit('updaterState', JSON.stringify({ state: 'done', jobId: 1 }))
    expect(seen).toEqual([{ state: 'running', jobId: 1 }])
    expect(other).toEqual([{ mode: 'demo' }])
  })
})

describe('token handling', () => {
  it('takes the token from the URL and removes it, keeping other parameters', () => {
    expect(resolveToken('?token=abc', null)).toEqual({ token: 'abc', search: '' })
    expect(resolveToken('?x=1&token=abc', 'old')).toEqual({ token: 'abc', search: '?x=1' })
  })
  it('falls back to the stored token', () => {
    expect(resolveToken('', 'stored')).toEqual({ token: 'stored', search: '' })
    expect(resolveToken('', null)).toEqual({ token: undefined, search: '' })
  })
})

describe('isResult', () => {
  it('accepts only the two Result shapes', () => {
    expect(isResult({ ok: true, value: null })).toBe(true)
    expect(isResult({ ok: false, error: { code: 'internal', message: 'm' } })).toBe(true)
    expect(isResult({ ok: false, error: { code: 'internal' } })).toBe(false)
    expect(isResult({ ok: true })).toBe(false)
    expect(isResult(null)).toBe(false)
    expect(isResult('x')).toBe(false)
  })
})
