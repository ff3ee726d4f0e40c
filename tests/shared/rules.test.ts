import { describe, expect, it } from 'vitest'
import { formatUtc, timeAgo } from '../../src/shared/rules/time-ago'
import { groupDigits, humanSize } from '../../src/shared/rules/size'
import { datasetCompletions, expectedTotal, formatPercent, newestEntry, typeColour } from '../../src/shared/rules/completion'
import { byRequestDateTime, requestDateSeconds, requestDateTime } from '../../src/shared/rules/request-name'
import { isAllowedExternalUrl, pdmvLink, serviceOfPrepId, dasDatasetLink } from '../../src/shared/rules/links'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

describe('time ago (spec §9)', () => {
  it('says whole days, else hours and minutes, else minutes, else seconds', () => {
    const now = 1_000_000
    expect(timeAgo(now - 3 * 86_400 - 5000, now)).toBe('3d')
    expect(timeAgo(now - 86_399, now)).toBe('23h 59min')
    expect(timeAgo(now - 3600, now)).toBe('1h 0min')
    expect(timeAgo(now - 125, now)).toBe('2min')
    expect(timeAgo(now - 59, now)).toBe('59s')
    expect(timeAgo(now + 10, now)).toBe('0s')
    expect(formatUtc(0)).toBe('1970-01-01 00:00')
  })
})

describe('sizes', () => {
  it('uses base-1000 units', () => {
    expect(humanSize(999)).toBe('999 B')
    expect(humanSize(1000)).toBe('1.00 KB')
    expect(humanSize(15_780_235)).toBe('15.8 MB')
    expect(humanSize(2.5e12)).toBe('2.50 TB')
    expect(humanSize(3e15)).toBe('3000 TB')
    expect(groupDigits(1234567)).toBe('1,234,567')
  })
})

const doc = (over: Partial<WorkflowDoc>): WorkflowDoc => ({
  _id: 'w', Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0, RequestTransition: [],
  Requests: [], TotalEvents: 1000, TotalInputLumis: 50, ...over
})

describe('completion', () => {
  it('divides the newest entry by the expected events, per output dataset in document order', () => {
    const w = doc({
      OutputDatasets: ['/a/b/GEN-SIM', '/a/b/AODSIM'],
      EventNumberHistory: [
        { Time: 20, Datasets: { '/a/b/GEN-SIM': { Type: 'VALID', Events: 1000, Size: 5 }, '/a/b/AODSIM': { Type: 'PRODUCTION', Events: 250, Size: 1 } } },
        { Time: 10, Datasets: { '/a/b/GEN-SIM': { Type: 'PRODUCTION', Events: 1, Size: 1 } } }
      ]
    })
    expect(newestEntry(w.EventNumberHistory)?.Time).toBe(20)
    const rows = datasetCompletions(w)
    expect(rows.map((r) => [r.dataset, r.type, r.percent])).toEqual([['/a/b/GEN-SIM', 'VALID', 100], ['/a/b/AODSIM', 'PRODUCTION', 25]])
  })

  it('uses lumis for lumi-based ReReco and has no percentage without an expected total', () => {
    const rereco = doc({ RequestType: 'ReReco', LumiList: { '1': [[1, 2]] }, TotalInputLumis: 40, OutputDatasets: ['/a/b/AOD'],
      EventNumberHistory: [{ Time: 1, Datasets: { '/a/b/AOD': { Type: 'PRODUCTION', Events: 5, Size: 1, Lumis: 10 } } }] })
    expect(expectedTotal(rereco)).toEqual({ unit: 'lumis', total: 40 })
    expect(datasetCompletions(rereco)[0]?.percent).toBe(25)
    const unknown = doc({ TotalEvents: -1, OutputDatasets: ['/a/b/AOD'] })
    expect(datasetCompletions(unknown)[0]).toMatchObject({ percent: undefined, type: 'NONE', events: 0 })
    expect(formatPercent(undefined)).toBe('–')
    expect(formatPercent(99.99)).toBe('99.9 %')
    expect(formatPercent(120.4)).toBe('120 %')
  })

  it('colours by Type', () => {
    expect(['PRODUCTION', 'VALID', 'INVALID', 'DELETED', 'DEPRECATED', 'NONE'].map(typeColour)).toEqual(
      ['production', 'valid', 'invalid', 'invalid', 'other', 'other']
    )
  })
})

describe('request names', () => {
  it('orders by the date-time part, oldest first', () => {
    const names = ['pdmvserv_ACDC0_X_230629_120000_2222', 'pdmvserv_X_230627_101500_1111', 'odd']
    expect([...names].sort(byRequestDateTime)).toEqual(['odd', 'pdmvserv_X_230627_101500_1111', 'pdmvserv_ACDC0_X_230629_120000_2222'])
    expect(requestDateTime('a_b_181203_120956_4300')).toBe('181203120956')
    expect(requestDateSeconds('a_b_181203_120956_4300')).toBe(Date.UTC(2018, 11, 3, 12, 9, 56) / 1000)
    expect(requestDateSeconds('nodate')).toBeUndefined()
  })
})

describe('links', () => {
  it('chooses the PdmV service from the PrepID pattern', () => {
    expect(serviceOfPrepId('ReReco-Run2022C-MuonEG-27Jun2023-00001')).toBe('rereco')
    expect(serviceOfPrepId('CMSSW_13_0_0__RelVal-00012')).toBe('relval')
    expect(serviceOfPrepId('HIG-RunIISummer20UL18wmLHEGEN-00123')).toBe('mcm')
    expect(serviceOfPrepId('task_HIG-RunIISummer20UL18wmLHEGEN-00123')).toBe('mcm')
    expect(serviceOfPrepId('whatever')).toBeUndefined()
    expect(pdmvLink('task_HIG-Foo-00001')).toContain('chained_requests?prepid=HIG-Foo-00001')
  })

  it('allows only https links to the CMS services', () => {
    expect(isAllowedExternalUrl(dasDatasetLink('/a/b/AOD'))).toBe(true)
    expect(isAllowedExternalUrl('http://cmsweb.cern.ch/das')).toBe(false)
    expect(isAllowedExternalUrl('https://cmsweb.cern.ch.evil.example/x')).toBe(false)
    expect(isAllowedExternalUrl('https://user:pw@cmsweb.cern.ch/')).toBe(false)
    expect(isAllowedExternalUrl('javascript:alert(1)')).toBe(false)
    expect(isAllowedExternalUrl('not a url')).toBe(false)
  })
})
