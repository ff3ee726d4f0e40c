import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ConformanceScenario {
  name: string
  dir: string
  steps: string[]
}

/** Every scenario under a conformance folder: a directory with `steps/NN/`. */
export function listScenarios(root: string): ConformanceScenario[] {
  if (!existsSync(root)) return []
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'steps')))
    .map((entry) => ({
      name: entry.name,
      dir: join(root, entry.name),
      steps: readdirSync(join(root, entry.name, 'steps')).filter((step) => /^\d+$/.test(step)).sort()
    }))
}

export function expectedDocs(scenarioDir: string, step: string): Map<string, Record<string, unknown>> {
  const dir = join(scenarioDir, 'steps', step, 'expected')
  const docs = new Map<string, Record<string, unknown>>()
  if (!existsSync(dir)) return docs
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>
    docs.set(String(doc._id ?? file.replace(/\.json$/, '')), doc)
  }
  return docs
}

/**
 * The comparison of the conformance README: ignore `_rev`, the value of `LastUpdate` and the value
 * (not the presence or order) of each history entry's `Time`.
 */
export function comparable(doc: Record<string, unknown>): Record<string, unknown> {
  const { _rev: _ignored, ...rest } = doc
  if ('LastUpdate' in rest) rest.LastUpdate = '<present>'
  if (Array.isArray(rest.EventNumberHistory)) {
    rest.EventNumberHistory = rest.EventNumberHistory.map((entry: Record<string, unknown>) =>
      'Time' in entry ? { ...entry, Time: '<present>' } : entry
    )
  }
  return rest
}
