/**
 * A deliberate difference from the old Stats2 (docs/differences.md): its `update_one` compares the
 * stored document (which holds `LastUpdate`) with the new one (which never does), so every workflow
 * in ReqMgr2's changes feed is rewritten — new `_rev`, new `LastUpdate` — and notified to
 * McM/RelVal/ReReco, even when no Stats2 field changed. Here a workflow is written, and notified,
 * only when a Stats2 field changed: `LastUpdate` is the time of the last content change.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { notifyingEnv, runCli, simulatorEnv } from '../helpers/cli'
import { SHARED_DIR } from '../helpers/paths'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import type { UpdateReport } from '../../src/shared/update-types'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let sim: Simulator
let env: Record<string, string>
let target: string

/** Step 00 of the public scenario; step 01: one ReqMgr2 field Stats2 does not store changes; step 02: one it stores. */
async function writeScenario(dir: string): Promise<void> {
  const source = join(SHARED_DIR, 'conformance', 'stats2-public', 'steps', '00')
  const steps = ['00', '01', '02'].map((step) => join(dir, 'steps', step))
  for (const step of steps) {
    await mkdir(step, { recursive: true })
    for (const part of ['reqmgr2', 'dbs.json', 'wmstats.json']) await cp(join(source, part), join(step, part), { recursive: true })
  }
  const names = (await readdir(join(source, 'reqmgr2'))).filter((file) => file.endsWith('.json') && !file.startsWith('_')).sort()
  target = names[0]!.replace(/\.json$/, '')
  const original = JSON.parse(await readFile(join(source, 'reqmgr2', `${target}.json`), 'utf8')) as Record<string, unknown>
  // A field ReqMgr2 keeps and Stats2 does not (spec §2 lists what Stats2 copies).
  await writeFile(join(steps[1]!, 'reqmgr2', `${target}.json`), JSON.stringify({ ...original, Comments: 'edited by an operator' }))
  await writeFile(join(steps[2]!, 'reqmgr2', `${target}.json`), JSON.stringify({ ...original, Comments: 'edited by an operator', RequestPriority: 123456 }))
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-write-only-changes-'))
  await writeScenario(join(work, 'scenario'))
  sim = await startSimulator({ scenario: await loadScenario(join(work, 'scenario')), tlsDir: join(work, 'tls'), tokenLifetimeSeconds: 600 })
  env = {
    ...simulatorEnv(sim, work),
    ...notifyingEnv(sim)
  }
})

afterAll(async () => {
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

async function update(): Promise<UpdateReport> {
  const run = await runCli(['update', '--trigger-prod', '--json'], env)
  expect(run.code, run.err).toBe(0)
  return JSON.parse(run.out) as UpdateReport
}

async function stored(): Promise<WorkflowDoc> {
  const run = await runCli(['see', target], env)
  expect(run.code, run.err).toBe(0)
  return JSON.parse(run.out) as WorkflowDoc
}

describe('a workflow in the changes feed is written and notified only when a Stats2 field changed', () => {
  it('leaves it alone when only a field Stats2 does not keep changed', async () => {
    const first = await update()
    expect(first.written).toBeGreaterThan(0)
    const before = await stored()
    const notified = sim.notifications().length

    sim.advance()
    const report = await update()
    expect(report.changed).toBeGreaterThanOrEqual(1) // it is in ReqMgr2's changes feed
    expect(report.written).toBe(0)
    const after = await stored()
    expect(after._rev).toBe(before._rev)
    expect(after.LastUpdate).toBe(before.LastUpdate)
    expect(sim.notifications().length).toBe(notified)
  })

  it('writes and notifies it when a Stats2 field changed', async () => {
    const before = await stored()
    const notified = sim.notifications().length
    sim.advance()
    const report = await update()
    expect(report.written).toBe(1)
    const after = await stored()
    expect(after.RequestPriority).toBe(123456)
    expect(after._rev).not.toBe(before._rev)
    expect(sim.notifications().length).toBeGreaterThan(notified)
  })
})
