/**
 * The store summary behind `stats2_workflows` and `stats2_campaign_events`: a scrape never waits long
 * for its first read (the view's index may be built first), and on a read-only CouchDB without its
 * design document it says why instead of failing. A real embedded store over HTTP, slowed by a proxy.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { StoreSummary, SUMMARY_DESIGN_ID } from '../../src/main/metrics/store-summary'
import { startFaultProxy } from '../helpers/fault-proxy'
import { fillSource, startSource, type Source } from '../replica/helpers'

let work: string
let source: Source

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-summary-'))
  source = await startSource(join(work, 'store'))
  await fillSource(source, 40, 12)
}, 60_000)
afterAll(async () => {
  await source?.close()
  await rm(work, { recursive: true, force: true })
})

describe('the store summary', () => {
  it('answers at once while its first read is slow, and has the figures once it is done', async () => {
    const proxy = await startFaultProxy(source.url, { slow: 1, slowMs: 1_500 })
    const store = CouchStore.connect(proxy.url, source.authHeader)
    try {
      const summary = new StoreSummary(store, { ttlMs: 0, firstWaitMs: 200 })
      const started = Date.now()
      expect(await summary.figures()).toBeUndefined()
      expect(Date.now() - started).toBeLessThan(1_200)
      let figures = await summary.figures()
      for (let waited = 0; figures === undefined && waited < 60_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        figures = await summary.figures()
      }
      expect([...figures!.byStatus.values()].reduce((sum, n) => sum + n, 0)).toBe(40)
      expect(figures!.campaigns).toBe(20)
    } finally {
      await store.close()
      await proxy.close()
    }
  }, 90_000)

  it('on a read-only CouchDB without its design document: no figures, and the reason', async () => {
    const admin = { authorization: source.authHeader, 'content-type': 'application/json' }
    // Whatever an earlier test made: the database has no such design document.
    const existing = await fetch(`${source.url}/requests/${SUMMARY_DESIGN_ID}`, { headers: admin })
    if (existing.status === 200) {
      const { _rev } = (await existing.json()) as { _rev: string }
      expect((await fetch(`${source.url}/requests/${SUMMARY_DESIGN_ID}?rev=${_rev}`, { method: 'DELETE', headers: admin })).status).toBe(200)
    }
    const reader = await CouchStore.open({ url: source.url, dataDir: '' })
    try {
      expect(reader.readOnly).toBeDefined()
      const summary = new StoreSummary(reader, { ttlMs: 0 })
      expect(await summary.figures()).toBeUndefined()
      expect(summary.problem).toContain(`${SUMMARY_DESIGN_ID} is missing and the store is read-only`)
      expect((await fetch(`${source.url}/requests/${SUMMARY_DESIGN_ID}`, { headers: admin })).status).toBe(404)
    } finally {
      await reader.close()
    }
  })
})
