/**
 * `stats2 replicate` against a second embedded store served over HTTP (the shared Stats2's stand-in):
 * exact copies of a store the updater filled from a generated scenario (scoped and unscoped, with
 * revisions), the replica mark (update-all asks for --force, named updates run), local updates and
 * upstream changes merged, upstream deletions applied, continuous mode, and every kind of bad input
 * answered clearly with the replica left at its last checkpoint.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { CouchStore } from '../../src/main/store/couch-store'
import { SourceCouch } from '../../src/main/replica/source'
import { pullReplica, type ReplicaProgress } from '../../src/main/replica/pull'
import { inScope } from '../../src/main/replica/scope-filter'
import { readReplicaMarker } from '../../src/main/replica/marker'
import type { SyncScope } from '../../src/shared/sync-scope'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { runCli, simulatorEnv } from '../helpers/cli'
import { startFaultProxy } from '../helpers/fault-proxy'
import { connect, removeTempDirs, tempDir, updateAll, type Harness } from '../scope/helpers'
import { fillSource, snapshot, snapshotDifferences, startSource, syntheticDoc, type Source } from './helpers'

afterAll(removeTempDirs)

const scope = (over: Partial<SyncScope>): SyncScope => ({ campaigns: [], prepIds: [], statuses: [], workflows: [], ...over })

/** The replica's data folder opened as a store (the CLI closed it). */
async function withReplica<T>(dataDir: string, work: (store: CouchStore) => Promise<T>): Promise<T> {
  const store = await CouchStore.open({ dataDir })
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}

async function replicaSnapshot(dataDir: string): Promise<Awaited<ReturnType<typeof snapshot>>> {
  return withReplica(dataDir, (store) => snapshot(store.url, store.embeddedServer!.authHeader))
}

describe('a store filled by the updater from a generated scenario', () => {
  const scenario = generateScenario({ workflows: 250, steps: 2, seed: 23 })
  let sim: Simulator
  let harness: Harness
  let source: Source
  let work: string

  beforeAll(async () => {
    work = await tempDir()
    sim = await startSimulator({ scenario, tlsDir: join(work, 'tls') })
    harness = await connect(sim)
    source = await startSource(join(work, 'source'))
    await updateAll(harness, source.store, undefined, 1_800_000_000)
  }, 120_000)
  afterAll(async () => {
    await source?.close()
    await harness?.close()
    await sim?.close()
  })

  it('unscoped: the replica holds exactly its documents, revisions and ancestry included', async () => {
    const dataDir = join(work, 'replica-all')
    const result = await runCli(['replicate', '--from', source.urlWithCredentials, '--json'], { HOME: work, STATS2_DATA_DIR: dataDir })
    expect(result.code, result.err).toBe(0)
    const summary = JSON.parse(result.out) as { written: number; fetched: number; cancelled: boolean }
    const expected = await snapshot(source.url, source.authHeader)
    expect(expected.size).toBeGreaterThan(200)
    expect(summary).toMatchObject({ written: expected.size, fetched: expected.size, cancelled: false })
    expect(snapshotDifferences(await replicaSnapshot(dataDir), expected)).toEqual([])
    // The credentials never reach the output or the mark.
    expect(result.err + result.out).not.toContain(source.couch.adminPassword)
    const marker = await withReplica(dataDir, readReplicaMarker)
    expect(marker).toMatchObject({ source: source.url, scope: null })
    expect(marker?.last_pull).toBeGreaterThan(0)
    // The source's last update time becomes the replica's (the page's header, the overview).
    expect((await withReplica(dataDir, (s) => s.getSettings())).last_dbs_update_date).toBe((await source.store.getSettings()).last_dbs_update_date)
  })

  it('scoped: exactly the documents of the scope, and the scope is kept for the next pull', async () => {
    const all = new Map<string, WorkflowDoc>()
    for await (const page of source.store.allWorkflows()) for (const doc of page) all.set(doc._id, doc)
    const campaigns = [...new Set([...all.values()].flatMap((doc) => doc.Campaigns as string[]))].sort().slice(0, 2)
    const syncScope = scope({ campaigns, statuses: ['ACTIVE'] })
    const wanted = [...all.values()].filter((doc) => inScope(syncScope, doc)).map((doc) => doc._id).sort()
    expect(wanted.length).toBeGreaterThan(0)
    expect(wanted.length).toBeLessThan(all.size / 2)
    const dataDir = join(work, 'replica-scoped')
    // The source from STATS2_REPLICA_SOURCE, the credentials from STATS2_REPLICA_AUTH_HEADER.
    const args = ['replicate', ...campaigns.flatMap((c) => ['--campaign', c]), '--status', 'ACTIVE']
    const result = await runCli(args, { HOME: work, STATS2_DATA_DIR: dataDir, STATS2_REPLICA_SOURCE: source.url, STATS2_REPLICA_AUTH_HEADER: source.authHeader })
    expect(result.err).toMatch(new RegExp(`^replicate: ${wanted.length} documents pulled, ${wanted.length} written, seq \\S+, [\\d.]+ docs/s$`, 'm'))
    expect(result.code, result.err).toBe(0)
    const got = await replicaSnapshot(dataDir)
    expect([...got.keys()].sort()).toEqual(wanted)
    const expected = await snapshot(source.url, source.authHeader)
    for (const id of wanted) expect(got.get(id)).toEqual(expected.get(id))
    // Without flags the next pull keeps the scope (the mark remembers it) and finds nothing new.
    const again = await runCli(['replicate', '--json'], { HOME: work, STATS2_DATA_DIR: dataDir, STATS2_REPLICA_AUTH_HEADER: source.authHeader })
    expect(again.code, again.err).toBe(0)
    expect(JSON.parse(again.out)).toMatchObject({ fetched: 0, resumed: true })
    expect([...(await replicaSnapshot(dataDir)).keys()].sort()).toEqual(wanted)
    // --detach: an ordinary store again, its documents kept.
    const detached = await runCli(['replicate', '--detach'], { HOME: work, STATS2_DATA_DIR: dataDir })
    expect(detached.code, detached.err).toBe(0)
    expect(detached.err).toContain(`no longer marked as a replica of ${source.url}`)
    expect(await withReplica(dataDir, readReplicaMarker)).toBeUndefined()
    expect([...(await replicaSnapshot(dataDir)).keys()].sort()).toEqual(wanted)
  })

  it('update-all on a replica asks for --force; a named update runs locally and the next pull keeps it', async () => {
    const dataDir = join(work, 'replica-update')
    const env = { ...simulatorEnv(sim, work), STATS2_DATA_DIR: dataDir }
    expect((await runCli(['replicate', '--from', source.urlWithCredentials], env)).code).toBe(0)
    const refused = await runCli(['update'], env)
    expect(refused.code).toBe(1)
    expect(refused.err).toContain(`is a replica of ${source.url}`)
    expect(refused.err).toContain('--force')
    expect(sim.requestCounts()['reqmgr2.changes'] ?? 0).toBeGreaterThan(0) // from the source's fill
    sim.resetCounts()
    expect((await runCli(['update'], env)).code).toBe(1)
    expect(sim.requestCounts()).toEqual({}) // refused before any cmsweb call

    // Step 1: a workflow whose status moves; the operator updates it here, the shared Stats2 does not yet.
    sim.advance()
    const transitions = (step: number, id: string): string => JSON.stringify(scenario.steps[step]!.reqmgr2.get(id)?.RequestTransition ?? null)
    const name = [...scenario.steps[0]!.reqmgr2.keys()].find((id) => scenario.steps[1]!.reqmgr2.has(id) && transitions(0, id) !== transitions(1, id))!
    expect(name).toBeDefined()
    const named = await runCli(['update', '--name', name], env)
    expect(named.code, named.err).toBe(0)
    const local = await withReplica(dataDir, (store) => store.getWorkflow(name))
    const upstreamBefore = await source.store.getWorkflow(name)
    expect(local?._rev).not.toBe(upstreamBefore?._rev)
    // The next pull (nothing changed upstream) keeps the local update.
    expect((await runCli(['replicate'], { ...env, STATS2_REPLICA_AUTH_HEADER: source.authHeader })).code).toBe(0)
    expect(await withReplica(dataDir, (store) => store.getWorkflow(name))).toEqual(local)
    const forced = await runCli(['update', '--force'], env)
    expect(forced.code, forced.err).toBe(0)
  })
})

describe('local updates, upstream changes and deletions', () => {
  it('merge after the pull (history union, newer ReqMgr2 fields); deleted upstream is deleted here, even when updated here', async () => {
    const work = await tempDir()
    const source = await startSource(join(work, 'source'))
    const dataDir = join(work, 'replica')
    try {
      await fillSource(source, 50, 9)
      const env = { HOME: work, STATS2_DATA_DIR: dataDir, STATS2_REPLICA_AUTH_HEADER: source.authHeader }
      expect((await runCli(['replicate', '--from', source.url], env)).code).toBe(0)
      const [a, b, c] = [syntheticDoc(3, 9), syntheticDoc(4, 9), syntheticDoc(5, 9)]
      const last = (doc: WorkflowDoc): number => doc.EventNumberHistory.at(-1)!.Time
      // Here: a gets a new history entry (the operator's update); b too, and b is then deleted upstream.
      await withReplica(dataDir, async (store) => {
        for (const doc of [a, b]) {
          const stored = (await store.getWorkflow(doc._id))!
          const entry = { Time: last(stored) + 100, Datasets: { [stored.OutputDatasets[0]!]: { Type: 'PRODUCTION', Events: 777, Size: 1 } } }
          expect((await store.saveWorkflow({ ...stored, EventNumberHistory: [...stored.EventNumberHistory, entry] })).ok).toBe(true)
        }
      })
      // Upstream: a gets another entry and a newer status; b is deleted; c gets a new entry.
      const upA = (await source.store.getWorkflow(a._id))!
      const newerTransition = { Status: 'aborted', UpdateTime: upA.RequestTransition.at(-1)!.UpdateTime + 500 }
      const upEntry = { Time: last(upA) + 200, Datasets: { [upA.OutputDatasets[0]!]: { Type: 'VALID', Events: 888, Size: 2 } } }
      expect((await source.store.saveWorkflow({ ...upA, RequestTransition: [...upA.RequestTransition, newerTransition], EventNumberHistory: [...upA.EventNumberHistory, upEntry] })).ok).toBe(true)
      expect(await source.store.deleteWorkflows([b._id])).toEqual([b._id])
      const upC = (await source.store.getWorkflow(c._id))!
      expect((await source.store.saveWorkflow({ ...upC, TotalEvents: 1 })).ok).toBe(true)

      const pulled = await runCli(['replicate', '--json'], env)
      expect(pulled.code, pulled.err).toBe(0)
      expect(JSON.parse(pulled.out)).toMatchObject({ merged: 1, deleted: 1 })
      await withReplica(dataDir, async (store) => {
        const merged = (await store.getWorkflow(a._id))!
        expect(merged.RequestTransition.at(-1)).toEqual(newerTransition) // newer ReqMgr2 fields
        const events = merged.EventNumberHistory.map((entry) => Object.values(entry.Datasets)[0]!.Events)
        expect(events.slice(-2)).toEqual([777, 888]) // both sides' entries, by time
        expect(merged.EventNumberHistory).toHaveLength(a.EventNumberHistory.length + 2)
        expect(await store.getWorkflow(b._id)).toBeUndefined()
        expect((await store.getWorkflow(c._id))?.TotalEvents).toBe(1)
        const snap = await snapshot(store.url, store.embeddedServer!.authHeader)
        expect([...snap.values()].filter((d) => d.conflicts.length > 0)).toEqual([])
      })
      // A pull with nothing new changes nothing (the merge is stable).
      const before = await replicaSnapshot(dataDir)
      expect(JSON.parse((await runCli(['replicate', '--json'], env)).out)).toMatchObject({ fetched: 0, merged: 0 })
      expect(await replicaSnapshot(dataDir)).toEqual(before)
      // The source gone (the network down): searching the replica works as before.
      await source.close()
      const found = await runCli(['search', c.PrepID!], env)
      expect(found.code, found.err).toBe(0)
      expect((JSON.parse(found.out) as WorkflowDoc[]).map((doc) => doc._id)).toEqual([c._id])
      const offline = await runCli(['replicate'], { ...env, STATS2_LOG_LEVEL: 'error' })
      expect(offline.code).toBe(1)
      expect(offline.err).toContain(`Cannot reach ${source.url}`)
    } finally {
      await source.close()
    }
  }, 120_000)
})

describe('continuous mode', () => {
  it('follows new, changed and deleted workflows upstream until stopped', async () => {
    const work = await tempDir()
    const source = await startSource(join(work, 'source'))
    const target = await CouchStore.open({ dataDir: join(work, 'replica') })
    const client = new SourceCouch({ url: source.url, authHeader: source.authHeader })
    const abort = new AbortController()
    const phases: ReplicaProgress['phase'][] = []
    try {
      await fillSource(source, 30, 4)
      const running = pullReplica({ source: client, target, continuous: true, longpollMs: 2_000, signal: abort.signal, onProgress: (p) => phases.push(p.phase) })
      const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
        const deadline = Date.now() + 30_000
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      await until('the first 30 arrive', async () => (await target.countWorkflows()) === 30)
      await until('it waits for changes', async () => phases.includes('waiting'))
      await fillSource(source, 5, 4, 30)
      const changed = (await source.store.getWorkflow(syntheticDoc(2, 4)._id))!
      await source.store.saveWorkflow({ ...changed, TotalEvents: 42 })
      await source.store.deleteWorkflows([syntheticDoc(3, 4)._id])
      await until('the changes arrive', async () => (await target.countWorkflows()) === 34 && (await target.getWorkflow(changed._id))?.TotalEvents === 42)
      expect(await target.getWorkflow(syntheticDoc(3, 4)._id)).toBeUndefined()
      abort.abort()
      const summary = await running
      expect(summary).toMatchObject({ cancelled: true, deleted: 1 })
      expect(snapshotDifferences(await snapshot(target.url, target.embeddedServer!.authHeader), await snapshot(source.url, source.authHeader))).toEqual([])
    } finally {
      abort.abort()
      await client.close()
      await target.close()
      await source.close()
    }
  }, 90_000)
})

describe('bad input: a clear message, the replica left at its last checkpoint', () => {
  let work: string
  let source: Source
  let htmlServer: Server
  let htmlUrl: string

  beforeAll(async () => {
    work = await tempDir()
    source = await startSource(join(work, 'source'), { anonymous: 'none' })
    await fillSource(source, 1200, 2)
    htmlServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to our portal</body></html>'))
    await new Promise<void>((resolve) => htmlServer.listen(0, '127.0.0.1', resolve))
    htmlUrl = `http://127.0.0.1:${(htmlServer.address() as AddressInfo).port}`
  }, 60_000)
  afterAll(async () => {
    await source?.close()
    await new Promise((resolve) => htmlServer?.close(resolve))
  })

  const env = (dir: string, extra: Record<string, string> = {}): Record<string, string> => ({ HOME: work, STATS2_DATA_DIR: join(work, dir), ...extra })

  it('a URL that is not CouchDB', async () => {
    const result = await runCli(['replicate', '--from', htmlUrl], env('r1'))
    expect(result.code).toBe(1)
    expect(result.err).toContain(`${htmlUrl} does not answer like CouchDB`)
  })

  it('no credentials where they are needed, and wrong ones', async () => {
    const none = await runCli(['replicate', '--from', source.url], env('r2'))
    expect(none.code).toBe(1)
    expect(none.err).toContain('needs credentials')
    const wrong = await runCli(['replicate', '--from', source.url.replace('http://', 'http://stats2-admin:not-the-password@')], env('r2'))
    expect(wrong.code).toBe(1)
    expect(wrong.err).toContain('refused the credentials')
    expect(wrong.err).not.toContain('not-the-password')
  })

  it('a database missing upstream', async () => {
    const empty = await startSource(join(work, 'empty'))
    try {
      const del = await fetch(`${empty.url}/requests`, { method: 'DELETE', headers: { authorization: empty.authHeader } })
      expect(del.status).toBe(200)
      const result = await runCli(['replicate', '--from', empty.urlWithCredentials], env('r3'))
      expect(result.code).toBe(1)
      expect(result.err).toContain('has no database "requests"')
    } finally {
      await empty.close()
    }
  })

  it('a server that cannot be reached', async () => {
    const result = await runCli(['replicate', '--from', 'http://127.0.0.1:9'], env('r4', { STATS2_LOG_LEVEL: 'error' }))
    expect(result.code).toBe(1)
    expect(result.err).toContain('Cannot reach http://127.0.0.1:9')
  }, 120_000)

  it('a 5xx storm in the middle of a pull: it stops with the reason; the next pull resumes at the checkpoint and transfers only the rest', async () => {
    const proxy = await startFaultProxy(source.url)
    const target = await CouchStore.open({ dataDir: join(work, 'r5') })
    const client = new SourceCouch({ url: proxy.url, authHeader: source.authHeader, retries: 2, retryBaseMs: 10, retryMaxMs: 20 })
    try {
      let storm = false
      const failed = await pullReplica({
        source: client, target, pageSize: 100,
        onProgress: (p: ReplicaProgress) => {
          // After the fourth page has been checkpointed, every answer becomes a 503.
          if (!storm && p.changes >= 400) proxy.storm = storm = true
        }
      }).then(() => undefined, (error: Error) => error)
      expect(failed?.message).toMatch(/answered 503 when asked to .* \(3 attempts\)/)
      const kept = await target.countWorkflows()
      expect(kept).toBeGreaterThanOrEqual(390)
      expect(kept).toBeLessThan(1200)
      proxy.storm = false
      const before = proxy.bulkGetDocs
      const summary = await pullReplica({ source: client, target, pageSize: 100 })
      expect(summary.resumed).toBe(true)
      expect(proxy.bulkGetDocs - before).toBe(1200 - kept)
      expect(snapshotDifferences(await snapshot(target.url, target.embeddedServer!.authHeader), await snapshot(source.url, source.authHeader))).toEqual([])
    } finally {
      await client.close()
      await target.close()
      await proxy.close()
    }
  }, 120_000)

  it('DB_URL set: the replica is always the embedded store', async () => {
    const result = await runCli(['replicate', '--from', source.url], env('r6', { DB_URL: 'http://127.0.0.1:5984' }))
    expect(result.code).toBe(2)
    expect(result.err).toContain('_replicator')
  })
})
