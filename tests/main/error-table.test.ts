/**
 * Every error class of the product has one row in the error table (src/main/core/error-codes.ts):
 * its contract code across IPC and its HTTP status. The classes are found by reading src/main (and
 * the store server's public entry), so a new error class without a row fails here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ERROR_TABLE, errorCodeOf, errorMapping, httpStatusOf } from '../../src/main/core/error-codes'
import { BusyError, ForbiddenError, NotFoundError } from '../../src/main/core/errors'

const ROOT = resolve(__dirname, '../..')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** `class X extends Y` where X or Y names an error. */
const ERROR_CLASS = /^(export\s+)?class\s+(\w+)\s+extends\s+(\w+)/gm

function errorClassesIn(file: string): Array<{ name: string; exported: boolean }> {
  const found: Array<{ name: string; exported: boolean }> = []
  for (const match of readFileSync(file, 'utf8').matchAll(ERROR_CLASS)) {
    const [, exported, name, base] = match
    if (/Error$/.test(name!) || /Error$/.test(base!)) found.push({ name: name!, exported: Boolean(exported) })
  }
  return found
}

const files = [...sources(join(ROOT, 'src/main')), join(ROOT, 'src/store-server/index.ts')]
const classes = files.flatMap((file) => errorClassesIn(file).map((found) => ({ ...found, file: relative(ROOT, file) })))

describe('the error table', () => {
  it('finds the error classes of src/main', () => {
    // A sanity floor: the scan itself works (there are about thirty).
    expect(classes.length).toBeGreaterThan(20)
  })

  it.each(classes.filter((found) => found.file !== 'src/store-server/index.ts').map((found) => [found.name, found.file, found.exported] as const))(
    '%s (%s) is exported, so that it can be mapped',
    (_name, _file, exported) => {
      expect(exported).toBe(true)
    }
  )

  it.each(classes.map((found) => [found.name, found.file] as const))('%s (%s) has a code and a status', async (name, file) => {
    const module = (await import(join(ROOT, file))) as Record<string, unknown>
    const errorClass = module[name] as (abstract new (...args: never[]) => Error) | undefined
    if (errorClass === undefined) {
      // Re-exported by the store server's entry under the same name: that module is checked.
      expect(file, `${name} is not exported by ${file}`).toBe('src/store-server/index.ts')
      return
    }
    const instance = Object.create(errorClass.prototype) as Error
    const mapping = errorMapping(instance)
    expect(mapping, `${name} has no row in src/main/core/error-codes.ts`).toBeDefined()
    expect(mapping!.status).toBeGreaterThanOrEqual(400)
  })

  it('maps the shared errors to their codes and statuses', () => {
    expect([errorCodeOf(new NotFoundError('x')), httpStatusOf(new NotFoundError('x'))]).toEqual(['not-found', 404])
    expect([errorCodeOf(new BusyError('x')), httpStatusOf(new BusyError('x'))]).toEqual(['busy', 503])
    expect([errorCodeOf(new ForbiddenError('x')), httpStatusOf(new ForbiddenError('x'))]).toEqual(['forbidden', 403])
    expect(httpStatusOf(new Error('a bug'))).toBe(500)
  })

  it('lists each class once', () => {
    const listed = ERROR_TABLE.map(([errorClass]) => errorClass)
    expect(new Set(listed).size).toBe(listed.length)
  })
})
