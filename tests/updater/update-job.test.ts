import { describe, expect, it } from 'vitest'
import { UpdateJob, type JobRunner } from '../../src/main/updater/update-job'
import { BusyError } from '../../src/main/core/errors'
import type { UpdaterState } from '../../src/shared/ipc-contract'
import type { UpdateReport } from '../../src/shared/update-types'

const report = (over: Partial<UpdateReport> = {}): UpdateReport => ({
  scope: 'names', startedAt: 1, finishedAt: 2, changed: 1, deleted: 0, written: 1, unchanged: 0, recalculated: 1,
  historyAdded: 1, failed: [], notifications: { sent: 0, failed: 0 }, warnings: [], cancelled: false, ...over
})

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe('update job state machine', () => {
  it('goes idle → running(progress, per workflow) → done, and refuses a second start while running', async () => {
    const gate = deferred()
    const runner: JobRunner = async (_scope, _options, hooks) => {
      hooks.onProgress({ phase: 'updating', done: 1, total: 2, current: 'a' })
      hooks.onWorkflow({ name: 'a', stage: 'update', outcome: 'written' })
      hooks.onWorkflow({ name: 'b', stage: 'update', outcome: 'failed', reason: 'ReqMgr2 404' })
      await gate.promise
      return report({ failed: [{ name: 'b', reason: 'ReqMgr2 404' }] })
    }
    const job = new UpdateJob(runner, 0)
    const seen: UpdaterState[] = []
    job.on('state', (state) => seen.push(state))
    expect(job.state()).toEqual({ state: 'idle', jobId: 0 })
    const started = job.start({ kind: 'names', names: ['a', 'b', 'a'] })
    expect(started.state).toBe('running')
    expect(started.workflows?.map((w) => w.name)).toEqual(['a', 'b'])
    expect(() => job.start({ kind: 'all' })).toThrow(BusyError)
    await new Promise((r) => setTimeout(r, 5))
    const running = job.state()
    expect(running.progress).toEqual({ phase: 'updating', done: 1, total: 2, current: 'a' })
    expect(running.workflows).toEqual([
      { name: 'a', stage: 'update', outcome: 'written' },
      { name: 'b', stage: 'update', outcome: 'failed', reason: 'ReqMgr2 404' }
    ])
    expect(running.recentFailures).toEqual([{ name: 'b', reason: 'ReqMgr2 404' }])
    gate.resolve()
    const final = await job.wait()
    expect(final.state).toBe('done')
    expect(final.report?.failed).toHaveLength(1)
    expect(seen[0]?.state).toBe('running')
    expect(seen[seen.length - 1]?.state).toBe('done')
    expect(job.start({ kind: 'all' }).jobId).toBe(2)
  })

  it('ends cancelled when asked to stop, failed when the run throws', async () => {
    const cancellable = new UpdateJob(async (_s, _o, hooks) => {
      await new Promise<void>((resolve) => hooks.signal.addEventListener('abort', () => resolve()))
      return report({ cancelled: true })
    }, 0)
    cancellable.start({ kind: 'all' })
    cancellable.cancel()
    expect((await cancellable.wait()).state).toBe('cancelled')

    const broken = new UpdateJob(async () => {
      throw new Error('Cannot reach CouchDB at http://127.0.0.1:1')
    }, 0)
    broken.start({ kind: 'all' })
    const failed = await broken.wait()
    expect(failed).toMatchObject({ state: 'failed', error: 'Cannot reach CouchDB at http://127.0.0.1:1' })
  })

  it('throttles progress events but always delivers the final state', async () => {
    const job = new UpdateJob(async (_s, _o, hooks) => {
      for (let i = 0; i < 1000; i++) hooks.onProgress({ phase: 'updating', done: i, total: 1000 })
      return report()
    }, 1000)
    const seen: UpdaterState[] = []
    job.on('state', (state) => seen.push(state))
    job.start({ kind: 'all' })
    await job.wait()
    expect(seen.length).toBeLessThan(5)
    expect(seen[seen.length - 1]?.state).toBe('done')
  })
})
