/**
 * Conformance with the old Stats2: for every scenario under ../shared/conformance and under
 * tests/scenarios (the project's own, hand-derived from the spec) and every step, the cmsweb
 * simulator (real HTTPS with client certificates) serves the step, `stats2 update` runs against the
 * embedded CouchDB-protocol server, and every stored document must equal the expected one
 * (conformance README). Set STATS2_CONFORMANCE_DIR to run another folder instead of ../shared/conformance.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, simulatorEnv } from '../helpers/cli'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import { CONFORMANCE_DIR, REPO_ROOT } from '../helpers/paths'
import { comparable, expectedDocs, listScenarios } from '../helpers/conformance'

const ROOT = resolve(process.env.STATS2_CONFORMANCE_DIR ?? CONFORMANCE_DIR)
/** The project's own scenarios (tests/scenarios/README.md). */
const PROJECT_SCENARIOS = resolve(REPO_ROOT, 'tests', 'scenarios')
const ROOTS = [...new Set([ROOT, PROJECT_SCENARIOS])]
const scenarios = ROOTS.flatMap((root) => listScenarios(root))

describe('conformance scenarios are present', () => {
  for (const root of ROOTS) {
    it(`finds scenarios under ${root}`, () => {
      const found = listScenarios(root)
      expect(found.length).toBeGreaterThan(0)
      for (const scenario of found) expect(scenario.steps.length).toBeGreaterThan(0)
    })
  }
})

for (const scenario of scenarios) {
  describe(`conformance: ${scenario.name}`, () => {
    let sim: Simulator
    let work: string
    let env: Record<string, string>

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'stats2-conformance-'))
      sim = await startSimulator({ scenario: await loadScenario(scenario.dir), tlsDir: join(work, 'tls') })
      env = { ...simulatorEnv(sim, work), STATS2_RETRIES: '1' }
    })

    afterAll(async () => {
      await sim?.close()
      await rm(work, { recursive: true, force: true })
    })

    scenario.steps.forEach((step, index) => {
      it(`step ${step}: stored documents equal the expected ones`, async () => {
        if (index > 0) sim.advance()
        expect(sim.step).toBe(index)
        const update = await runCli(['update', '--json'], env)
        expect(update.err).toBe('')
        expect(update.code).toBe(0)
        // A scenario may hold a broken ReqMgr2 document on purpose: failures are judged by the documents below.
        expect(JSON.parse(update.out)).toHaveProperty('failed')
        // The DBS-modified query never asks for a negative min_ldate; the first run asks for 0 (spec §6.4).
        const asked = sim.dbsMinLdates()
        expect(asked.length, 'DBS datasets?min_ldate= asked once per run').toBe(index + 1)
        for (const value of asked) expect(Number(value), `min_ldate=${value}`).toBeGreaterThanOrEqual(0)
        if (index === 0) expect(asked[0]).toBe('0')

        const dumped = await runCli(['dump'], env)
        expect(dumped.code).toBe(0)
        const stored = new Map((JSON.parse(dumped.out) as Array<Record<string, unknown>>).map((doc) => [String(doc._id), doc]))
        const expected = expectedDocs(scenario.dir, step)
        expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort())
        for (const [name, doc] of expected) {
          expect(comparable(stored.get(name)!), name).toEqual(comparable(doc))
        }
      })
    })
  })
}
