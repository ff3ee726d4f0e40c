import { describe, expect, it } from 'vitest'
import { EMPTY_QUERY, attributeQuery, formatHash, pageCount, parseHash, sameQuery } from '../../src/renderer/src/lib/hash-query'

describe('search state in the URL hash', () => {
  it('round-trips text, field, page and page size', () => {
    const state = { text: '/Prim/Era-PS-v1/AODSIM', field: 'output_dataset' as const, page: 2, pageSize: 500 }
    const hash = formatHash(state)
    expect(hash).toMatch(/^#q=/)
    expect(hash).toContain('field=output_dataset')
    expect(hash).toContain('page=3')
    expect(parseHash(hash)).toEqual(state)
  })

  it('writes q, field and a 1-based page; omits the default page size', () => {
    expect(formatHash(EMPTY_QUERY)).toBe('#q=&field=any&page=1')
    expect(formatHash({ text: 'a b&c', field: 'any', page: 0, pageSize: 100 })).toBe('#q=a+b%26c&field=any&page=1')
  })

  it('falls back to defaults on anything odd', () => {
    expect(parseHash('')).toEqual(EMPTY_QUERY)
    expect(parseHash('#q=x&field=nonsense&page=-4&size=7')).toEqual({ text: 'x', field: 'any', page: 0, pageSize: 100 })
    expect(parseHash('#page=abc').page).toBe(0)
  })

  it('builds attribute searches and page counts', () => {
    expect(attributeQuery('Run2022D', 'campaign')).toEqual({ text: 'Run2022D', field: 'campaign', page: 0, pageSize: 100 })
    expect(sameQuery(parseHash(formatHash(attributeQuery('a', 'type'))), attributeQuery('a', 'type'))).toBe(true)
    expect(pageCount(0, 100)).toBe(1)
    expect(pageCount(100, 100)).toBe(1)
    expect(pageCount(101, 100)).toBe(2)
  })
})
