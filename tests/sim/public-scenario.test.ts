/**
 * The simulator serving the real stats2-public scenario: every endpoint answers per the conformance
 * README at steps 0 and 1, checked against the scenario's files.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadScenario, startSimulator, type Scenario, type Simulator } from '../../src/sim'
import {
  agentsFor,
  type Agents,
  call,
  type ChangesReply,
  COUCH,
  DBS,
  postJson,
  PUBLIC_SCENARIO,
  seqNumber,
  tempDir
} from './helpers'

const T_START = Date.UTC(2026, 0, 10, 12, 0, 0)
const T_STEP1 = T_START + 3_600_000

let scenario: Scenario
let sim: Simulator
let agents: Agents
let cleanup: () => Promise<void>
let lastSeqAtStep0: string

function prepIds(step: number): Map<string, string[]> {
  const index = new Map<string, string[]>()
  for (const [name, doc] of scenario.steps[step]!.reqmgr2) {
    if (typeof doc.PrepID !== 'string') continue
    index.set(doc.PrepID, [...(index.get(doc.PrepID) ?? []), name])
  }
  return index
}

beforeAll(async () => {
  // Only Date is faked: the step activation times (DBS last_modification_date) become predictable.
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T_START)
  scenario = await loadScenario(PUBLIC_SCENARIO)
  const tmp = await tempDir()
  cleanup = tmp.cleanup
  sim = await startSimulator({ scenario, tlsDir: tmp.dir })
  agents = await agentsFor(sim)
})

afterAll(async () => {
  vi.useRealTimers()
  await agents?.close()
  await sim?.close()
  await cleanup?.()
})

describe('stats2-public loads', () => {
  it('has two steps with the documents, datasets and active lists of the files', () => {
    expect(scenario.name).toBe('stats2-public')
    expect(scenario.steps).toHaveLength(2)
    expect(scenario.steps[0]!.reqmgr2.size).toBe(16)
    expect(scenario.steps[0]!.dbs.length).toBe(48)
    expect(scenario.steps[1]!.dbs.length).toBe(51)
    expect(scenario.steps[1]!.wmstatsActive).toContain('amaltaro_StepChain_InclParents_April2020_Val_200414_120713_81')
  })
})

describe('step 0', () => {
  it('starts at step 0', () => {
    expect(sim.step).toBe(0)
  })

  it('_changes since=0 lists every document once plus the design document, in growing sequence order', async () => {
    const reply = await call(sim, agents.cert, `${COUCH}/_changes?since=0`)
    expect(reply.status).toBe(200)
    const feed = reply.json<ChangesReply>()
    const ids = feed.results.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.filter((id) => !id.startsWith('_design/')).sort()).toEqual([...scenario.steps[0]!.reqmgr2.keys()].sort())
    expect(ids).toContain('_design/ReqMgr')
    const seqs = feed.results.map((r) => seqNumber(r.seq))
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(feed.results.every((r) => /^\d+-g1AAAA[\w-]+$/.test(r.seq))).toBe(true)
    expect(feed.results.every((r) => /^1-[0-9a-f]{32}$/.test(r.changes[0]!.rev))).toBe(true)
    expect(feed.results.some((r) => r.deleted)).toBe(false)
    expect(feed.last_seq).toBe(feed.results[feed.results.length - 1]!.seq)
    expect(feed.pending).toBe(0)
    lastSeqAtStep0 = feed.last_seq
  })

  it('GET document: the file plus _id and _rev; 404 missing for an unknown one', async () => {
    for (const [name, doc] of scenario.steps[0]!.reqmgr2) {
      const reply = await call(sim, agents.cert, `${COUCH}/${encodeURIComponent(name)}`)
      expect(reply.status).toBe(200)
      const { _rev, _id, ...content } = reply.json<Record<string, unknown>>()
      expect(_id).toBe(name)
      expect(String(_rev)).toMatch(/^1-[0-9a-f]{32}$/)
      const { _id: _fileId, ...expected } = doc
      expect(content).toEqual(expected)
    }
    const missing = await call(sim, agents.cert, `${COUCH}/no_such_workflow_000000_000000_0000`)
    expect(missing.status).toBe(404)
    expect(missing.json()).toEqual({ error: 'not_found', reason: 'missing' })
  })

  it('reqmgr2/data/request by prep_id with masks, {"result": []} for an unknown one or no filter, 400 HTML for archived with detail', async () => {
    const index = prepIds(0)
    expect(index.size).toBeGreaterThan(5)
    for (const [prepId, names] of index) {
      const reply = await call(sim, agents.cert, `/reqmgr2/data/request?mask=TotalInputEvents&mask=RequestType&prep_id=${encodeURIComponent(prepId)}`)
      expect(reply.status).toBe(200)
      const body = reply.json<{ result: Array<Record<string, Record<string, unknown>>> }>()
      expect(body.result).toHaveLength(1)
      expect(Object.keys(body.result[0]!).sort()).toEqual([...names].sort())
      for (const name of names) {
        const doc = scenario.steps[0]!.reqmgr2.get(name)!
        expect(body.result[0]![name]).toEqual({ TotalInputEvents: doc.TotalInputEvents ?? null, RequestType: doc.RequestType })
      }
    }
    const acdc = await call(
      sim,
      agents.cert,
      '/reqmgr2/data/request?mask=TotalInputLumis&mask=RequestType&prep_id=TEST-ReReco-Run2022C-MuonEG-27Jun2023-00001'
    )
    expect(acdc.json()).toEqual({
      result: [
        {
          'pdmvserv_ACDC0_Run2022C-v1_MuonEG_27Jun2023_230629_120000_2222': { TotalInputLumis: 4, RequestType: 'Resubmission' },
          'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111': { TotalInputLumis: 33, RequestType: 'ReReco' }
        }
      ]
    })
    const none = await call(sim, agents.cert, '/reqmgr2/data/request?mask=TotalInputEvents&prep_id=DOES-NOT-EXIST-00001')
    expect(none.status).toBe(200)
    expect(none.json()).toEqual({ result: [] })
    // WMCore's Request.get: no filter at all is an empty answer, not an error.
    const unfiltered = await call(sim, agents.cert, '/reqmgr2/data/request?mask=TotalInputEvents')
    expect(unfiltered.status).toBe(200)
    expect(unfiltered.json()).toEqual({ result: [] })
    const bad = await call(sim, agents.cert, '/reqmgr2/data/request?status=normal-archived')
    expect(bad.status).toBe(400)
    expect(bad.headers['content-type']).toContain('text/html')
    expect(bad.headers['x-error-detail']).toMatch(/archived/)
    expect(bad.headers['x-rest-status']).toBe('1102')
    expect(bad.text).toContain('400 Bad Request')
  })

  it('filesummaries equals each record, with and without validFileOnly; [] for an unknown dataset', async () => {
    for (const record of scenario.steps[0]!.dbs) {
      const expected = [
        { num_event: record.num_event, file_size: record.file_size, num_lumi: record.num_lumi, num_file: record.num_file, num_block: record.num_block }
      ]
      for (const flag of ['', '&validFileOnly=1']) {
        const reply = await call(sim, agents.cert, `${DBS}/filesummaries?dataset=${encodeURIComponent(record.dataset)}${flag}`)
        expect(reply.status).toBe(200)
        expect(reply.json()).toEqual(expected)
      }
    }
    const unknown = await call(sim, agents.cert, `${DBS}/filesummaries?dataset=/No/Such-v1/AOD`)
    expect(unknown.json()).toEqual([])
  })

  it('datasetlist returns the known datasets with their access type and full records; unknown ones left out', async () => {
    const records = scenario.steps[0]!.dbs
    const reply = await call(
      sim,
      agents.cert,
      `${DBS}/datasetlist`,
      postJson({ dataset: [...records.map((r) => r.dataset), '/No/Such-v1/AOD'], detail: 1, dataset_access_type: '*' })
    )
    expect(reply.status).toBe(200)
    const list = reply.json<Array<Record<string, unknown>>>()
    expect(list.map((r) => r.dataset)).toEqual(records.map((r) => r.dataset))
    for (const [i, record] of records.entries()) {
      const got = list[i]!
      expect(got.dataset_access_type).toBe(record.dataset_access_type)
      const [, primary, processed, tier] = record.dataset.split('/')
      expect(got).toMatchObject({ primary_ds_name: primary, processed_ds_name: processed, data_tier_name: tier })
      expect(got.creation_date).toBe(T_START / 1000)
      expect(got.last_modification_date).toBe(T_START / 1000)
      expect(got).not.toHaveProperty('files')
    }
  })

  it('datasetlist without application/json is a 415 in the dbs2go shape', async () => {
    const reply = await call(sim, agents.cert, `${DBS}/datasetlist`, { method: 'POST', body: '{"dataset":[]}' })
    expect(reply.status).toBe(415)
    const body = reply.json<Array<{ error: { code: number }; http: { code: number }; exception: number; type: string }>>()
    expect(body[0]!.error.code).toBe(117)
    expect(body[0]!.http.code).toBe(415)
    expect(body[0]!.type).toBe('HTTPError')
  })

  it('datasets?min_ldate is a strict > on the step activation time', async () => {
    const all = await call(sim, agents.cert, `${DBS}/datasets?min_ldate=${T_START / 1000 - 1}&dataset_access_type=*`)
    expect(all.json<Array<{ dataset: string }>>().map((d) => d.dataset).sort()).toEqual(scenario.steps[0]!.dbs.map((r) => r.dataset).sort())
    const none = await call(sim, agents.cert, `${DBS}/datasets?min_ldate=${T_START / 1000}&dataset_access_type=*`)
    expect(none.json()).toEqual([])
    // Without dataset_access_type DBS lists VALID datasets only.
    const valid = await call(sim, agents.cert, `${DBS}/datasets?min_ldate=0`)
    expect(valid.json<Array<{ dataset: string }>>().map((d) => d.dataset).sort()).toEqual(
      scenario.steps[0]!.dbs.filter((r) => r.dataset_access_type === 'VALID').map((r) => r.dataset).sort()
    )
  })

  it('files with run_num and lumi_list: the files of that run holding a lumi in the ranges', async () => {
    const record = scenario.steps[0]!.dbs.find((r) => r.files && r.files.length > 0)!
    expect(record).toBeDefined()
    const run = record.files![0]!.run_num
    const ranges: Array<[number, number]> = [
      [5, 12],
      [35, 36]
    ]
    const expected = record
      .files!.filter((f) => f.run_num === run && f.lumi_section_num.some((l) => ranges.some(([a, b]) => l >= a && l <= b)))
      .map((f) => f.logical_file_name)
      .sort()
    expect(expected.length).toBeGreaterThan(0)
    const path = `${DBS}/files?dataset=${encodeURIComponent(record.dataset)}&detail=true&run_num=${run}&lumi_list=${JSON.stringify(ranges)}`
    const reply = await call(sim, agents.cert, path)
    expect(reply.status).toBe(200)
    const files = reply.json<Array<Record<string, unknown>>>()
    expect(files.map((f) => f.logical_file_name).sort()).toEqual(expected)
    for (const file of files) {
      const source = record.files!.find((f) => f.logical_file_name === file.logical_file_name)!
      expect(file).toMatchObject({ event_count: source.event_count, file_size: source.file_size, is_file_valid: source.is_file_valid, run_num: run, dataset: record.dataset })
    }
    // A flat lumi list means single lumis.
    const flat = await call(sim, agents.cert, `${DBS}/files?dataset=${encodeURIComponent(record.dataset)}&detail=true&run_num=${run}&lumi_list=[5,35]`)
    const flatExpected = record.files!.filter((f) => f.run_num === run && (f.lumi_section_num.includes(5) || f.lumi_section_num.includes(35)))
    expect(flat.json<unknown[]>()).toHaveLength(flatExpected.length)
    // validFileOnly drops invalid files.
    const valid = await call(sim, agents.cert, `${path}&validFileOnly=1`)
    const validExpected = record.files!.filter(
      (f) => f.is_file_valid === 1 && f.run_num === run && f.lumi_section_num.some((l) => ranges.some(([a, b]) => l >= a && l <= b))
    )
    expect(valid.json<unknown[]>()).toHaveLength(validExpected.length)
    const bad = await call(sim, agents.cert, `${DBS}/files?dataset=${encodeURIComponent(record.dataset)}&run_num=${run}&lumi_list=[[5,`)
    expect(bad.status).toBe(400)
    expect(bad.json<Array<{ error: { code: number } }>>()[0]!.error.code).toBe(118)
  })

  it('WMStats lists the active workflows of the step', async () => {
    const reply = await call(sim, agents.cert, '/wmstatsserver/data/filtered_requests?mask=RequestName')
    expect(reply.json()).toEqual({ result: scenario.steps[0]!.wmstatsActive.map((RequestName) => ({ RequestName })) })
  })

  it('unknown routes answer 404 JSON', async () => {
    const reply = await call(sim, agents.cert, '/nothing/here')
    expect(reply.status).toBe(404)
    expect(reply.json()).toMatchObject({ error: 'not_found' })
  })
})

describe('step 1', () => {
  let changed: string[]
  let created: string[]
  let deleted: string[]

  beforeAll(() => {
    const before = scenario.steps[0]!.reqmgr2
    const after = scenario.steps[1]!.reqmgr2
    changed = [...after.keys()].filter((n) => before.has(n) && JSON.stringify(before.get(n)) !== JSON.stringify(after.get(n)))
    created = [...after.keys()].filter((n) => !before.has(n))
    deleted = [...before.keys()].filter((n) => !after.has(n))
    vi.setSystemTime(T_STEP1)
    expect(sim.advance()).toBe(1)
  })

  it('the scenario has changed, new and deleted documents at step 1', () => {
    expect(changed.length).toBeGreaterThan(0)
    expect(created.length).toBeGreaterThan(0)
    expect(deleted.length).toBeGreaterThan(0)
  })

  it('_changes since the step-0 last_seq: one result per changed or new document, one deleted result per removed one', async () => {
    const feed = (await call(sim, agents.cert, `${COUCH}/_changes?since=${encodeURIComponent(lastSeqAtStep0)}`)).json<ChangesReply>()
    const live = feed.results.filter((r) => !r.deleted).map((r) => r.id)
    const gone = feed.results.filter((r) => r.deleted).map((r) => r.id)
    expect(live.sort()).toEqual([...changed, ...created].sort())
    expect(gone.sort()).toEqual(deleted.sort())
    expect(feed.results.every((r) => seqNumber(r.seq) > seqNumber(lastSeqAtStep0))).toBe(true)
    for (const result of feed.results) {
      const expectedRev = created.includes(result.id) ? 1 : 2
      expect(result.changes[0]!.rev.startsWith(`${expectedRev}-`)).toBe(true)
    }
    expect(feed.last_seq).toBe(feed.results[feed.results.length - 1]!.seq)
  })

  it('a deleted document answers 404 deleted; a changed one its new content', async () => {
    const gone = await call(sim, agents.cert, `${COUCH}/${deleted[0]}`)
    expect(gone.status).toBe(404)
    expect(gone.json()).toEqual({ error: 'not_found', reason: 'deleted' })
    const name = changed[0]!
    const doc = (await call(sim, agents.cert, `${COUCH}/${name}`)).json<Record<string, unknown>>()
    expect(doc.RequestStatus).toBe(scenario.steps[1]!.reqmgr2.get(name)!.RequestStatus)
    expect(String(doc._rev)).toMatch(/^2-/)
  })

  it('_all_docs with keys: live, deleted and unknown rows in CouchDB shape', async () => {
    const live = changed[0]!
    const reply = await call(sim, agents.cert, `${COUCH}/_all_docs?include_docs=true`, postJson({ keys: [live, deleted[0], 'never_existed'] }))
    expect(reply.status).toBe(200)
    const rows = reply.json<{ rows: Array<Record<string, unknown>> }>().rows
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatchObject({ id: live, key: live, value: { rev: expect.stringMatching(/^2-/) } })
    expect((rows[0]!.doc as Record<string, unknown>).RequestName).toBe(live)
    expect(rows[1]).toEqual({ id: deleted[0], key: deleted[0], value: { rev: expect.stringMatching(/^2-/), deleted: true }, doc: null })
    expect(rows[2]).toEqual({ key: 'never_existed', error: 'not_found' })
  })

  it('filesummaries and datasetlist follow the step-1 records', async () => {
    for (const record of scenario.steps[1]!.dbs.slice(0, 10)) {
      const reply = await call(sim, agents.cert, `${DBS}/filesummaries?dataset=${encodeURIComponent(record.dataset)}&validFileOnly=1`)
      expect(reply.json<Array<Record<string, number>>>()[0]!.num_event).toBe(record.num_event)
    }
    const fresh = scenario.steps[1]!.dbs.filter((r) => !scenario.steps[0]!.dbs.some((old) => old.dataset === r.dataset))
    expect(fresh.length).toBeGreaterThan(0)
    const list = await call(sim, agents.cert, `${DBS}/datasetlist`, postJson({ dataset: fresh.map((r) => r.dataset), detail: 1, dataset_access_type: '*' }))
    const records = list.json<Array<Record<string, unknown>>>()
    expect(records.map((r) => r.dataset)).toEqual(fresh.map((r) => r.dataset))
    expect(records.every((r) => r.creation_date === T_STEP1 / 1000)).toBe(true)
  })

  it('datasets?min_ldate lists exactly the records new or changed at step 1; unchanged ones keep their date', async () => {
    const before = new Map(scenario.steps[0]!.dbs.map((r) => [r.dataset, JSON.stringify(r)]))
    const touched = scenario.steps[1]!.dbs.filter((r) => before.get(r.dataset) !== JSON.stringify(r)).map((r) => r.dataset)
    const unchanged = scenario.steps[1]!.dbs.filter((r) => before.get(r.dataset) === JSON.stringify(r)).map((r) => r.dataset)
    expect(unchanged.length).toBeGreaterThan(0)
    const reply = await call(sim, agents.cert, `${DBS}/datasets?min_ldate=${T_START / 1000 + 60}&dataset_access_type=*`)
    expect(reply.json<Array<{ dataset: string }>>().map((d) => d.dataset).sort()).toEqual(touched.sort())
    const detail = await call(sim, agents.cert, `${DBS}/datasetlist`, postJson({ dataset: unchanged, detail: 1, dataset_access_type: '*' }))
    expect(detail.json<Array<Record<string, unknown>>>().every((r) => r.last_modification_date === T_START / 1000)).toBe(true)
  })

  it('WMStats follows the step-1 active list', async () => {
    const reply = await call(sim, agents.cert, '/wmstatsserver/data/filtered_requests?mask=RequestName')
    expect(reply.json<{ result: Array<{ RequestName: string }> }>().result.map((r) => r.RequestName)).toEqual(scenario.steps[1]!.wmstatsActive)
  })

  it('advancing past the last step stays there', () => {
    expect(sim.advance()).toBe(1)
    expect(sim.step).toBe(1)
  })
})
