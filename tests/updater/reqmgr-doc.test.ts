import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  MalformedRequestError, assertUsableRequest, buildWorkflowDoc, campaignsOf, filterEfficiency,
  planExpectedEvents, resubmissionEvents, resubmissionLumis, taskRequestsOf, type RawRequest
} from '../../src/main/updater/reqmgr-doc'
import { sortByTier, tierRank } from '../../src/shared/rules/tiers'
import { usesLumis as isLumiBased } from '../../src/shared/rules/completion'
import { CONFORMANCE_DIR } from '../helpers/paths'

const STEP = join(CONFORMANCE_DIR, 'stats2-public', 'steps', '01')
const read = (path: string): RawRequest => JSON.parse(readFileSync(path, 'utf8')) as RawRequest

describe('buildWorkflowDoc on the real ReqMgr2 documents of the public scenario', () => {
  const names = readdirSync(join(STEP, 'reqmgr2')).map((file) => file.replace(/\.json$/, ''))

  it.each(names)('%s: every copied field equals what the old Stats2 stored', (name) => {
    const raw = read(join(STEP, 'reqmgr2', `${name}.json`))
    const expected = read(join(STEP, 'expected', `${name}.json`))
    assertUsableRequest(raw, name)
    const doc = buildWorkflowDoc(raw, name, {
      events: expected.TotalEvents as number,
      lumis: expected.TotalInputLumis as number
    }) as unknown as Record<string, unknown>
    const { EventNumberHistory: _h, LastUpdate: _l, ...expectedFields } = expected
    const { EventNumberHistory: _h2, ...docFields } = doc
    expect(docFields).toEqual(expectedFields)
  })
})

describe('tier order', () => {
  it('sorts by the Stats2 tier list, unknown tiers first, stable among equals', () => {
    const sorted = sortByTier(['/a/b/NANOAODSIM', '/a/b/MINIAODSIM', '/x/y/WEIRD', '/a/c/AODSIM', '/a/b/DQMIO', '/a/z/AODSIM'])
    expect(sorted).toEqual(['/x/y/WEIRD', '/a/b/DQMIO', '/a/c/AODSIM', '/a/z/AODSIM', '/a/b/MINIAODSIM', '/a/b/NANOAODSIM'])
    expect(tierRank('/a/b/USER')).toBe(0)
    expect(tierRank('/a/b/aodsim')).toBe(-1)
  })
})

describe('campaigns and task requests', () => {
  it('walks Step1… for StepChains and falls back to AcquisitionEra', () => {
    const raw = {
      StepChain: 2,
      Step1: { Campaign: 'C1', PrepID: 'P1' },
      Step2: { AcquisitionEra: 'E2', PrepID: null },
      Task1: { Campaign: 'ignored' },
      Campaign: 'top'
    }
    expect(campaignsOf(raw)).toEqual(['C1', 'E2'])
    expect(taskRequestsOf(raw)).toEqual(['P1'])
  })

  it('uses the top-level Campaign, then AcquisitionEra, when no task has one; keeps duplicates', () => {
    expect(campaignsOf({ Task1: {}, Campaign: '', AcquisitionEra: 'Era' })).toEqual(['Era'])
    expect(campaignsOf({ Task1: { Campaign: 'X' }, Task2: { Campaign: 'X' } })).toEqual(['X', 'X'])
    expect(campaignsOf({})).toEqual([])
  })
})

describe('expected totals (spec §3)', () => {
  it('uses floor(efficiency × TotalInputEvents) when there are input files', () => {
    expect(planExpectedEvents({ TotalInputFiles: 3, TotalInputEvents: 1001, FilterEfficiency: 0.5 })).toEqual({ kind: 'value', events: 500 })
  })

  it('falls back to RequestNumEvents, then Task1/Step1, then the input dataset with its lumi mask', () => {
    expect(planExpectedEvents({ TotalInputFiles: 0, TotalInputEvents: 9382, RequestNumEvents: 8000 })).toEqual({ kind: 'value', events: 8000 })
    expect(planExpectedEvents({ RequestNumEvents: null, Task1: { RequestNumEvents: 42 } })).toEqual({ kind: 'value', events: 42 })
    expect(planExpectedEvents({ Step1: { RequestNumEvents: '7' } })).toEqual({ kind: 'value', events: 7 })
    expect(planExpectedEvents({ Task1: { InputDataset: '/a/b/RAW', LumiList: { '1': [[1, 2]] } } })).toEqual({
      kind: 'input-dataset', dataset: '/a/b/RAW', lumiMask: { '1': [[1, 2]] }
    })
    expect(planExpectedEvents({ Step1: { InputDataset: '/a/b/RAW', LumiList: {} } })).toEqual({ kind: 'input-dataset', dataset: '/a/b/RAW' })
    expect(planExpectedEvents({ RequestType: 'ReReco', InputDataset: '/top/level/RAW' })).toEqual({ kind: 'unknown' })
  })

  it('takes a Resubmission total from the first non-Resubmission request with that PrepID', () => {
    expect(planExpectedEvents({ RequestType: 'resubmission', PrepID: 'P', FilterEfficiency: 0.5 })).toEqual({
      kind: 'resubmission', prepId: 'P', efficiency: 0.5
    })
    const answer = {
      acdc: { RequestType: 'Resubmission', TotalInputEvents: 5, TotalInputLumis: 1 },
      clone: { RequestType: 'ReReco', TotalInputEvents: null, TotalInputLumis: null },
      parent: { RequestType: 'ReReco', TotalInputEvents: 1001, TotalInputLumis: 33 }
    }
    expect(resubmissionEvents(answer, 0.5)).toBe(500)
    expect(resubmissionLumis(answer)).toBe(33)
    expect(resubmissionEvents(undefined, 1)).toBe(-1)
    // No original with lumis (only Resubmissions, an empty answer): null, not -1 (spec §3).
    expect(resubmissionLumis({ acdc: answer.acdc })).toBeNull()
    expect(resubmissionLumis(undefined)).toBeNull()
    expect(resubmissionLumis({})).toBeNull()
  })

  it('reads FilterEfficiency from the top level, then Task1, then Step1', () => {
    expect(filterEfficiency({ FilterEfficiency: 0.25, Task1: { FilterEfficiency: 0.5 } })).toBe(0.25)
    expect(filterEfficiency({ Step1: { FilterEfficiency: 0.5 } })).toBe(0.5)
    expect(filterEfficiency({})).toBe(1)
  })
})

describe('lumi-based progress', () => {
  it('needs ReReco or Resubmission, a non-empty LumiList and a truthy TotalInputLumis', () => {
    const lumis = { '1': [[1, 2]] as [number, number][] }
    expect(isLumiBased({ RequestType: 'ReReco', LumiList: lumis, TotalInputLumis: 33 })).toBe(true)
    expect(isLumiBased({ RequestType: 'Resubmission', LumiList: lumis, TotalInputLumis: 33 })).toBe(true)
    expect(isLumiBased({ RequestType: 'ReDigi', LumiList: lumis, TotalInputLumis: 33 })).toBe(false)
    expect(isLumiBased({ RequestType: 'ReReco', LumiList: {}, TotalInputLumis: 33 })).toBe(false)
    expect(isLumiBased({ RequestType: 'ReReco', LumiList: lumis, TotalInputLumis: -1 })).toBe(true)
    expect(isLumiBased({ RequestType: 'ReReco', LumiList: lumis, TotalInputLumis: 0 })).toBe(false)
  })
})

describe('document shaping', () => {
  const base = { RequestName: 'x', OutputDatasets: [['/b/c/AODSIM'], '/b/c/GEN-SIM'], RequestPriority: '90000', PrepID: null }

  it('flattens and sorts outputs, makes the priority an integer, drops a null PrepID and a dict ProcessingString', () => {
    const doc = buildWorkflowDoc({ ...base, ProcessingString: { T: 'p' }, RequestTransition: [{ Status: 'new', UpdateTime: 1, DN: 'me' }] }, 'x', { events: 1, lumis: -1 })
    expect(doc.OutputDatasets).toEqual(['/b/c/GEN-SIM', '/b/c/AODSIM'])
    expect(doc.RequestPriority).toBe(90000)
    expect('PrepID' in doc).toBe(false)
    expect('ProcessingString' in doc).toBe(false)
    expect(doc.RequestTransition).toEqual([{ Status: 'new', UpdateTime: 1 }])
  })

  it('takes InputDataset and ProcessingString from Task1, then Step1, then the top level', () => {
    const doc = buildWorkflowDoc({ ...base, InputDataset: '/top', Step1: { InputDataset: '/step', ProcessingString: 'ps1' }, ProcessingString: 'top' }, 'x', { events: 1, lumis: 1 })
    expect(doc.InputDataset).toBe('/step')
    expect(doc.ProcessingString).toBe('ps1')
  })

  it('defaults a missing priority to 0 and copies nothing it should not', () => {
    const doc = buildWorkflowDoc({ OutputDatasets: [], Team: 'production', SiteWhitelist: ['T1'] }, 'y', { events: -1, lumis: -1 }) as unknown as Record<string, unknown>
    expect(doc.RequestPriority).toBe(0)
    expect(doc.Team).toBeUndefined()
    expect(Object.keys(doc).sort()).toEqual(
      ['Campaigns', 'EventNumberHistory', 'OutputDatasets', 'RequestPriority', 'RequestTransition', 'Requests', 'TotalEvents', 'TotalInputLumis', '_id'].sort()
    )
  })

  it('refuses documents the updater cannot use, naming the problem', () => {
    expect(() => assertUsableRequest([], 'w')).toThrow(MalformedRequestError)
    expect(() => assertUsableRequest({ RequestType: 'ReReco' }, 'w')).toThrow(/no OutputDatasets/)
    expect(() => assertUsableRequest({ OutputDatasets: [1] }, 'w')).toThrow(/non-string output dataset/)
    expect(() => assertUsableRequest({ OutputDatasets: [], RequestPriority: 'high' }, 'w')).toThrow(/RequestPriority/)
    expect(() => assertUsableRequest({ OutputDatasets: [], RequestTransition: 'x' }, 'w')).toThrow(/RequestTransition/)
    expect(() => planExpectedEvents({ TotalInputFiles: 2, TotalInputEvents: null })).toThrow(/TotalInputEvents/)
  })
})

describe('filter efficiency that is not a number', () => {
  it('is an error, not a silent zero', () => {
    expect(() => filterEfficiency({ FilterEfficiency: null })).toThrow(/FilterEfficiency/)
    expect(() => filterEfficiency({ Task1: { FilterEfficiency: '' } })).toThrow(/FilterEfficiency/)
    expect(filterEfficiency({ FilterEfficiency: '0.5' })).toBe(0.5)
  })
})

describe('expected lumis of a non-Resubmission', () => {
  it('keeps the document’s TotalInputLumis as it is (null until ReqMgr2 estimates it), -1 when absent', async () => {
    const { ownExpectedLumis } = await import('../../src/main/updater/reqmgr-doc')
    expect(ownExpectedLumis({ TotalInputLumis: 33 })).toBe(33)
    expect(ownExpectedLumis({ TotalInputLumis: null })).toBeNull()
    expect(ownExpectedLumis({})).toBe(-1)
  })
})
