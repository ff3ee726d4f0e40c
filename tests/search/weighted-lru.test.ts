import { describe, expect, it } from 'vitest'
import { WeightedLru } from '../../src/main/search/weighted-lru'

describe('WeightedLru', () => {
  it('drops the least recently used until the rest fits, and never keeps a value heavier than the bound', () => {
    const lru = new WeightedLru<string>(10, (value) => value.length)
    lru.set('a', 'xxxx') // 4
    lru.set('b', 'xxxx') // 8
    expect(lru.get('a')).toBe('xxxx') // a is now the most recently used
    lru.set('c', 'xxxx') // 12 > 10: b goes, not a
    expect(lru.get('b')).toBeUndefined()
    expect(lru.get('a')).toBe('xxxx')
    expect(lru.get('c')).toBe('xxxx')
    lru.set('huge', 'x'.repeat(11))
    expect(lru.get('huge')).toBeUndefined()
    expect(lru.size).toBe(2)
    // Replacing a value counts its new weight only.
    lru.set('a', 'xx')
    lru.set('d', 'xxxx') // 2 + 4 + 4 = 10: everything fits
    expect(lru.size).toBe(3)
    lru.delete('c')
    lru.set('e', 'xxxx') // 2 + 4 + 4 = 10
    expect([lru.get('a'), lru.get('c'), lru.get('d'), lru.get('e')]).toEqual(['xx', undefined, 'xxxx', 'xxxx'])
    lru.clear()
    expect(lru.size).toBe(0)
  })
})
