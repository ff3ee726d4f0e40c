/**
 * 10 000 documents on the source, pulled through a proxy that drops connections, answers 5xx and
 * holds answers back: the replica equals the source (unscoped) or exactly the scope's part of it
 * (scoped), revisions and ancestry included. Then `stats2 replicate` as a real child process,
 * killed with SIGKILL in the middle of its pull and started again: the replica equals the source,
 * nothing doubled, and the second run transfers only what the first had not checkpointed.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { SourceCouch } from '../../src/main/replica/source'
import { pullReplica } from '../../src/main/replica/pull'
import { inScope } from '../../src/main/replica/scope-filter'
import type { SyncScope } from '../../src/shared/sync-scope'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy'
import { cleanup, killGroup, spawnCli, tempDir } from '../robustness/helpers'
import { fillSource, fingerprint, snapshot, snapshotDifferences, startSource, type Source } from './helpers'

const DOCS = 10_000
let work: string
let source: Source
let docs: WorkflowDoc[]
let expected: Awaited<ReturnType<typeof snapshot>>

beforeAll(async () => {
  work = await tempDir('stats2-replica-faults-')
  source = await startSource(join(work, 'source'))
  docs = await fillSource(source, DOCS, 17)
  // Some history: a few hundred documents changed twice, a few deleted.
  for (const doc of docs.slice(100, 400)) {
    const stored = (await source.store.getWorkflow(doc._id))!
    expect((await source.store.saveWorkflow({ ...stored, TotalEvents: stored.TotalEvents + 1 })).ok).toBe(true)
  }
  await source.store.deleteWorkflows(docs.slice(400, 450).map((d) => d._id))
  expected = await snapshot(source.url, source.authHeader)
  expect(expected.size).toBe(DOCS - 50)
}, 300_000)

afterAll(async () => {
  await source?.close()
  await cleanup()
})

async function pullThrough(proxy: FaultProxy, dataDir: string, scope?: SyncScope): Promise<{ target: CouchStore; retries: string[] }> {
  const retries: string[] = []
  const client = new SourceCouch({ url: proxy.url, authHeader: source.authHeader, retries: 8, retryBaseMs: 20, retryMaxMs: 200, timeoutMs: 5_000, onRetry: (m) => retries.push(m) })
  const target = await CouchStore.open({ dataDir })
  try {
    const summary = await pullReplica({ source: client, target, scope, pageSize: 500 })
    expect(summary.cancelled).toBe(false)
  } catch (error) {
    await target.close()
    throw error
  } finally {
    await client.close()
  }
  return { target, retries }
}

describe('through drops, 5xx answers and slow answers', () => {
  it('unscoped: the replica equals the source', async () => {
    const proxy = await startFaultProxy(source.url, { drop: 0.05, error5xx: 0.05, slow: 0.1, slowMs: 200 }, 7)
    try {
      const { target, retries } = await pullThrough(proxy, join(work, 'unscoped'))
      try {
        expect(proxy.faults.drop + proxy.faults.error5xx).toBeGreaterThan(0)
        expect(retries.length).toBe(proxy.faults.drop + proxy.faults.error5xx)
        const got = await snapshot(target.url, target.embeddedServer!.authHeader)
        expect(snapshotDifferences(got, expected), fingerprint(got)).toEqual([])
      } finally {
        await target.close()
      }
    } finally {
      await proxy.close()
    }
  }, 300_000)

  it('scoped: exactly the scope\'s documents', async () => {
    const scope: SyncScope = { campaigns: ['Run3Summer04', 'Run3Summer11'], prepIds: ['task_HIG-Run3Summer07-000*'], statuses: ['ACTIVE'], workflows: [] }
    const live = new Set(expected.keys())
    const wanted = docs.filter((doc) => live.has(doc._id) && inScope(scope, doc)).map((doc) => doc._id).sort()
    expect(wanted.length).toBeGreaterThan(300)
    const proxy = await startFaultProxy(source.url, { drop: 0.05, error5xx: 0.05, slow: 0.1, slowMs: 200 }, 8)
    try {
      const { target } = await pullThrough(proxy, join(work, 'scoped'), scope)
      try {
        const got = await snapshot(target.url, target.embeddedServer!.authHeader)
        expect([...got.keys()].sort()).toEqual(wanted)
        for (const id of wanted) expect(got.get(id)).toEqual(expected.get(id))
        // Only the scope (and tombstones, which the selector lets through) crossed the wire.
        expect(proxy.bulkGetDocs).toBeLessThan(wanted.length * 1.5)
      } finally {
        await target.close()
      }
    } finally {
      await proxy.close()
    }
  }, 300_000)
})

describe('stats2 replicate killed with SIGKILL mid-pull', () => {
  it('started again: equal to the source, nothing doubled, and only the rest transferred', async () => {
    // Slow answers make the first run last long enough to be killed in the middle.
    const proxy = await startFaultProxy(source.url, { slow: 1, slowMs: 40 }, 9)
    const dataDir = join(work, 'killed')
    const env = { PATH: process.env.PATH ?? '', HOME: work, STATS2_DATA_DIR: dataDir, STATS2_REPLICA_AUTH_HEADER: source.authHeader, STATS2_LOG_LEVEL: 'info' }
    try {
      const first = spawnCli(['replicate', '--from', proxy.url], env)
      const pulledAtKill = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the first run never reached 3 000 documents')), 240_000)
        first.onLine((line) => {
          const match = /^replicate: ([\d ]+) documents pulled/.exec(line)
          const pulled = match ? Number(match[1]!.replace(/ /g, '')) : 0
          if (pulled >= 3_000) {
            clearTimeout(timer)
            killGroup(first.child)
            resolve(pulled)
          }
        })
        void first.exit.then((result) => reject(new Error(`the first run ended by itself (${result.code}): ${result.err.slice(-500)}`)))
      })
      const killed = await first.exit
      expect(killed.signal).toBe('SIGKILL')
      const transferredFirst = proxy.bulkGetDocs
      expect(transferredFirst).toBeGreaterThanOrEqual(pulledAtKill)
      expect(transferredFirst).toBeLessThan(DOCS)

      proxy.rates.slow = 0
      const second = spawnCli(['replicate', '--json'], env) // the source comes from the replica's mark
      const result = await second.exit
      expect(result.code, result.err.slice(-2000)).toBe(0)
      const summary = JSON.parse(result.out) as { fetched: number; resumed: boolean }
      const transferredSecond = proxy.bulkGetDocs - transferredFirst
      expect(summary.resumed).toBe(true)
      expect(summary.fetched).toBe(transferredSecond)
      // Only what came after the last checkpoint of the first run, at most one page again.
      expect(transferredSecond).toBeLessThanOrEqual(DOCS - 50 - pulledAtKill + 500)
      expect(transferredFirst + transferredSecond).toBeLessThan(DOCS + 500)

      const target = await CouchStore.open({ dataDir })
      try {
        const got = await snapshot(target.url, target.embeddedServer!.authHeader)
        expect(snapshotDifferences(got, expected), fingerprint(got)).toEqual([])
        // Nothing doubled: one row per document, and no conflicting leaf anywhere.
        const info = (await (await fetch(`${target.url}/requests`, { headers: { authorization: target.embeddedServer!.authHeader } })).json()) as { doc_count: number }
        expect(info.doc_count).toBe(DOCS - 50 + 2) // and the two design documents
      } finally {
        await target.close()
      }
    } finally {
      await proxy.close()
    }
  }, 600_000)
})
