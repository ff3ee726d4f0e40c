import { describe, expect, it } from 'vitest'
import { ScopeMembership } from '../../src/main/updater/scope-membership'

describe('scope membership in all_settings', () => {
  it('keeps the excluded names when the store grew inside its scope', () => {
    const membership = ScopeMembership.compute(['a', 'b', 'c', 'x'], new Set(['a', 'b', 'c', 'd']))
    expect(membership.toSettings()).toEqual({ scope_excluded: ['x'], scope_followed: undefined })
    membership.exclude('a')
    membership.include('x')
    expect(membership.isExcluded('a')).toBe(true)
    expect(membership.isExcluded('x')).toBe(false)
    expect(ScopeMembership.fromSettings(membership.toSettings()).isExcluded('a')).toBe(true)
  })

  it('keeps the followed names instead when a large store gets a small scope (the settings document stays small)', () => {
    const stored = Array.from({ length: 1000 }, (_, i) => `w${i}`)
    const membership = ScopeMembership.compute(stored, new Set(['w1', 'w2', 'new']))
    expect(membership.toSettings()).toEqual({ scope_excluded: undefined, scope_followed: ['w1', 'w2'] })
    expect(membership.isExcluded('w500')).toBe(true)
    membership.include('new') // fetched for the scope
    membership.exclude('w1') // left the scope
    const again = ScopeMembership.fromSettings(membership.toSettings())
    expect(again.isExcluded('new')).toBe(false)
    expect(again.isExcluded('w1')).toBe(true)
    expect(again.isExcluded('w2')).toBe(false)
  })
})
