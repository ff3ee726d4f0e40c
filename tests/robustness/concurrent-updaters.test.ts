/**
 * Two updaters on one CouchDB: the embedded CouchDB-protocol server is started once here and shared
 * through DB_URL + STATS_DB_AUTH_HEADER by two `node bin/stats2.cjs update` child processes that get
 * the same page of the ReqMgr2 feed at the same instant, so that they write the same documents and
 * run into each other's 409s. Afterwards every workflow must hold exactly what a single updater
 * writes: every history entry once (none duplicated, none lost), no field lost.
 *
 * The same instant: the updaters reach the simulator through a start gate, a TCP relay that holds
 * the first connection of each (its first feed request; TLS stays end to end) until both are there.
 * Without it their start-up skew (a few hundred ms, more on a loaded machine) could let one run
 * ahead far enough that the other only finds its work done.
 *
 * First, two updaters started at the same instant on a CouchDB that has no Stats2 schema yet must
 * both get through creating it (in-process, so that they really start in the same tick).
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { CouchStore } from '../../src/main/store/couch-store'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import {
  cleanup, cli, historyEntries, historyProblems, readStore, simEnv, spawnCli, storeDifferences, summarize, tempDir, type Docs, type Env
} from './helpers'

const WORKFLOWS = 200
const STEPS = 2
const LATENCY_MS = 10
/** Pages of 100 changes, written in batches of 100 documents. */
const PAGE = '100'

let sim: Simulator
let gate: StartGate
let couch: EmbeddedCouch
let envShared: Env
let envReference: Env
let dirReference = ''
const conflicts: number[] = []

beforeAll(async () => {
  const work = await tempDir('stats2-concurrent-')
  const scenario = generateScenario({ workflows: WORKFLOWS, steps: STEPS, seed: 5 })
  sim = await startSimulator({ scenario, tlsDir: join(work, 'tls'), latencyMs: LATENCY_MS })
  gate = await startGate(new URL(sim.url))
  couch = await startEmbeddedCouch({ dataDir: join(work, 'shared-couch') })
  // The Stats2 schema (databases, views, validate_write), as a first start of Stats2 leaves it.
  await (await CouchStore.open({ url: couch.url, authHeader: couch.authHeader, dataDir: '' })).close()
  dirReference = join(work, 'store-reference')
  const common = { STATS2_CHANGES_PAGE: PAGE, STATS2_DB_BATCH: PAGE }
  envReference = simEnv(sim, work, { ...common, STATS2_DATA_DIR: dirReference })
  envShared = simEnv(sim, work, {
    ...common,
    CMSWEB_URL: gate.url,
    CMSWEB_PROD_URL: gate.url,
    DB_URL: couch.url,
    STATS_DB_AUTH_HEADER: couch.authHeader,
    STATS2_LOG_LEVEL: 'info'
  })
})

afterAll(async () => {
  await gate?.close()
  await sim?.close()
  await couch?.close()
  await cleanup()
})

interface StartGate {
  /** https://127.0.0.1:<gate port>: the simulator's certificate is for 127.0.0.1, so TLS checks pass. */
  url: string
  /** Holds the next `parties` connections until all have arrived (or `maxWaitMs` passed). */
  arm(parties: number, maxWaitMs: number): Promise<'all arrived' | 'timed out'>
  close(): Promise<void>
}

/** A TCP relay to `target` that can hold connections back until a number of them have arrived. */
async function startGate(target: URL): Promise<StartGate> {
  let held: Array<() => void> = []
  let wanted = 0
  let opened: ((how: 'all arrived' | 'timed out') => void) | undefined
  // Cleared on release: a previous step's timer must not open (and time out) the next step's gate.
  let timer: NodeJS.Timeout | undefined
  const sockets = new Set<Socket>()
  const relay = (client: Socket): void => {
    const upstream = connect(Number(target.port), target.hostname)
    sockets.add(upstream)
    upstream.once('close', () => sockets.delete(upstream))
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  }
  const release = (how: 'all arrived' | 'timed out'): void => {
    clearTimeout(timer)
    timer = undefined
    wanted = 0
    for (const go of held.splice(0)) go()
    opened?.(how)
    opened = undefined
  }
  const server: Server = createServer((client) => {
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    if (wanted === 0) return relay(client)
    held.push(() => relay(client))
    if (held.length >= wanted) release('all arrived')
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const port = (server.address() as { port: number }).port
  return {
    url: `https://127.0.0.1:${port}`,
    arm(parties, maxWaitMs) {
      held = []
      wanted = parties
      return new Promise((done) => {
        opened = done
        timer = setTimeout(() => release('timed out'), maxWaitMs)
        timer.unref()
      })
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => done())
      })
  }
}

/** Fields of the reference document that the shared store's document lacks. */
function lostFields(doc: WorkflowDoc, reference: WorkflowDoc): string[] {
  return Object.keys(reference).filter((key) => !(key in doc)).map((key) => `${doc._id}: lost ${key}`)
}

function revisions(docs: Docs): number {
  let n = 0
  for (const doc of docs.values()) n += Number.parseInt(doc._rev ?? '0', 10)
  return n
}

describe('two updaters at once on one CouchDB', () => {
  it('both start at the same instant on a CouchDB without the Stats2 schema: neither fails', async () => {
    expect(sim.step).toBe(0)
    const fresh = await startEmbeddedCouch({ dataDir: await tempDir('stats2-fresh-couch-') })
    try {
      const env = { ...envShared, DB_URL: fresh.url, STATS_DB_AUTH_HEADER: fresh.authHeader }
      const results = await Promise.all([cli(['update', '--json'], env), cli(['update', '--json'], env)])
      results.forEach((result, i) => expect(result.code, `updater ${i + 1} exited ${result.code}: ${result.err}`).toBe(0))
    } finally {
      await fresh.close()
    }
  }, 60_000)

  for (let step = 0; step < STEPS; step++) {
    it(`step ${step}: every history entry once, no field lost`, async () => {
      if (step > 0) sim.advance()
      expect(sim.step).toBe(step)
      const started = Date.now()

      // The reference: one updater alone, on its own store.
      const alone = await cli(['update', '--json'], envReference)
      expect(alone.code, alone.err).toBe(0)

      // Both updaters read the same position of the feed and get its first page at the same instant.
      // (The schema is there since beforeAll: its creation by two updaters at once is the test above.)
      const together = gate.arm(2, 30_000)
      const runs = [spawnCli(['update'], envShared), spawnCli(['update'], envShared)]
      const results = await Promise.all(runs.map((run) => run.exit))
      expect(await together, 'both updaters passed the start gate together').toBe('all arrived')
      // When each had its first page of the feed (its first log line after the gate).
      const startedAt = results.map((result) => Date.parse(/^(\S+) INFO +\[updater\] changes page:/m.exec(result.err)?.[1] ?? ''))
      let stepConflicts = 0
      results.forEach((result, i) => {
        expect(result.code, `updater ${i + 1} exited ${result.code}:\n${result.err.slice(-3000)}`).toBe(0)
        expect(result.out).toMatch(/^Update finished in .* 0 failed\./)
        for (const match of result.err.matchAll(/\[updater\] (\d+) write conflicts/g)) stepConflicts += Number(match[1])
      })
      conflicts.push(stepConflicts)

      const reference = await readStore({ dataDir: dirReference })
      const shared = await readStore({ url: couch.url, authHeader: couch.authHeader })
      expect(reference.docs.size).toBeGreaterThan(WORKFLOWS * 0.8)
      const problems: string[] = []
      for (const [name, doc] of shared.docs) {
        const want = reference.docs.get(name)
        problems.push(...historyProblems(doc, want))
        if (want) problems.push(...lostFields(doc, want))
      }
      expect(summarize(problems), 'history entries duplicated or lost, or fields lost').toBe('')
      expect(summarize(storeDifferences(shared.docs, reference.docs)), 'the shared store differs from the single-updater one').toBe('')
      expect(shared.settings.failed_workflows ?? []).toEqual([])
      expect(shared.settings.last_reqmgr_sequence).toEqual(reference.settings.last_reqmgr_sequence)

      // Both really wrote: more revisions than one updater alone made, and conflicts were merged.
      expect(revisions(shared.docs)).toBeGreaterThan(revisions(reference.docs))
      console.info(
        `[concurrent] step ${step}: ${shared.docs.size} workflows, ${historyEntries(shared.docs)} history entries as the reference; ` +
          `${stepConflicts} write conflicts merged (first pages ${Math.abs(startedAt[0]! - startedAt[1]!)} ms apart); revisions ${revisions(shared.docs)} vs ${revisions(reference.docs)} alone ` +
          `(${((Date.now() - started) / 1000).toFixed(1)} s)`
      )
    }, 120_000)
  }

  it('the updaters really ran into each other at every step', () => {
    expect(conflicts.length).toBe(STEPS)
    for (const n of conflicts) expect(n).toBeGreaterThan(0)
  })
})
