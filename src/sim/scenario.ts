/**
 * Conformance scenarios (see shared/conformance/README.md): a timeline of what ReqMgr2, DBS and
 * WMStats hold, step by step. This module holds the types, the loader (with validation that names
 * the offending file), the writer and `loadExpected` for tests.
 *
 * On disk:
 *   <dir>/steps/NN/reqmgr2/<RequestName>.json   every ReqMgr2 document at step NN
 *   <dir>/steps/NN/dbs.json                     {"datasets": [<record>, …]}
 *   <dir>/steps/NN/wmstats.json                 {"active": [RequestName, …]}
 *   <dir>/steps/NN/expected/<RequestName>.json  (tests only; not needed by the simulator)
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { z } from 'zod'
import { createLogger } from '../main/log/logger'

export interface DbsFileRecord {
  logical_file_name: string
  run_num: number
  lumi_section_num: number[]
  event_count: number | null
  file_size: number
  is_file_valid: number
  [key: string]: unknown
}

export interface DbsDatasetRecord {
  dataset: string
  dataset_access_type: string
  num_event: number
  file_size: number
  num_lumi: number
  num_file: number
  num_block: number
  files?: DbsFileRecord[]
  [key: string]: unknown
}

export interface ScenarioStep {
  /** RequestName → ReqMgr2 document (without `_rev`). */
  reqmgr2: Map<string, Record<string, unknown>>
  dbs: DbsDatasetRecord[]
  wmstatsActive: string[]
}

export interface Scenario {
  name: string
  steps: ScenarioStep[]
}

/**
 * A ReqMgr2 file that is not a JSON object is kept verbatim (a scenario may hold a broken document on
 * purpose, to check that the updater survives ReqMgr2 answering garbage): the simulator serves its
 * text as is, and writeScenario writes it back unchanged.
 */
const RAW_TEXT = Symbol('stats2.sim.rawDocument')

export function rawDocument(text: string): Record<string, unknown> {
  return { [RAW_TEXT]: text } as unknown as Record<string, unknown>
}

/** The verbatim text of a document made by rawDocument, else undefined. */
export function rawText(doc: Record<string, unknown>): string | undefined {
  return (doc as unknown as Record<symbol, string | undefined>)[RAW_TEXT]
}

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    problem: string
  ) {
    super(`scenario file ${file}: ${problem}`)
    this.name = 'ScenarioError'
  }
}

const fileSchema = z.looseObject({
  logical_file_name: z.string().min(1),
  run_num: z.number().int().nonnegative(),
  lumi_section_num: z.array(z.number().int().nonnegative()),
  event_count: z.number().nonnegative().nullable(),
  file_size: z.number().nonnegative(),
  is_file_valid: z.number().int()
})

const count = z.number().int().nonnegative()
const recordSchema = z.looseObject({
  dataset: z.string().regex(/^\/[^/]+\/[^/]+\/[^/]+$/, 'a dataset name /Primary/Processed/TIER'),
  dataset_access_type: z.string().min(1),
  num_event: count,
  file_size: z.number().nonnegative(),
  num_lumi: count,
  num_file: count,
  num_block: count,
  files: z.array(fileSchema).optional()
})

const dbsSchema = z.object({ datasets: z.array(recordSchema) })
const wmstatsSchema = z.object({ active: z.array(z.string()) })

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ')
}

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ScenarioError(file, code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(error)})`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new ScenarioError(file, `not valid JSON (${(error as Error).message})`)
  }
}

async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** `steps/NN` directories in numeric order; they must be 00, 01, … without gaps. */
async function stepDirs(dir: string): Promise<string[]> {
  const stepsDir = join(dir, 'steps')
  const entries = await listDir(stepsDir)
  if (!entries) throw new ScenarioError(stepsDir, 'missing (a scenario has steps/00, steps/01, …)')
  const numbered = entries.filter((e) => /^\d+$/.test(e)).sort((a, b) => Number(a) - Number(b))
  if (numbered.length === 0) throw new ScenarioError(stepsDir, 'holds no step directories (00, 01, …)')
  numbered.forEach((entry, index) => {
    if (Number(entry) !== index) {
      throw new ScenarioError(join(stepsDir, entry), `step ${index} is missing before it (steps must be 00, 01, … without gaps)`)
    }
  })
  return numbered.map((e) => join(stepsDir, e))
}

async function loadReqmgr2(stepDir: string, onRaw: (file: string) => void): Promise<Map<string, Record<string, unknown>>> {
  const dir = join(stepDir, 'reqmgr2')
  const names = ((await listDir(dir)) ?? []).filter((f) => f.endsWith('.json')).sort()
  const docs = new Map<string, Record<string, unknown>>()
  const texts = await Promise.all(
    names.map(async (file) => {
      try {
        return [file, await readFile(join(dir, file), 'utf8')] as const
      } catch (error) {
        throw new ScenarioError(join(dir, file), `unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
      }
    })
  )
  for (const [file, text] of texts) {
    const path = join(dir, file)
    const name = file.slice(0, -'.json'.length)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      value = undefined
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      onRaw(path)
      docs.set(name, rawDocument(text))
      continue
    }
    const doc = value as Record<string, unknown>
    if ('RequestName' in doc && doc.RequestName !== name) {
      throw new ScenarioError(path, `RequestName ${JSON.stringify(doc.RequestName)} differs from the file name ${name}`)
    }
    docs.set(name, doc)
  }
  return docs
}

async function loadDbs(stepDir: string): Promise<DbsDatasetRecord[]> {
  const path = join(stepDir, 'dbs.json')
  const result = dbsSchema.safeParse(await readJson(path))
  if (!result.success) throw new ScenarioError(path, describeZodError(result.error))
  const seen = new Set<string>()
  for (const record of result.data.datasets) {
    if (seen.has(record.dataset)) throw new ScenarioError(path, `dataset ${record.dataset} is listed twice`)
    seen.add(record.dataset)
  }
  return result.data.datasets as DbsDatasetRecord[]
}

async function loadWmstats(stepDir: string): Promise<string[]> {
  const path = join(stepDir, 'wmstats.json')
  const result = wmstatsSchema.safeParse(await readJson(path))
  if (!result.success) throw new ScenarioError(path, describeZodError(result.error))
  return result.data.active
}

export interface LoadOptions {
  /** Called for each ReqMgr2 file that is not a JSON object (it is then served verbatim). */
  onRawDocument?: (file: string) => void
}

export async function loadScenario(dir: string, options: LoadOptions = {}): Promise<Scenario> {
  const root = resolve(dir)
  const steps: ScenarioStep[] = []
  const onRaw = options.onRawDocument ?? ((file: string) => createLogger('sim').warn(`${file} is not a JSON object: served verbatim`))
  for (const stepDir of await stepDirs(root)) {
    const [reqmgr2, dbs, wmstatsActive] = await Promise.all([loadReqmgr2(stepDir, onRaw), loadDbs(stepDir), loadWmstats(stepDir)])
    steps.push({ reqmgr2, dbs, wmstatsActive })
  }
  return { name: basename(root), steps }
}

/** The expected `requests` documents after the update run of `step` (empty when the scenario has none). */
export async function loadExpected(dir: string, step: number): Promise<Map<string, Record<string, unknown>>> {
  const expectedDir = join(resolve(dir), 'steps', String(step).padStart(2, '0'), 'expected')
  const docs = new Map<string, Record<string, unknown>>()
  const files = ((await listDir(expectedDir)) ?? []).filter((f) => f.endsWith('.json')).sort()
  for (const file of files) {
    const path = join(expectedDir, file)
    const value = await readJson(path)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ScenarioError(path, 'an expected document must be a JSON object')
    }
    docs.set(file.slice(0, -'.json'.length), value as Record<string, unknown>)
  }
  return docs
}

function checkFileName(name: string): void {
  if (!name || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new Error(`cannot write a ReqMgr2 document named ${JSON.stringify(name)}`)
  }
}

async function writeAll(jobs: Array<() => Promise<void>>, concurrency = 32): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]
      if (job) await job()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker))
}

/** Writes the scenario in the on-disk format (without expected/). */
export async function writeScenario(scenario: Scenario, dir: string): Promise<void> {
  const root = resolve(dir)
  const jobs: Array<() => Promise<void>> = []
  for (const [index, step] of scenario.steps.entries()) {
    const stepDir = join(root, 'steps', String(index).padStart(2, '0'))
    await mkdir(join(stepDir, 'reqmgr2'), { recursive: true })
    jobs.push(() => writeFile(join(stepDir, 'dbs.json'), JSON.stringify({ datasets: step.dbs }, null, 1) + '\n'))
    jobs.push(() => writeFile(join(stepDir, 'wmstats.json'), JSON.stringify({ active: step.wmstatsActive }, null, 1) + '\n'))
    for (const [name, doc] of step.reqmgr2) {
      checkFileName(name)
      const raw = rawText(doc)
      jobs.push(() => writeFile(join(stepDir, 'reqmgr2', `${name}.json`), raw ?? JSON.stringify(doc, null, 1) + '\n'))
    }
  }
  await writeAll(jobs)
}
