import { describe, expect, it } from 'vitest'
import { pinnedItems } from '../../src/shared/watchlist'
import { withPinned, canonicalScope, globToRegExp, isScoped, normaliseScope, requestPrepIds, sameScope, ScopeMatcher, type SyncScope } from '../../src/shared/sync-scope'

const scope = (over: Partial<SyncScope>): SyncScope => ({ campaigns: [], prepIds: [], statuses: [], workflows: [], ...over })

const chain = {
  RequestName: 'w1', Campaign: 'Run3Summer23wmLHEGS', PrepID: 'task_HIG-Run3Summer23wmLHEGS-00001', RequestStatus: 'running-open',
  RequestDate: [2025, 1, 10, 8, 0, 0], TaskChain: 2,
  Task1: { PrepID: 'HIG-Run3Summer23wmLHEGS-00001' }, Task2: { PrepID: 'HIG-Run3Summer23DRPremix-00001' }
}

describe('sync scope rules', () => {
  it('normalises and checks a scope, reporting issues per field', () => {
    const ok = normaliseScope({ campaigns: [' B ', 'A', 'A'], statuses: ['active', 'Completed'], requestedFrom: '2025-01-01' })
    expect(ok).toEqual({ ok: true, value: { campaigns: ['A', 'B'], prepIds: [], statuses: ['ACTIVE', 'completed'], workflows: [], requestedFrom: '2025-01-01' } })
    const bad = normaliseScope({ statuses: ['runing'], prepIds: ['*'], requestedFrom: '2025-02-30', requestedTo: 'tomorrow' })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.issues.map((issue) => issue.field).sort()).toEqual(['prepIds', 'requestedFrom', 'requestedTo', 'statuses'])
    expect(normaliseScope({ requestedFrom: '2025-03-01', requestedTo: '2025-02-01' }).ok).toBe(false)
    expect(isScoped(scope({}))).toBe(false)
    expect(isScoped(scope({ requestedTo: '2025-01-01' }))).toBe(true)
  })

  it('compares scopes by meaning (named status sets expanded, order ignored)', () => {
    expect(sameScope(scope({ campaigns: ['a', 'b'] }), scope({ campaigns: ['b', 'a'] }))).toBe(true)
    expect(sameScope(scope({ statuses: ['ARCHIVED'] }), scope({ statuses: ['aborted-archived', 'normal-archived', 'rejected-archived'] }))).toBe(true)
    expect(sameScope(scope({ campaigns: ['a'] }), scope({ campaigns: ['a', 'b'] }))).toBe(false)
    expect(canonicalScope(undefined)).toBe('none')
  })

  it('matches: selectors united, status and date intersected, named workflows always in', () => {
    expect(requestPrepIds(chain)).toEqual(['task_HIG-Run3Summer23wmLHEGS-00001', 'HIG-Run3Summer23wmLHEGS-00001', 'HIG-Run3Summer23DRPremix-00001'])
    expect(new ScopeMatcher(scope({ prepIds: ['HIG-*DRPremix*'] })).matches('w1', chain)).toBe(true)
    expect(new ScopeMatcher(scope({ prepIds: ['EXO-*'], campaigns: ['Run3Summer23wmLHEGS'] })).matches('w1', chain)).toBe(true)
    expect(new ScopeMatcher(scope({ campaigns: ['Run3Summer23wmLHEGS'], statuses: ['ARCHIVED'] })).matches('w1', chain)).toBe(false)
    expect(new ScopeMatcher(scope({ statuses: ['ACTIVE'], requestedFrom: '2025-01-10', requestedTo: '2025-01-10' })).matches('w1', chain)).toBe(true)
    expect(new ScopeMatcher(scope({ requestedFrom: '2025-01-11' })).matches('w1', chain)).toBe(false)
    expect(new ScopeMatcher(scope({ workflows: ['w1'], statuses: ['completed'] })).matches('w1', chain)).toBe(true)
    expect(new ScopeMatcher(scope({ workflows: ['other'] })).matches('w1', chain)).toBe(false)
    expect(globToRegExp('a.b?c*').test('a.bXcdef')).toBe(true)
    expect(globToRegExp('a.b?c*').test('aXbXc')).toBe(false)
  })

  it('adds pinned watchlist items to a scope, and leaves no scope as it is', () => {
    expect(withPinned(undefined, { workflows: ['w1'] })).toBeUndefined()
    expect(withPinned(scope({ campaigns: ['B'] }), { campaigns: ['A', 'B'], prepIds: ['HIG-1'], workflows: ['w1'] }))
      .toEqual(scope({ campaigns: ['A', 'B'], prepIds: ['HIG-1'], workflows: ['w1'] }))
  })
})

describe('pinned watchlist items join the scope', () => {
  it('adds pinned campaigns, PrepIDs and workflows to a scope, and leaves no scope alone', () => {
    const pinned = pinnedItems([
      { kind: 'campaign', value: 'Run3Summer23GS' },
      { kind: 'prepid', value: 'HIG-Run3Summer22GS-00001' },
      { kind: 'workflow', value: 'pdmvserv_task_X_230101_000000_1' }
    ])
    expect(pinned).toEqual({
      campaigns: ['Run3Summer23GS'], prepIds: ['HIG-Run3Summer22GS-00001'], workflows: ['pdmvserv_task_X_230101_000000_1']
    })
    const scoped = withPinned(scope({ campaigns: ['Other'] }), pinned)
    expect(scoped?.campaigns).toEqual(['Other', 'Run3Summer23GS'])
    expect(scoped?.prepIds).toContain('HIG-Run3Summer22GS-00001')
    expect(scoped?.workflows).toContain('pdmvserv_task_X_230101_000000_1')
    expect(withPinned(undefined, pinned)).toBeUndefined()
  })
})
