/** The service's pure pieces: JSON layout, options, pages, the header cache, the Markdown layout. */
import { describe, expect, it } from 'vitest'
import { loadServeConfig, normaliseBasePath } from '../../src/main/config/serve-config'
import { Authoriser, plainAddress } from '../../src/main/serve/auth'
import { limited } from '../../src/main/serve/dashboard'
import { BusyError } from '../../src/main/core/errors'
import { errorCodeOf } from '../../src/main/ipc/handlers'
import { sortedJson } from '../../src/main/util/canonical-json'
import { markdownTable } from '../../src/main/serve/markdown'
import { parsePage, selectorOf } from '../../src/main/serve/query'
import { cachedRead } from '../../src/main/util/cached-read'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

describe('sortedJson', () => {
  it('sorts keys at every level, indents by two and escapes non-ASCII as Python does', () => {
    expect(sortedJson({ b: 1, a: { d: [{ z: 1, y: 'é' }], c: null } })).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": "\\u00e9",\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}'
    )
    expect(sortedJson([])).toBe('[]')
  })
})

describe('options', () => {
  it('normalises the base path and refuses odd ones', () => {
    expect(normaliseBasePath('/stats')).toBe('/stats')
    expect(normaliseBasePath('stats/')).toBe('/stats')
    expect(normaliseBasePath('/')).toBe('/')
    expect(normaliseBasePath('')).toBe('/')
    expect(() => normaliseBasePath('/a b')).toThrow(/--base-path/)
    expect(() => normaliseBasePath('/a/../b')).not.toThrow()
  })

  it('has the documented defaults and checks the environment', () => {
    expect(loadServeConfig({})).toMatchObject({ host: '127.0.0.1', port: 8000, basePath: '/stats', updateConcurrency: 2, trustedProxies: [] })
    expect(() => loadServeConfig({ STATS2_SERVE_TRUSTED_HEADER: 'X-Forwarded-User' })).toThrow(/STATS2_SERVE_TRUSTED_PROXIES/)
    expect(() => loadServeConfig({ STATS2_SERVE_TRUSTED_HEADER: 'X-User', STATS2_SERVE_TRUSTED_PROXIES: 'proxy.cern.ch' })).toThrow(/comma-separated IPs/)
    expect(loadServeConfig({ STATS2_SERVE_TRUSTED_HEADER: 'X-User', STATS2_SERVE_TRUSTED_PROXIES: '10.0.0.1, ::1' })).toMatchObject({ trustedHeader: 'x-user', trustedProxies: ['10.0.0.1', '::1'] })
    expect(() => loadServeConfig({}, { port: '70000' })).toThrow(/--port/)
    expect(() => loadServeConfig({}, { host: 'example.org' })).toThrow(/--host/)
    expect(() => loadServeConfig({ STATS2_SERVE_UPDATES: '0' })).toThrow(/STATS2_SERVE_UPDATES/)
  })
})

describe('query parameters', () => {
  it('takes the first selector present by precedence, even empty, and pages from 0', () => {
    expect(selectorOf(new URLSearchParams('campaign=C&prepid=P'))).toEqual({ name: 'prepid', value: 'P' })
    expect(selectorOf(new URLSearchParams('request=R&workflow_name='))).toEqual({ name: 'workflow_name', value: '' })
    expect(selectorOf(new URLSearchParams('other=1'))).toBeUndefined()
    expect(parsePage('-5')).toBe(0)
    expect(parsePage('7')).toBe(7)
    expect(() => parsePage('1e3')).toThrow(/whole number/)
    expect(() => parsePage('100001')).toThrow(/beyond/)
  })
})

describe('cachedRead', () => {
  it('shares one read among concurrent callers, re-reads after the TTL and never keeps a failure', async () => {
    let now = 0
    let reads = 0
    let fail = false
    const read = cachedRead(async () => {
      reads++
      if (fail) throw new Error('down')
      return reads
    }, 1000, () => now)
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1])
    now = 999
    expect(await read()).toBe(1)
    now = 1000
    fail = true
    await expect(read()).rejects.toThrow('down')
    fail = false
    expect(await read()).toBe(3)
  })
})

describe('markdownTable', () => {
  it('pads columns to their widest line (at least the header plus two) and continues multi-line cells', () => {
    const doc = (over: Partial<WorkflowDoc>): WorkflowDoc => ({
      _id: 'w', RequestName: 'w', Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0, RequestTransition: [], Requests: [],
      TotalEvents: 0, TotalInputLumis: -1, ...over
    })
    const table = markdownTable([doc({ OutputDatasets: ['/a/b/C', '/d/e/F'] }), doc({})], 'https://x.example/stats')
    const lines = table.split('\n')
    const das = 'https://cmsweb.cern.ch/das/request?view=list&limit=50&instance=prod%2Fglobal&input=dataset%3D'
    const first = '[w](https://x.example/stats/?workflow_name=w)'
    const out1 = `- [/a/b/C](${das}/a/b/C)`
    expect(lines[0]).toBe(`| ${'RequestName'.padEnd(first.length)} | ${'InputDataset'.padEnd(14)} | ${'OutputDatasets'.padEnd(out1.length)} |`)
    expect(lines[1]).toBe(`|:${'-'.repeat(first.length + 1)}|:${'-'.repeat(15)}|:${'-'.repeat(out1.length + 1)}|`)
    expect(lines[2]).toBe(`| ${first} | ${''.padEnd(14)} | ${out1} |`)
    expect(lines[3]).toBe(`| ${''.padEnd(first.length)} | ${''.padEnd(14)} | - [/d/e/F](${das}/d/e/F) |`)
    // The same workflow twice is listed once.
    expect(lines).toHaveLength(4)
    expect(markdownTable([], 'https://x.example')).toBe('')
  })
})

describe('Authoriser', () => {
  it('refuses to start with a tokens file it cannot read, and maps IPv4-in-IPv6 addresses', () => {
    expect(() => new Authoriser({ tokensFile: '/nonexistent/stats2-tokens', trustedProxies: [] })).toThrow(/STATS2_SERVE_TOKENS_FILE: cannot read \/nonexistent\/stats2-tokens \(ENOENT\)/)
    expect(new Authoriser({ trustedProxies: [] }).configured).toBe(false)
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(plainAddress('::1')).toBe('::1')
  })
})

describe('limited', () => {
  it('runs at most N at once and refuses more as busy, freeing the slot when one ends', async () => {
    const releases: Array<() => void> = []
    const run = limited(2, (n: number) => new Promise<number>((resolve) => releases.push(() => resolve(n))))
    const first = run(1)
    const second = run(2)
    const refused = await run(3).then(() => undefined, (error: unknown) => error)
    expect(refused).toBeInstanceOf(BusyError)
    expect(errorCodeOf(refused)).toBe('busy')
    releases[0]!()
    expect(await first).toBe(1)
    const third = run(4)
    releases[1]!()
    releases[2]!()
    expect(await Promise.all([second, third])).toEqual([2, 4])
  })
})

