/**
 * Scoped sync over the simulator: the first run fetches just the scope through ReqMgr2's query API
 * and takes the feed's position; the feed is followed afterwards, leaving workflows outside the scope
 * alone; widening fetches just the new part; narrowing and workflows leaving the scope keep what is
 * stored; removing the scope goes back to the whole feed. Documents in scope are byte for byte those
 * of an unscoped run over the same scenario, at every step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import type { Scenario } from '../../src/sim/scenario'
import { ScopeMatcher, type SyncScope } from '../../src/shared/sync-scope'
import { bytesOf, connect, openStore, readDocs, removeTempDirs, scope, tempDir, updateAll, type ScopeSettings } from './helpers'

const STEPS = 4
let scenario: Scenario

beforeAll(() => {
  scenario = generateScenario({ workflows: 400, steps: STEPS, seed: 11 })
})
afterAll(removeTempDirs)

function namesAt(step: number, filter: (name: string, doc: Record<string, unknown>) => boolean): string[] {
  return [...scenario.steps[step]!.reqmgr2].filter(([name, doc]) => filter(name, doc)).map(([name]) => name).sort()
}

function inScope(step: number, syncScope: SyncScope): string[] {
  const matcher = new ScopeMatcher(syncScope)
  return namesAt(step, (name, doc) => matcher.matches(name, doc))
}

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((sum, n) => sum + n, 0)
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

async function withSim<T>(work: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator({ scenario, tlsDir: join(await tempDir(), 'tls') })
  try {
    return await work(sim)
  } finally {
    await sim.close()
  }
}

describe('scoped sync over the simulator', () => {
  it('first run, then the feed: only the scope is stored, and each document is the unscoped run\'s, byte for byte', async () => {
    // A parent whose ACDC (same PrepID, same output datasets) appears later and is outside the scope:
    // the ACDC's changes must still recalculate the parent, as an unscoped run does. The parent is
    // running at step 0, so that its output datasets still grow while the feed is followed.
    const parentOf = (acdcName: string): string | undefined => {
      const acdcDoc = scenario.steps[STEPS - 1]!.reqmgr2.get(acdcName)!
      return namesAt(0, (_name, doc) => doc.PrepID === acdcDoc.PrepID && doc.RequestType !== 'Resubmission' && doc.RequestStatus === 'running-open')[0]
    }
    const acdc = namesAt(STEPS - 1, (name, doc) => doc.RequestType === 'Resubmission' && !scenario.steps[0]!.reqmgr2.has(name) &&
      doc.Campaign !== 'Run2024ReReco' && !String(doc.PrepID).startsWith('task_HIG-') && parentOf(name) !== undefined)[0]!
    const parent = parentOf(acdc)!
    expect(parent).toBeDefined()
    const syncScope = scope({ campaigns: ['Run2024ReReco'], prepIds: ['task_HIG-*'], workflows: [parent] })
    const late = namesAt(STEPS - 1, (name, doc) => doc.Campaign === 'Run2024ReReco' && !scenario.steps[0]!.reqmgr2.has(name))
    expect(late.length).toBeGreaterThan(0) // a new workflow of a scoped campaign arrives through the feed

    await withSim(async (sim) => {
      const harness = await connect(sim)
      const unscoped = await openStore(await tempDir())
      const scoped = await openStore(await tempDir())
      try {
        for (let step = 0; step < STEPS; step++) {
          if (step > 0) sim.advance()
          const now = nowSeconds()
          sim.resetCounts()
          await updateAll(harness, unscoped, undefined, now)
          const unscopedCalls = sim.requestCounts()
          const unscopedBytes = total(sim.requestBytes())
          sim.resetCounts()
          const { report, events } = await updateAll(harness, scoped, syncScope, now)
          const scopedCalls = sim.requestCounts()
          expect(report.failed).toEqual([])

          const wanted = inScope(step, syncScope)
          const all = await readDocs(unscoped)
          const mine = await readDocs(scoped)
          expect([...mine.keys()].sort()).toEqual(wanted)
          for (const name of wanted) expect(bytesOf(mine.get(name)), name).toBe(bytesOf(all.get(name)))
          // Workflows outside the scope are never written, and no DBS call is made for them.
          const outside = new Set(namesAt(step, (name) => !wanted.includes(name)))
          expect(events.filter((e) => outside.has(e.name) && e.outcome !== 'skipped')).toEqual([])

          if (step === 0) {
            expect(wanted.length).toBeGreaterThan(20)
            expect(wanted.length).toBeLessThan(scenario.steps[0]!.reqmgr2.size / 3)
            expect(scopedCalls['reqmgr2.request']).toBeGreaterThan(0)
            expect(scopedCalls['reqmgr2.view']).toBe(1) // the PrepID glob
            expect(scopedCalls['dbs.datasets']).toBeUndefined() // empty store: nothing to ask DBS about
            expect(total(scopedCalls)).toBeLessThan(total(unscopedCalls) / 2)
            expect(total(sim.requestBytes())).toBeLessThan(unscopedBytes / 2)
            const settings = (await scoped.getSettings()) as ScopeSettings
            expect(settings.sync_scope).toEqual(syncScope)
            expect(settings.sync_scope_pending).toBeUndefined()
            expect(settings.last_reqmgr_sequence).toBe(((await unscoped.getSettings()) as ScopeSettings).last_reqmgr_sequence)
          } else {
            // Following the feed: one page read, no scope query any more.
            expect(scopedCalls['reqmgr2.request'] ?? 0).toBeLessThanOrEqual(unscopedCalls['reqmgr2.request'] ?? 0)
            expect(scopedCalls['reqmgr2.view']).toBeUndefined()
            expect(scopedCalls['dbs.filesummaries'] ?? 0).toBeLessThan(unscopedCalls['dbs.filesummaries'] ?? 0)
          }
        }
        const final = await readDocs(scoped)
        for (const name of late) expect(final.has(name), name).toBe(true)
        expect(final.has(parent)).toBe(true)
        expect(final.has(acdc)).toBe(false)
        expect(final.get(parent)!.EventNumberHistory.length).toBeGreaterThan(1)
      } finally {
        await unscoped.close()
        await scoped.close()
        await harness.close()
      }
    })
  }, 240_000)

  it('widening fetches just the new part; narrowing keeps what is stored and stops updating it; no scope reads the whole feed again', async () => {
    const first = scope({ campaigns: ['Run2023ReReco'] })
    const wide = scope({ campaigns: ['Run2023ReReco', 'Run2022ReReco'] })
    const added = inScope(0, scope({ campaigns: ['Run2022ReReco'] }))
    expect(added.length).toBeGreaterThan(5)

    await withSim(async (sim) => {
      const harness = await connect(sim)
      const store = await openStore(await tempDir())
      try {
        let now = nowSeconds()
        await updateAll(harness, store, first, now)
        expect([...(await readDocs(store)).keys()].sort()).toEqual(inScope(0, first))

        const widened = await updateAll(harness, store, wide, now)
        expect(widened.report.changed).toBe(added.length)
        expect(widened.events.filter((e) => e.stage === 'update' && e.outcome === 'written').map((e) => e.name).sort()).toEqual(added)
        expect([...(await readDocs(store)).keys()].sort()).toEqual(inScope(0, wide))

        // Narrowing: nothing is deleted; the workflows outside are listed as excluded and kept as they are.
        const before = await readDocs(store)
        const narrowed = await updateAll(harness, store, first, now)
        expect(narrowed.report.deleted).toBe(0)
        expect(narrowed.report.changed).toBe(0)
        let settings = (await store.getSettings()) as ScopeSettings
        expect(settings.scope_excluded).toEqual(added)
        expect([...(await readDocs(store)).keys()].sort()).toEqual(inScope(0, wide))

        sim.advance()
        sim.advance()
        now = nowSeconds()
        const later = await updateAll(harness, store, first, now)
        expect(later.report.failed).toEqual([])
        const after = await readDocs(store)
        for (const name of added) {
          if (!scenario.steps[2]!.reqmgr2.has(name)) continue // deleted in ReqMgr2: removed as in any run
          expect(bytesOf(after.get(name)), name).toBe(bytesOf(before.get(name)))
        }
        const kept = inScope(2, first)
        expect(kept.some((name) => bytesOf(after.get(name)) !== bytesOf(before.get(name)))).toBe(true)

        // No scope any more: the whole feed from 0, as a first unscoped run.
        sim.resetCounts()
        await updateAll(harness, store, undefined, nowSeconds())
        expect([...(await readDocs(store)).keys()].sort()).toEqual(namesAt(2, () => true))
        settings = (await store.getSettings()) as ScopeSettings
        expect(settings.sync_scope).toBeUndefined()
        expect(settings.scope_excluded).toBeUndefined()
      } finally {
        await store.close()
        await harness.close()
      }
    })
  }, 240_000)

  it('a status scope: workflows leaving it keep their document and history; workflows entering it arrive through the feed', async () => {
    const running = scope({ statuses: ['running-open', 'running-closed'] })
    const status = (step: number, name: string): unknown => scenario.steps[step]?.reqmgr2.get(name)?.RequestStatus
    const leaving = inScope(0, running).filter((name) => ['completed', 'announced'].includes(String(status(1, name))))
    const entering = namesAt(1, (name, doc) => ['running-open', 'running-closed'].includes(String(doc.RequestStatus)) &&
      !['running-open', 'running-closed'].includes(String(status(0, name))))
    expect(leaving.length).toBeGreaterThan(0)
    expect(entering.length).toBeGreaterThan(0)

    await withSim(async (sim) => {
      const harness = await connect(sim)
      const store = await openStore(await tempDir())
      try {
        await updateAll(harness, store, running, nowSeconds())
        const before = await readDocs(store)
        expect([...before.keys()].sort()).toEqual(inScope(0, running))

        sim.advance()
        const { report } = await updateAll(harness, store, running, nowSeconds())
        expect(report.failed).toEqual([])
        const after = await readDocs(store)
        for (const name of leaving) expect(bytesOf(after.get(name)), name).toBe(bytesOf(before.get(name)))
        for (const name of entering) expect(after.has(name), name).toBe(true)
        const settings = (await store.getSettings()) as ScopeSettings
        expect(settings.scope_excluded).toEqual(expect.arrayContaining(leaving))

        // Still left alone at the next step, whatever DBS reports for their datasets.
        sim.advance()
        await updateAll(harness, store, running, nowSeconds())
        const later = await readDocs(store)
        for (const name of leaving) {
          if (scenario.steps[2]!.reqmgr2.has(name)) expect(bytesOf(later.get(name)), name).toBe(bytesOf(before.get(name)))
        }
      } finally {
        await store.close()
        await harness.close()
      }
    })
  }, 240_000)

  it('a store filled without a scope, then scoped: nothing fetched again, the rest kept and no longer updated', async () => {
    const small = scope({ campaigns: ['Run2023ReReco'] })
    await withSim(async (sim) => {
      const harness = await connect(sim)
      const store = await openStore(await tempDir())
      try {
        await updateAll(harness, store, undefined, nowSeconds())
        const before = await readDocs(store)
        const scoped = await updateAll(harness, store, small, nowSeconds())
        expect(scoped.report.changed).toBe(0)
        const settings = (await store.getSettings()) as ScopeSettings & { scope_followed?: string[] }
        // Far fewer followed than excluded: the followed names are what all_settings keeps.
        expect(settings.scope_followed).toEqual(inScope(0, small))
        expect(settings.scope_excluded).toBeUndefined()

        sim.advance()
        sim.advance()
        await updateAll(harness, store, small, nowSeconds())
        const after = await readDocs(store)
        const inside = new Set(inScope(2, small))
        let changedInside = 0
        for (const [name, doc] of before) {
          if (!scenario.steps[2]!.reqmgr2.has(name)) continue
          if (inside.has(name)) changedInside += bytesOf(after.get(name)) === bytesOf(doc) ? 0 : 1
          else expect(bytesOf(after.get(name)), name).toBe(bytesOf(doc))
        }
        expect(changedInside).toBeGreaterThan(0)
      } finally {
        await store.close()
        await harness.close()
      }
    })
  }, 240_000)
})
