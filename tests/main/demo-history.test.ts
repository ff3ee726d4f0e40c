/**
 * The demo starts with history: started through the contract handlers (real simulator over mTLS,
 * real embedded store), its earlier steps are replayed on a simulated clock, so every workflow that
 * has had outputs for a while already shows a curve, and its ReqMgr2 status transitions lie in the
 * same recent window as that history (not a year before it).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { DEMO_REPLAYED_STEPS, DEMO_STEPS, DEMO_STEP_SECONDS } from '../../src/main/desktop/demo'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { createHandlers, dispatch, type Handlers } from '../../src/main/ipc/handlers'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let core: AppCore
let handlers: Handlers
let docs: WorkflowDoc[] = []
let startedAt = 0
let finishedAt = 0

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-demo-history-'))
  core = await AppCore.create({ userDataDir: join(work, 'user'), env: { HOME: work }, secrets: new MemorySecretStore(), demoStepEveryMs: 0 })
  handlers = createHandlers(core, { openExternal: async () => undefined })
  startedAt = Math.floor(Date.now() / 1000)
  const started = await dispatch(handlers, 'startDemo', { workflows: 120 })
  expect(started).toMatchObject({ ok: true, value: { mode: 'demo' } })
  await core.job.wait()
  finishedAt = Math.ceil(Date.now() / 1000)
  const store = await core.activeStore()
  const { names } = await store.listNames({ limit: 1000 })
  docs = [...(await store.getWorkflows(names)).values()]
}, 180_000)

afterAll(async () => {
  await core?.close()
  await rm(work, { recursive: true, force: true })
})

describe('demo history', () => {
  it('is at the first live step after the replayed ones', () => {
    expect(core.demoSession!.sim.step).toBe(DEMO_REPLAYED_STEPS)
    expect(docs.length).toBeGreaterThan(100)
  })

  it('gives every workflow with outputs since the replay several history entries spread over hours', () => {
    const windowStart = startedAt - (DEMO_STEPS - 1) * DEMO_STEP_SECONDS
    // Outputs DBS knows (an entry of only NONE datasets says DBS did not list them yet).
    const known = (entry: WorkflowDoc['EventNumberHistory'][number]): boolean => Object.values(entry.Datasets).some((stat) => stat.Type !== 'NONE')
    const withOutputs = docs.filter((doc) => doc.EventNumberHistory.some(known))
    expect(withOutputs.length).toBeGreaterThan(docs.length / 2)
    // A workflow whose outputs DBS already listed half-way through the replay has a curve.
    const early = withOutputs.filter((doc) => Math.min(...doc.EventNumberHistory.filter(known).map((e) => e.Time)) <= windowStart + (DEMO_REPLAYED_STEPS / 2) * DEMO_STEP_SECONDS)
    expect(early.length).toBeGreaterThan(withOutputs.length / 2)
    for (const doc of early) {
      const times = doc.EventNumberHistory.map((entry) => entry.Time)
      expect(times.length, doc._id).toBeGreaterThanOrEqual(3)
      expect(new Set(times).size, doc._id).toBe(times.length)
      expect(Math.max(...times) - Math.min(...times), doc._id).toBeGreaterThanOrEqual(2 * DEMO_STEP_SECONDS)
    }
    for (const doc of withOutputs) {
      for (const entry of doc.EventNumberHistory) {
        expect(entry.Time).toBeGreaterThanOrEqual(windowStart)
        expect(entry.Time).toBeLessThanOrEqual(finishedAt)
      }
    }
  })

  it('puts the status transitions in the same recent window as the history', () => {
    const windowStart = startedAt - (DEMO_STEPS - 1) * DEMO_STEP_SECONDS
    for (const doc of docs) {
      expect(doc.RequestTransition.length, doc._id).toBeGreaterThan(0)
      for (const transition of doc.RequestTransition) {
        // Created at most two days before the scenario's first step, and nothing in the future.
        expect(transition.UpdateTime, doc._id).toBeGreaterThanOrEqual(windowStart - 2 * 86_400 - 60)
        expect(transition.UpdateTime, doc._id).toBeLessThanOrEqual(finishedAt)
      }
    }
    // Progress happens inside the window: most workflows moved on during it.
    const movedInWindow = docs.filter((doc) => doc.RequestTransition.some((t) => t.UpdateTime >= windowStart))
    expect(movedInWindow.length).toBeGreaterThan(docs.length / 2)
  })
})

describe('watchlist channels', () => {
  it('validates what is pinned and answers the view', async () => {
    expect(await dispatch(handlers, 'watchlistAdd', { item: { kind: 'dataset', value: '/a/b/c' } })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await dispatch(handlers, 'watchlistAdd', { item: { kind: 'prepid', value: 'bad value with spaces' } })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await dispatch(handlers, 'setWatchlistOptions', { stallHours: 0 })).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    expect(await dispatch(handlers, 'updateWatchlist', {})).toMatchObject({ ok: false, error: { code: 'invalid-argument', message: expect.stringContaining('empty') } })
    const withPrepId = docs.find((doc) => doc.PrepID)!
    const added = await dispatch(handlers, 'watchlistAdd', { item: { kind: 'prepid', value: withPrepId.PrepID } })
    expect(added).toMatchObject({ ok: true, value: { stallHours: 24, items: [{ item: { kind: 'prepid', value: withPrepId.PrepID } }] } })
    const view = added.ok ? (added.value as { items: Array<{ workflows: Array<{ _id: string; EventNumberHistory: unknown[] }> }> }) : undefined
    expect(view!.items[0]!.workflows.map((w) => w._id)).toContain(withPrepId._id)
    expect(view!.items[0]!.workflows.every((w) => w.EventNumberHistory.length <= 1)).toBe(true)
    expect(core.watch.items()).toEqual([{ kind: 'prepid', value: withPrepId.PrepID }])
    expect(await dispatch(handlers, 'setWatchlistOptions', { stallHours: 6 })).toMatchObject({ ok: true, value: { stallHours: 6 } })
    expect(await dispatch(handlers, 'updateWatchlist', {})).toMatchObject({ ok: true, value: { state: 'running', scope: 'names' } })
    await core.job.wait()
    expect(core.job.state().state).toBe('done')
    expect(await dispatch(handlers, 'watchlistRemove', { item: { kind: 'prepid', value: withPrepId.PrepID } })).toMatchObject({ ok: true, value: { items: [] } })
  })
})

describe('demo history after a cancelled first run', () => {
  it('stops the replay where it was cancelled and resumes it with the next update', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stats2-demo-cancel-'))
    const cancelling = await AppCore.create({ userDataDir: join(dir, 'user'), env: { HOME: dir }, secrets: new MemorySecretStore(), demoStepEveryMs: 0 })
    try {
      await cancelling.startDemo(60)
      cancelling.job.cancel()
      await cancelling.job.wait()
      expect(cancelling.job.state().state).toBe('cancelled')
      // Nothing of the replay was skipped: the simulator waits at the step the cancelled run was at.
      expect(cancelling.demoSession!.replayed).toBe(false)
      expect(cancelling.demoSession!.sim.step).toBeLessThan(DEMO_REPLAYED_STEPS)

      cancelling.startUpdate({ kind: 'all' })
      await cancelling.job.wait()
      expect(cancelling.job.state().state).toBe('done')
      expect(cancelling.demoSession!.sim.step).toBe(DEMO_REPLAYED_STEPS)
      const store = await cancelling.activeStore()
      const resumed = [...(await store.getWorkflows((await store.listNames({ limit: 1000 })).names)).values()]
      // As after an uncancelled start: curves, not single points.
      expect(resumed.filter((doc) => doc.EventNumberHistory.length >= 3).length).toBeGreaterThan(resumed.length / 4)
    } finally {
      await cancelling.close()
      await rm(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
