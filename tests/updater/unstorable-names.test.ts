/**
 * A ReqMgr2 name CouchDB cannot hold as a document (`_…`, `_changes`, the empty name) fails only
 * itself: the other workflows of its batch are stored, the bad ones go on the retry list with their
 * reason, on every run, and no random-UUID document appears. Simulator (mTLS) + embedded store.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import { CouchStore } from '../../src/main/store/couch-store'
import { REPO_ROOT } from '../helpers/paths'
import { runCli, simulatorEnv } from '../helpers/cli'

const SCENARIO = resolve(REPO_ROOT, 'tests', 'scenarios', 'unstorable-names')
const BAD = ['', '_changes', '_leading_underscore_230505_140000_5005']
let work: string
let sim: Simulator
let env: Record<string, string>

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-unstorable-'))
  sim = await startSimulator({ scenario: await loadScenario(SCENARIO), tlsDir: join(work, 'tls') })
  env = { ...simulatorEnv(sim, work), STATS2_RETRIES: '0' }
})

afterAll(async () => {
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

describe('unstorable ReqMgr2 names', () => {
  it('fail alone with a reason, run after run; the rest of the batch is stored', async () => {
    for (let run = 1; run <= 2; run++) {
      const update = await runCli(['update', '--json'], env)
      expect(update.code).toBe(0)
      const report = JSON.parse(update.out) as { failed: Array<{ name: string; reason: string }>; written: number }
      expect(report.failed.map((f) => f.name).sort()).toEqual(BAD)
      for (const failure of report.failed) expect(failure.reason).toMatch(/cannot be stored: (CouchDB reserves names starting with "_"|the workflow name is empty)/)
      if (run === 1) expect(report.written).toBe(4)
    }
    const store = await CouchStore.open({ dataDir: join(work, 'store') })
    try {
      const { names } = await store.listNames()
      expect(names).toHaveLength(4)
      expect(names.every((name) => name.startsWith('pdmvserv_task_'))).toBe(true)
      const settings = await store.getSettings()
      expect([...(settings.failed_workflows ?? [])].sort()).toEqual(BAD)
      for (const name of BAD) expect(settings.failed_reasons?.[name]).toMatch(/^update: cannot be stored/)
    } finally {
      await store.close()
    }
  })
})
