/** The overview's address: selection, drill and page survive a round trip; a bad drill is dropped. */
import { describe, expect, it } from 'vitest'
import { formatOverviewHash, isOverviewHash, parseOverviewHash, type OverviewAddress } from '../../src/renderer/src/overview/address'

describe('the overview address', () => {
  it('goes there and back, and drops what the contract would refuse', () => {
    const addresses: OverviewAddress[] = [
      { selection: { kind: 'all' }, drill: {}, page: 0 },
      { selection: { kind: 'field', field: 'campaign', value: 'Run3Summer23 & co' }, drill: { status: 'running-open', campaign: '(no campaign)' }, page: 2 },
      { selection: { kind: 'search', text: 'HIG-Run3' }, drill: { pair: 'assigned\u2192acquired' }, page: 0 },
      { selection: { kind: 'scope' }, drill: { reason: 'stalled', block: 3 }, page: 0 }
    ]
    for (const address of addresses) {
      const hash = formatOverviewHash(address)
      expect(isOverviewHash(hash)).toBe(true)
      expect(parseOverviewHash(hash)).toEqual(address)
    }
    expect(formatOverviewHash(addresses[0]!)).toBe('#overview')
    expect(parseOverviewHash('#overview?d.block=12&d.reason=bored&page=-3')).toEqual({ selection: { kind: 'all' }, drill: {}, page: 0 })
    expect(isOverviewHash('#overviewish')).toBe(false)
    expect(isOverviewHash('#q=overview')).toBe(false)
  })
})
