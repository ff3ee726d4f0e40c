import { describe, expect, it } from 'vitest'
import { errorCodeOf, ForbiddenError } from '../../src/main/ipc/handlers'
import { NotFoundError } from '../../src/main/core/errors'
import { StoreError, StoreReadOnlyError, NotCouchDbError } from '../../src/main/store/couch-store'
import { CmswebAbortError, CmswebError } from '../../src/main/cmsweb/errors'
import { UnaddressableIdError } from '../../src/main/store/doc-ids'

describe('contract error codes come from the error class', () => {
  it('maps classes and their subclasses, whatever their name', () => {
    expect(errorCodeOf(new NotFoundError('gone'))).toBe('not-found')
    expect(errorCodeOf(new ForbiddenError('no'))).toBe('forbidden')
    expect(errorCodeOf(Object.create(StoreError.prototype) as Error)).toBe('store')
    // Subclasses keep their parent's code even with a name of their own.
    for (const sub of [StoreReadOnlyError, NotCouchDbError]) {
      const error = Object.create(sub.prototype) as Error
      expect(errorCodeOf(error)).toBe('store')
    }
    expect(errorCodeOf(Object.create(CmswebError.prototype) as Error)).toBe('cmsweb')
    expect(errorCodeOf(Object.create(UnaddressableIdError.prototype) as Error)).toBe('store')
    expect(errorCodeOf(Object.create(CmswebAbortError.prototype) as Error)).toBe('cancelled')
    expect(errorCodeOf(new DOMException('stopped', 'AbortError'))).toBe('cancelled')
  })

  it('never trusts a name or a message', () => {
    const spoofed = new Error('No workflow named x')
    spoofed.name = 'NotFoundError'
    expect(errorCodeOf(spoofed)).toBe('internal')
    const forbidden = Object.assign(new Error('forbidden'), { name: 'ForbiddenError', code: 'busy' })
    expect(errorCodeOf(forbidden)).toBe('internal')
    expect(errorCodeOf('a string')).toBe('internal')
    expect(errorCodeOf(undefined)).toBe('internal')
  })
})
