/**
 * The scenario generator (determinism and realism), writeScenario/loadScenario round trips and the
 * loader's errors for malformed directories.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generateScenario,
  loadExpected,
  loadScenario,
  rawText,
  startSimulator,
  STATUSES,
  writeScenario,
  type Scenario
} from '../../src/sim'
import { agentsFor, call, type ChangesReply, COUCH, DBS, PUBLIC_SCENARIO, tempDir } from './helpers'

type Doc = Record<string, unknown>

/** The scenario as one string, documents in name order (the loader reads files sorted by name). */
function serialise(scenario: Scenario): string {
  return JSON.stringify(
    scenario.steps.map((s) => ({ docs: [...s.reqmgr2.entries()].sort(([a], [b]) => (a < b ? -1 : 1)), dbs: s.dbs, active: s.wmstatsActive }))
  )
}

function task1(doc: Doc): Doc | undefined {
  return (doc.Task1 ?? doc.Step1) as Doc | undefined
}

/** Stats2's expected events (section 3 of the behaviour spec) for a non-Resubmission document. */
function expectedEvents(doc: Doc): number {
  const first = task1(doc)
  const eff = Number(doc.FilterEfficiency ?? first?.FilterEfficiency ?? 1)
  if (Number(doc.TotalInputFiles ?? 0) > 0 && doc.TotalInputEvents != null) return Math.floor(eff * Number(doc.TotalInputEvents))
  if (doc.RequestNumEvents != null) return Number(doc.RequestNumEvents)
  if (first?.RequestNumEvents != null) return Number(first.RequestNumEvents)
  return -1
}

function allDocs(scenario: Scenario): Map<string, Doc> {
  const latest = new Map<string, Doc>()
  for (const step of scenario.steps) for (const [name, doc] of step.reqmgr2) latest.set(name, doc)
  return latest
}

describe('generateScenario', () => {
  const options = { workflows: 1200, seed: 42 }
  let scenario: Scenario
  let docs: Map<string, Doc>

  beforeAll(() => {
    scenario = generateScenario(options)
    docs = allDocs(scenario)
  })

  it('is deterministic for a seed and differs for another', () => {
    expect(serialise(generateScenario(options))).toBe(serialise(scenario))
    expect(serialise(generateScenario({ ...options, seed: 43 }))).not.toBe(serialise(scenario))
  })

  it('has the requested number of workflows over 6 steps, some appearing late and some deleted', () => {
    expect(scenario.steps).toHaveLength(6)
    expect(docs.size).toBe(1200)
    const first = scenario.steps[0]!.reqmgr2
    const last = scenario.steps[5]!.reqmgr2
    const late = [...last.keys()].filter((n) => !first.has(n))
    const deleted = [...docs.keys()].filter((n) => !last.has(n))
    expect(late.length).toBeGreaterThan(10)
    expect(deleted.length).toBeGreaterThan(3)
    expect(generateScenario({ workflows: 10, steps: 3, seed: 1 }).steps).toHaveLength(3)
  })

  it('uses realistic names and a mix of request types, with all three notification targets', () => {
    for (const name of docs.keys()) expect(name).toMatch(/^pdmvserv_.+_\d{6}_\d{6}_\d{4}$/)
    const types = new Map<string, number>()
    for (const doc of docs.values()) types.set(String(doc.RequestType), (types.get(String(doc.RequestType)) ?? 0) + 1)
    for (const type of ['TaskChain', 'StepChain', 'MonteCarlo', 'ReReco', 'Resubmission']) expect(types.get(type) ?? 0, type).toBeGreaterThan(10)
    const small = allDocs(generateScenario({ workflows: 8, seed: 5 }))
    const targets = new Set(
      [...small.values()].map((doc) =>
        doc.RequestType === 'ReReco' || String(doc.PrepID).startsWith('ReReco-') ? 'rereco' : String(doc.RequestName).includes('RVCMSSW') ? 'relval' : 'mcm'
      )
    )
    expect([...targets].sort()).toEqual(['mcm', 'relval', 'rereco'])
  })

  it('chains carry RequestNumEvents, PrepID and Campaign per task; MonteCarlo a FilterEfficiency', () => {
    const chains = [...docs.values()].filter((d) => d.RequestType === 'TaskChain' || d.RequestType === 'StepChain')
    for (const doc of chains) {
      const first = task1(doc)!
      expect(first.RequestNumEvents).toBeGreaterThan(0)
      const count = Number(doc.TaskChain ?? doc.StepChain)
      for (let i = 1; i <= count; i++) {
        const task = (doc[`Task${i}`] ?? doc[`Step${i}`]) as Doc
        expect(typeof task.PrepID).toBe('string')
        expect(typeof task.Campaign).toBe('string')
      }
    }
    const mc = [...docs.values()].filter((d) => d.RequestType === 'MonteCarlo')
    expect(mc.every((d) => typeof d.FilterEfficiency === 'number' && typeof d.RequestNumEvents === 'number')).toBe(true)
    expect(mc.some((d) => (d.FilterEfficiency as number) < 1)).toBe(true)
  })

  it('campaigns are shared by many workflows', () => {
    const campaigns = new Map<string, number>()
    for (const doc of docs.values()) campaigns.set(String(doc.Campaign), (campaigns.get(String(doc.Campaign)) ?? 0) + 1)
    expect(Math.max(...campaigns.values())).toBeGreaterThan(100)
  })

  it('Resubmissions share PrepID and output datasets with a non-Resubmission parent', () => {
    const resubmissions = [...docs.values()].filter((d) => d.RequestType === 'Resubmission')
    expect(resubmissions.length).toBeGreaterThan(0)
    for (const doc of resubmissions) {
      const parent = docs.get(String(doc.OriginalRequestName))!
      expect(parent).toBeDefined()
      expect(parent.RequestType).not.toBe('Resubmission')
      expect(doc.PrepID).toBe(parent.PrepID)
    }
  })

  it('statuses only move forward along RequestTransition; OutputDatasets appear at assignment', () => {
    const rank = (status: unknown): number => STATUSES.indexOf(status as (typeof STATUSES)[number])
    const seen = new Map<string, number>()
    for (const step of scenario.steps) {
      for (const [name, doc] of step.reqmgr2) {
        const status = rank(doc.RequestStatus)
        expect(status).toBeGreaterThanOrEqual(0)
        expect(status).toBeGreaterThanOrEqual(seen.get(name) ?? 0)
        seen.set(name, status)
        const transitions = doc.RequestTransition as Array<{ Status: string; UpdateTime: number }>
        expect(transitions[transitions.length - 1]!.Status).toBe(doc.RequestStatus)
        const times = transitions.map((t) => t.UpdateTime)
        expect(times).toEqual([...times].sort((a, b) => a - b))
        if (status < 2) expect(doc.OutputDatasets).toEqual([])
        else expect((doc.OutputDatasets as string[]).length).toBeGreaterThan(0)
      }
    }
    const final = [...scenario.steps[5]!.reqmgr2.values()]
    expect(final.filter((d) => d.RequestStatus === 'announced').length).toBeGreaterThan(100)
  })

  it('has 2–5 output datasets per workflow, all distinct between workflows except Resubmissions', () => {
    const owner = new Map<string, string>()
    for (const doc of docs.values()) {
      const outputs = doc.OutputDatasets as string[]
      if (outputs.length === 0) continue
      expect(outputs.length).toBeGreaterThanOrEqual(2)
      expect(outputs.length).toBeLessThanOrEqual(5)
      if (doc.RequestType === 'Resubmission') continue
      for (const dataset of outputs) {
        expect(owner.get(dataset)).toBeUndefined()
        owner.set(dataset, String(doc.RequestName))
      }
    }
    const narrow = allDocs(generateScenario({ workflows: 200, seed: 9, datasetsPerWorkflow: [1, 1] }))
    expect([...narrow.values()].every((d) => (d.OutputDatasets as string[]).length <= 1)).toBe(true)
  })

  it('WMStats lists the present workflows not yet completed or announced', () => {
    for (const step of scenario.steps) {
      const expected = [...step.reqmgr2.values()]
        .filter((d) => d.RequestStatus !== 'completed' && d.RequestStatus !== 'announced')
        .map((d) => String(d.RequestName))
      expect([...step.wmstatsActive].sort()).toEqual(expected.sort())
    }
  })

  it('output datasets grow towards, and never exceed, the expected total; VALID at the end, sometimes INVALID', () => {
    const target = new Map<string, { events: number; lumis?: number }>()
    for (const doc of docs.values()) {
      if (doc.RequestType === 'Resubmission') continue
      const lumiBased = doc.RequestType === 'ReReco' && Object.keys(doc.LumiList as object).length > 0
      for (const dataset of doc.OutputDatasets as string[]) {
        target.set(dataset, { events: expectedEvents(doc), lumis: lumiBased ? Number(doc.TotalInputLumis) : undefined })
      }
    }
    const previous = new Map<string, number>()
    let growing = 0
    for (const step of scenario.steps) {
      for (const record of step.dbs) {
        const expected = target.get(record.dataset)
        if (!expected) continue // an input dataset
        expect(expected.events).toBeGreaterThan(0)
        expect(record.num_event).toBeLessThanOrEqual(expected.events)
        if (expected.lumis !== undefined) expect(record.num_lumi).toBeLessThanOrEqual(expected.lumis)
        const before = previous.get(record.dataset)
        if (before !== undefined) {
          expect(record.num_event).toBeGreaterThanOrEqual(before)
          if (record.num_event > before) growing += 1
        }
        previous.set(record.dataset, record.num_event)
        expect(['PRODUCTION', 'VALID', 'INVALID']).toContain(record.dataset_access_type)
      }
    }
    expect(growing).toBeGreaterThan(100)
    const last = scenario.steps[5]!.dbs
    expect(last.filter((r) => r.dataset_access_type === 'VALID' && target.has(r.dataset)).length).toBeGreaterThan(100)
    expect(last.some((r) => r.dataset_access_type === 'INVALID')).toBe(true)
    const finalAnnounced = [...scenario.steps[5]!.reqmgr2.values()].filter((d) => d.RequestStatus === 'announced' && d.RequestType !== 'Resubmission')
    const valid = new Set(last.filter((r) => r.dataset_access_type === 'VALID').map((r) => r.dataset))
    expect(finalAnnounced.some((d) => (d.OutputDatasets as string[]).every((o) => valid.has(o)))).toBe(true)
  })

  it('has lumi-based ReRecos whose input dataset files give TotalInputLumis and TotalInputEvents under the mask', () => {
    const lastDbs = new Map(scenario.steps[5]!.dbs.map((r) => [r.dataset, r]))
    const lumiBased = [...docs.values()].filter(
      (d) => d.RequestType === 'ReReco' && Object.keys(d.LumiList as object).length > 0 && Number(d.TotalInputLumis) > 0
    )
    expect(lumiBased.length).toBeGreaterThan(20)
    for (const doc of lumiBased) {
      expect(String(doc.PrepID)).toMatch(/^ReReco-.+-00001$/)
      const input = lastDbs.get(String(doc.InputDataset))!
      expect(input.files!.length).toBeGreaterThan(0)
      let events = 0
      let lumis = 0
      for (const [run, ranges] of Object.entries(doc.LumiList as Record<string, Array<[number, number]>>)) {
        lumis += ranges.reduce((sum, [a, b]) => sum + b - a + 1, 0)
        for (const file of input.files!) {
          if (file.run_num === Number(run) && file.lumi_section_num.some((l) => ranges.some(([a, b]) => l >= a && l <= b))) events += file.event_count ?? 0
        }
      }
      expect(lumis).toBe(doc.TotalInputLumis)
      expect(events).toBe(doc.TotalInputEvents)
    }
  })
})

describe('writeScenario and loadScenario', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> }

  beforeAll(async () => {
    tmp = await tempDir()
  })

  afterAll(async () => {
    await tmp?.cleanup()
  })

  it('round-trips a generated scenario', async () => {
    const scenario = generateScenario({ workflows: 60, steps: 4, seed: 11 })
    const dir = join(tmp.dir, 'roundtrip')
    await writeScenario(scenario, dir)
    const loaded = await loadScenario(dir)
    expect(loaded.name).toBe('roundtrip')
    expect(serialise(loaded)).toBe(serialise(scenario))
    expect((await loadExpected(dir, 0)).size).toBe(0)
  })

  it('round-trips stats2-public and reads its expected documents', async () => {
    const scenario = await loadScenario(PUBLIC_SCENARIO)
    const dir = join(tmp.dir, 'public-copy')
    await writeScenario(scenario, dir)
    expect(serialise(await loadScenario(dir))).toBe(serialise(scenario))
    const expected = await loadExpected(PUBLIC_SCENARIO, 1)
    expect(expected.size).toBe(16)
    expect(expected.get('pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111')).toHaveProperty('EventNumberHistory')
  })

  async function malformed(name: string, corrupt: (dir: string) => Promise<void>): Promise<Error> {
    const dir = join(tmp.dir, name)
    await rm(dir, { recursive: true, force: true })
    await writeScenario(generateScenario({ workflows: 5, steps: 2, seed: 3 }), dir)
    await corrupt(dir)
    return loadScenario(dir).then(
      () => {
        throw new Error('loadScenario accepted a malformed scenario')
      },
      (error: Error) => error
    )
  }

  it('names the file for malformed input', async () => {
    const badJson = await malformed('bad-json', (dir) => writeFile(join(dir, 'steps', '01', 'dbs.json'), '{"datasets": [ {"dataset": '))
    expect(badJson.message).toContain(join('bad-json', 'steps', '01', 'dbs.json'))
    expect(badJson.message).toMatch(/not valid JSON/)

    const badRecord = await malformed('bad-record', async (dir) => {
      const path = join(dir, 'steps', '00', 'dbs.json')
      const dbs = JSON.parse(await readFile(path, 'utf8')) as { datasets: Array<Record<string, unknown>> }
      delete dbs.datasets[0]!.num_event
      await writeFile(path, JSON.stringify(dbs))
    })
    expect(badRecord.message).toContain(join('bad-record', 'steps', '00', 'dbs.json'))
    expect(badRecord.message).toContain('datasets.0.num_event')

    const missing = await malformed('no-wmstats', (dir) => rm(join(dir, 'steps', '00', 'wmstats.json')))
    expect(missing.message).toContain(join('no-wmstats', 'steps', '00', 'wmstats.json'))
    expect(missing.message).toContain('missing')

    const mismatch = await malformed('mismatch', async (dir) => {
      await writeFile(join(dir, 'steps', '00', 'reqmgr2', 'someone_else_250101_000000_0000.json'), JSON.stringify({ RequestName: 'not_me' }))
    })
    expect(mismatch.message).toContain('someone_else_250101_000000_0000.json')

    const gap = await malformed('gap', async (dir) => {
      await mkdir(join(dir, 'steps', '03'), { recursive: true })
    })
    expect(gap.message).toContain(join('gap', 'steps', '03'))

    const nothing = await loadScenario(join(tmp.dir, 'does-not-exist')).catch((error: Error) => error)
    expect((nothing as Error).message).toContain(join('does-not-exist', 'steps'))
  })

  it('keeps a ReqMgr2 file that is not a JSON object verbatim and serves it as is', async () => {
    const dir = join(tmp.dir, 'garbage')
    await writeScenario(generateScenario({ workflows: 4, steps: 1, seed: 2 }), dir)
    const path = join(dir, 'steps', '00', 'reqmgr2', 'pdmvserv_Garbage_000000_000000_0000.json')
    await writeFile(path, '<html>Proxy Error</html>')
    const reported: string[] = []
    const scenario = await loadScenario(dir, { onRawDocument: (file) => reported.push(file) })
    expect(reported).toEqual([path])
    const doc = scenario.steps[0]!.reqmgr2.get('pdmvserv_Garbage_000000_000000_0000')!
    expect(rawText(doc)).toBe('<html>Proxy Error</html>')
    const sim = await startSimulator({ scenario, tlsDir: join(tmp.dir, 'tls') })
    const agents = await agentsFor(sim)
    try {
      const reply = await call(sim, agents.cert, `${COUCH}/pdmvserv_Garbage_000000_000000_0000`)
      expect(reply.status).toBe(200)
      expect(reply.text).toBe('<html>Proxy Error</html>')
      const feed = (await call(sim, agents.cert, `${COUCH}/_changes?since=0&include_docs=true`)).json<ChangesReply>()
      expect(feed.results.map((r) => r.id)).toContain('pdmvserv_Garbage_000000_000000_0000')
      await writeScenario(scenario, join(tmp.dir, 'garbage-copy'))
      expect(await readFile(join(tmp.dir, 'garbage-copy', 'steps', '00', 'reqmgr2', 'pdmvserv_Garbage_000000_000000_0000.json'), 'utf8')).toBe(
        '<html>Proxy Error</html>'
      )
    } finally {
      await agents.close()
      await sim.close()
    }
  })
})

describe('a generated 10 000-workflow scenario', () => {
  it('is served with precomputed indexes', async () => {
    const scenario = generateScenario({ workflows: 10_000, seed: 1 })
    const tmp = await tempDir()
    const sim = await startSimulator({ scenario, tlsDir: tmp.dir })
    const agents = await agentsFor(sim)
    try {
      const page = (await call(sim, agents.cert, `${COUCH}/_changes?since=0&limit=1000`)).json<ChangesReply>()
      expect(page.results).toHaveLength(1000)
      expect(page.pending).toBe(scenario.steps[0]!.reqmgr2.size + 1 - 1000) // + the design document
      const record = scenario.steps[0]!.dbs[scenario.steps[0]!.dbs.length - 1]!
      const summary = await call(sim, agents.cert, `${DBS}/filesummaries?dataset=${encodeURIComponent(record.dataset)}`)
      expect(summary.json<Array<{ num_event: number }>>()[0]!.num_event).toBe(record.num_event)
      const campaign = String([...scenario.steps[0]!.reqmgr2.values()].find((d) => d.RequestType === 'ReReco')!.PrepID)
      const byPrep = await call(sim, agents.cert, `/reqmgr2/data/request?mask=RequestType&prep_id=${encodeURIComponent(campaign)}`)
      expect(Object.keys(byPrep.json<{ result: Doc[] }>().result[0]!).length).toBeGreaterThan(0)
      sim.advance()
      const next = (await call(sim, agents.cert, `${COUCH}/_changes?since=${encodeURIComponent(page.last_seq)}&limit=5`)).json<ChangesReply>()
      expect(next.results).toHaveLength(5)
    } finally {
      await agents.close()
      await sim.close()
      await tmp.cleanup()
    }
  })
})
