/**
 * View functions on the embedded server: the old Stats2's own view code (undeclared variables and
 * all) indexes as on CouchDB, reduce functions work, and view code stays inside its sandbox.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { getPriority } from 'node:os'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { VIEW_MAPS } from '../../src/main/store/design-docs'
import { MAP_PROCESS_HEAP_MB, MAP_PROCESS_NICE } from '../../src/store-server/map-process'

let work: string
let couch: EmbeddedCouch
let store: CouchStore

// The old Stats2's campaigns view, verbatim (couch-store.test.ts checks it against its README):
// `addedCampaigns` is never declared.
const SEED_CAMPAIGNS = VIEW_MAPS.campaigns

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-mapreduce-'))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'couch') })
  store = CouchStore.connect(couch.url, couch.authHeader)
  await store.raw('create', { db: 'views', method: 'put' })
  await store.raw('design', {
    db: 'views', doc: '_design/t', method: 'put',
    body: {
      views: {
        seed: { map: SEED_CAMPAIGNS },
        counted: { map: 'function (doc) { if (doc.Campaigns) emit(doc.Campaigns[0], 1) }', reduce: '_count' },
        summed: { map: 'function (doc) { if (doc.n) emit(null, doc.n) }', reduce: 'function (keys, values, rereduce) { return sum(values) * 10 }' },
        escape: { map: 'function (doc) { emit(typeof process + "/" + typeof require + "/" + typeof globalThis.fetch, null) }' },
        mutate: { map: 'function (doc) { doc.RequestName = "changed"; emit(doc._id, doc.RequestName) }' }
      }
    }
  })
  await store.raw('docs', {
    db: 'views', path: '_bulk_docs', method: 'post',
    body: { docs: [
      { _id: 'a', RequestName: 'a', Campaigns: ['C1', 'C1', 'C2'], n: 2 },
      { _id: 'b', RequestName: 'b', Campaigns: ['C2'], n: 3 }
    ] }
  })
})

afterAll(async () => {
  await couch?.close()
  await rm(work, { recursive: true, force: true })
})

const view = <T>(name: string, qs: Record<string, unknown> = {}): Promise<{ rows: T[] }> =>
  store.raw('view', { db: 'views', path: `_design/t/_view/${name}`, method: 'get', qs })

describe('view functions on the embedded server', () => {
  it('runs the old Stats2 views verbatim, undeclared variables included', async () => {
    const { rows } = await view<{ key: string; value: string }>('seed')
    expect(rows.map((row) => [row.key, row.value])).toEqual([['C1', 'a'], ['C2', 'a'], ['C2', 'b']])
  })

  it('reduces with built-in and custom functions', async () => {
    expect((await view<{ value: number }>('counted')).rows[0]?.value).toBe(2)
    expect((await view<{ key: string; value: number }>('counted', { group: true })).rows).toEqual([{ key: 'C1', value: 1 }, { key: 'C2', value: 1 }])
    expect((await view<{ value: number }>('summed')).rows[0]?.value).toBe(50)
  })

  it('keeps view code away from Node and from the stored documents', async () => {
    const { rows } = await view<{ key: string }>('escape')
    expect(rows[0]?.key).toBe('undefined/undefined/undefined')
    await view('mutate')
    const stored = await store.raw<{ RequestName: string }>('get', { db: 'views', doc: 'a', method: 'get' })
    expect(stored.RequestName).toBe('a')
  })

  it('runs view code in a child process at a lower CPU priority than the store (nice MAP_PROCESS_NICE)', async () => {
    await view('seed')
    // The store serves in this process here; its map process is a child, kept a while after use.
    const children = (await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean)
    const maps: number[] = []
    for (const pid of children) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
      if (!cmdline.includes(`--max-old-space-size=${MAP_PROCESS_HEAP_MB}`)) continue
      // Field 19 of /proc/<pid>/stat is the nice value (after the parenthesised command name).
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      maps.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]))
    }
    expect(maps.length).toBeGreaterThan(0)
    for (const nice of maps) expect(nice).toBe(MAP_PROCESS_NICE)
    expect(getPriority(process.pid)).toBeLessThan(MAP_PROCESS_NICE)
  })
})
