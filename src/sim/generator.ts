/**
 * Generated scenarios (the demo mode's data and large test fixtures). generated/plans.ts says what
 * a workflow looks like; generated/world.ts makes all of them in one pass and keeps compact indexes.
 * `generateScenario` writes every step out as documents (a Scenario, as loaded from disk: small
 * scenarios, tests and the demo); `generateWorld` keeps only the indexes, and the simulator then
 * makes documents on request (`stats2 sim --generate`, the benchmarks: 200 000 workflows).
 */
import { documentAt, type GenerateOptions, STATUSES } from './generate/plans'
import { GeneratedWorld } from './generate/world'
import { type DbsDatasetRecord, type Scenario, type ScenarioStep } from './scenario'
import { tagDocument } from './timeline'

export { type GenerateOptions, STATUSES }
export { GeneratedWorld }

const COMPLETED = STATUSES.indexOf('completed')

export function generateWorld(options: GenerateOptions): GeneratedWorld {
  return new GeneratedWorld(options)
}

/** Every step's documents, DBS records and WMStats list of a generated scenario. */
export function materialise(world: GeneratedWorld): Scenario {
  const steps: ScenarioStep[] = Array.from({ length: world.steps }, () => ({
    reqmgr2: new Map<string, Record<string, unknown>>(),
    dbs: world.inputs.map((x) => x.input.record),
    wmstatsActive: []
  }))
  for (let i = 0; i < world.size; i++) {
    const { plan, steps: story } = world.story(i)
    let doc: Record<string, unknown> | undefined
    let tag: string | undefined
    story.forEach((step, k) => {
      const out = steps[k] as ScenarioStep
      if (step.s >= 0) {
        // A document is one object for as long as it does not change (as a scenario on disk reads back).
        const now = world.tagAt(i, k)
        if (!doc || now !== tag) {
          doc = documentAt(plan, step)
          tagDocument(doc, now)
          tag = now
        }
        out.reqmgr2.set(plan.name, doc)
        if (step.s < COMPLETED) out.wmstatsActive.push(plan.name)
      }
      if (step.records) for (const record of step.records) out.dbs.push(record as DbsDatasetRecord)
    })
  }
  return { name: world.name, steps }
}

export function generateScenario(options: GenerateOptions): Scenario {
  return materialise(new GeneratedWorld(options))
}
