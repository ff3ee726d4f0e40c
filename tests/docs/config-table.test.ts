/**
 * The configuration table (src/shared/config-table.ts) is the one list: the documentation's tables
 * are generated from it, every variable the code reads is in it, and nothing outside the
 * configuration loader reads a Stats2 variable from the environment directly.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_TABLE, configTableMarkdown } from '../../src/shared/config-table'
import { SCOPE_ENV } from '../../src/main/config/scope-config'

const ROOT = resolve(__dirname, '../..')
const START = '<!-- config-table:start'
const END = '<!-- config-table:end -->'

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.(tsx?|cjs|mjs)$/.test(entry.name) ? [path] : []
  })
}

const NAMES = new Set(CONFIG_TABLE.map((entry) => entry.env))

describe('the configuration table', () => {
  it('is what docs/configuration.md shows (run `npm run docs:env` after changing the table)', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8')
    const from = doc.indexOf(START)
    const to = doc.indexOf(END)
    expect(from).toBeGreaterThanOrEqual(0)
    const generated = doc.slice(doc.indexOf('-->', from) + 3, to).trim()
    expect(generated).toBe(configTableMarkdown().trim())
  })

  it('lists each variable once, with a meaning', () => {
    expect(NAMES.size).toBe(CONFIG_TABLE.length)
    for (const entry of CONFIG_TABLE) expect(entry.meaning.length, entry.env).toBeGreaterThan(5)
  })

  it('holds every variable the loader reads, and the scope variables', () => {
    const read = new Set<string>()
    for (const file of sources(join(ROOT, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\benv(?:Text|Int|Url|Enum)(?:<[^>]*>)?\([^,]+,\s*'([A-Z0-9_]+)'/g)) read.add(match[1]!)
    }
    expect(read.size).toBeGreaterThan(30)
    for (const name of [...read, ...Object.values(SCOPE_ENV)]) expect(NAMES.has(name), `${name} is read but not in the table`).toBe(true)
  })

  it('is read through src/main/config only: no Stats2 variable is taken from the environment elsewhere', () => {
    const direct: string[] = []
    const folders = ['src/main', 'src/store-server', 'src/shared', 'src/renderer', 'src/sim']
    for (const file of folders.flatMap((folder) => sources(join(ROOT, folder)))) {
      const path = relative(ROOT, file)
      if (path.startsWith('src/main/config/')) continue
      for (const match of readFileSync(file, 'utf8').matchAll(/\benv(?:\?)?\.([A-Z][A-Z0-9_]+)|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) {
        const name = match[1] ?? match[2]!
        if (NAMES.has(name)) direct.push(`${path}: ${name}`)
      }
    }
    expect(direct).toEqual([])
  })

  it('documents the launcher variables too', () => {
    // bin/heap.cjs sizes `stats2 update`'s heap before any TypeScript runs: it reads STATS2_HEAP_MB itself.
    expect(readFileSync(join(ROOT, 'bin', 'heap.cjs'), 'utf8')).toContain('STATS2_HEAP_MB')
    expect(NAMES.has('STATS2_HEAP_MB')).toBe(true)
  })
})
