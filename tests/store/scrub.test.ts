/**
 * Damage that appears while the store runs (issue 14: LevelDB verifies no block checksum on reads
 * here). The scrub (src/store-server/check/scrub.ts) reads every table a MANIFEST lists again and
 * finds a flipped byte; a store process that finds one stops without closing its databases, and
 * its restart refuses the damaged database, so callers get the reason instead of the bytes.
 */
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addLogSink, type LogRecord } from '../../src/main/log/logger'
import { CouchStore } from '../../src/main/store/couch-store'
import { scrubTables } from '../../src/store-server/check/scrub'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
/** A store whose `requests` holds tables (written in one session, its log made a table by a second open). */
let golden: string

const doc = (i: number): WorkflowDoc => {
  const name = `scrub_${String(i).padStart(5, '0')}_230101_120000_${1000 + i}`
  return {
    _id: name, RequestName: name, PrepID: `SCRUB-${i % 40}`, Campaigns: ['Scrub'], OutputDatasets: ['/Scrub/Run-v1/AODSIM'],
    EventNumberHistory: Array.from({ length: 20 }, (_, k) => ({ Time: 1_700_000_000 + k * 600, Datasets: { '/Scrub/Run-v1/AODSIM': { Type: 'PRODUCTION', Events: k * 100 + i, Size: k * 1000 } } })),
    RequestPriority: 1, RequestTransition: [], Requests: [], TotalEvents: 10_000, TotalInputLumis: -1
  }
}

async function largestTable(dir: string): Promise<string> {
  const tables: Array<{ name: string; size: number }> = []
  for (const name of await fs.readdir(dir)) if (name.endsWith('.ldb')) tables.push({ name, size: (await fs.stat(join(dir, name))).size })
  return tables.sort((a, b) => b.size - a.size)[0]!.name
}

/** XOR of 8 bytes in the middle of a file, as a failing disk or a stray write would leave it. */
async function flip(path: string): Promise<void> {
  const bytes = await fs.readFile(path)
  const at = Math.floor(bytes.length / 2)
  for (let i = at; i < at + 8; i++) bytes[i] = bytes[i]! ^ 0xa5
  await fs.writeFile(path, bytes)
}

async function copyOfGolden(): Promise<string> {
  const dir = await fs.mkdtemp(join(work, 'case-'))
  await fs.cp(golden, dir, { recursive: true })
  return dir
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-scrub-'))
  golden = join(work, 'golden')
  const first = await CouchStore.open({ dataDir: golden, storeScrubMs: 0 }, { batchSize: 500 })
  for (let i = 0; i < 2_000; i += 500) await first.saveWorkflows(Array.from({ length: 500 }, (_, k) => doc(i + k)))
  await first.close()
  const second = await CouchStore.open({ dataDir: golden, storeScrubMs: 0 })
  await second.close()
  expect(await largestTable(join(golden, 'requests'))).toMatch(/^\d+\.ldb$/)
}, 120_000)

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true })
})

describe('verifying the tables again (scrub)', () => {
  it('reads every table a MANIFEST lists and finds them sound', async () => {
    const report = await scrubTables(golden, { pauseFactor: 0 })
    expect(report.problems).toEqual([])
    expect(report.tables).toBeGreaterThan(0)
    expect(report.bytes).toBeGreaterThan(100_000)
  })

  it('names the database, the table and the block of a flipped byte', async () => {
    const dir = await copyOfGolden()
    const table = await largestTable(join(dir, 'requests'))
    await flip(join(dir, 'requests', table))
    const report = await scrubTables(dir, { pauseFactor: 0 })
    expect(report.problems.length).toBeGreaterThan(0)
    expect(report.problems[0]).toMatch(new RegExp(`^requests: table ${table}: .*(fails its checksum|does not decompress)`))
  })

  it('a running store that finds damage stops serving it: its restart refuses the database, calls fail with the reason', async () => {
    const dir = await copyOfGolden()
    const store = await CouchStore.open({ dataDir: dir, storeScrubMs: 300 })
    const lines: LogRecord[] = []
    const stopLogs = addLogSink((record) => void lines.push(record))
    try {
      expect(await store.countWorkflows()).toBe(2_000)
      const table = await largestTable(join(dir, 'requests'))
      await flip(join(dir, 'requests', table))
      const proc = store.embeddedServer!
      await waitUntil(() => proc.state === 'down', 'the supervisor gives the store up')
      expect(proc.unavailable()).toMatch(/could not be started again/)
      expect(proc.unavailable()).toContain(table)
      await expect(store.countWorkflows()).rejects.toThrow(/could not be started again/)
      const messages = lines.map((record) => record.message)
      expect(messages.some((line) => /found damage in its tables while serving/.test(line))).toBe(true)
      // The damaged table was left as it was found: nothing compacted it into a fresh one.
      expect((await fs.readdir(join(dir, 'requests'))).includes(table)).toBe(true)
    } finally {
      stopLogs()
      await store.close()
    }
  }, 120_000)
})
