/**
 * Issue 14's reproductions 3, 4 and 5, literally, on a store filled by `stats2 update` over a
 * generated scenario (real simulator, real embedded store, the CLI in-process): a database folder
 * gone or emptied is refused (never recreated, whatever proves it existed), flipped bytes in a
 * table are found by `store check` (file and offset) and never served, and `store repair` says
 * what was expected, recovered and dropped, serves no record whose checksum fails, exits 1 on loss,
 * and leads back to a complete store.
 */
import { existsSync, promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { STORE_MANIFEST } from '../../src/store-server/check/store-manifest'
import { runCli, simulatorEnv } from '../helpers/cli'

let work: string
let sim: Simulator
let env: Record<string, string>
/** The store after `stats2 update` and a clean close (log written into a table by one more open). */
let golden: string
/** Its workflows, as `stats2 dump` prints them. */
let workflows: Array<Record<string, unknown>>

const WORKFLOWS = 600

async function copyOfGolden(): Promise<string> {
  const dir = await fs.mkdtemp(join(work, 'case-'))
  await fs.cp(golden, dir, { recursive: true })
  return dir
}

const cli = (args: string[], dataDir: string): ReturnType<typeof runCli> => runCli(args, { ...env, STATS2_DATA_DIR: dataDir })

async function largestTable(dir: string): Promise<{ name: string; size: number }> {
  const tables: Array<{ name: string; size: number }> = []
  for (const name of await fs.readdir(dir)) if (name.endsWith('.ldb')) tables.push({ name, size: (await fs.stat(join(dir, name))).size })
  return tables.sort((a, b) => b.size - a.size)[0]!
}

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-repro-'))
  sim = await startSimulator({ scenario: generateScenario({ workflows: WORKFLOWS, steps: 2, seed: 14 }), tlsDir: join(work, 'tls') })
  env = { ...simulatorEnv(sim, work), STATS2_RETRIES: '0' }
  golden = join(work, 'golden')
  expect((await cli(['update'], golden)).code).toBe(0)
  const dump = await cli(['dump'], golden)
  expect(dump.code).toBe(0)
  workflows = JSON.parse(dump.out) as Array<Record<string, unknown>>
  expect(workflows.length).toBeGreaterThan(100)
  expect((await largestTable(join(golden, 'requests'))).size).toBeGreaterThan(100_000)
}, 300_000)

afterAll(async () => {
  await sim?.close()
  await fs.rm(work, { recursive: true, force: true })
})

describe('the store manifest', () => {
  it('a clean close writes the databases with their counts, the view indexes and the checkpoint', async () => {
    const manifest = JSON.parse(await fs.readFile(join(golden, STORE_MANIFEST), 'utf8')) as {
      closedAt: string
      databases: Record<string, { docCount: number; updateSeq: number }>
      indexes: string[]
      checkpoint?: unknown
    }
    expect(manifest.databases.requests!.docCount).toBe(workflows.length + 2) // and the two design documents
    expect(manifest.databases.requests!.updateSeq).toBeGreaterThan(0)
    expect(manifest.databases.settings!.docCount).toBeGreaterThan(0)
    expect(manifest.indexes.some((name) => name.startsWith('requests-mrview-native-'))).toBe(true)
    expect(manifest.checkpoint).toBeDefined()
    expect(Date.now() - Date.parse(manifest.closedAt)).toBeLessThan(300_000)
  })
})

describe('reproduction 3: the requests folder removed or emptied is refused, never recreated', () => {
  const refusedEverywhere = async (dataDir: string, evidence: RegExp): Promise<void> => {
    const dump = await cli(['dump'], dataDir)
    expect(dump.code).toBe(1)
    expect(dump.out).toBe('')
    expect(dump.err).toMatch(evidence)
    expect(dump.err).toContain('is damaged; it was not opened')
    expect(dump.err).toContain('  requests: its folder')
    const update = await cli(['update'], dataDir)
    expect(update.code).toBe(1)
    expect(update.err).toMatch(evidence)
    const serve = await cli(['serve', '--port', '0'], dataDir)
    expect(serve.code).toBe(1)
    expect(serve.err).toMatch(evidence)
    const check = await cli(['store', 'check'], dataDir)
    expect(check.code).toBe(1)
    expect(check.out).toMatch(/requests: DAMAGED: /)
    expect(check.out).toMatch(evidence)
  }

  it('rm -rf requests: the manifest proves it held documents', async () => {
    const dataDir = await copyOfGolden()
    await fs.rm(join(dataDir, 'requests'), { recursive: true })
    await refusedEverywhere(dataDir, new RegExp(`its folder is gone, but the store manifest of the clean close at \\S+ lists it with ${workflows.length + 2} documents`))
    expect(existsSync(join(dataDir, 'requests'))).toBe(false)
  })

  it('an emptied requests folder: the same', async () => {
    const dataDir = await copyOfGolden()
    for (const name of await fs.readdir(join(dataDir, 'requests'))) await fs.rm(join(dataDir, 'requests', name))
    await refusedEverywhere(dataDir, /its folder holds no data, but the store manifest/)
    expect(await fs.readdir(join(dataDir, 'requests'))).toEqual([])
  })

  it('after a crash (no manifest, no view index): the feed checkpoint in settings proves it', async () => {
    const dataDir = await copyOfGolden()
    await fs.rm(join(dataDir, 'requests'), { recursive: true })
    await fs.rm(join(dataDir, STORE_MANIFEST))
    for (const name of await fs.readdir(dataDir)) if (name.includes('-mrview-')) await fs.rm(join(dataDir, name), { recursive: true })
    await refusedEverywhere(dataDir, /its folder is gone, but settings holds the ReqMgr2 feed checkpoint/)
  })

  it('a view index left without its database proves it too', async () => {
    const dataDir = await copyOfGolden()
    await fs.rm(join(dataDir, 'requests'), { recursive: true })
    await fs.rm(join(dataDir, STORE_MANIFEST))
    const dump = await cli(['dump'], dataDir)
    expect(dump.code).toBe(1)
    expect(dump.err).toMatch(/requests: its folder is gone, but (its view index requests-mrview-\S+ holds data|settings holds)/)
  })

  it('store repair names the loss, exits 1, resets the checkpoint; the next update fetches every workflow again', async () => {
    const dataDir = await copyOfGolden()
    await fs.rm(join(dataDir, 'requests'), { recursive: true })
    const repair = await cli(['store', 'repair'], dataDir)
    expect(repair.code).toBe(1)
    expect(repair.out).toContain(`requests: LOST (was: its folder is gone`)
    expect(repair.out).toContain(`expected ${workflows.length + 2} documents (store manifest); recovered 0 documents`)
    // The view index knew the ids: they are named.
    expect(repair.out).toContain(String(workflows[0]!._id))
    expect(repair.out).toMatch(/feed checkpoint in settings went back from \S+ to 0/)
    expect((await cli(['store', 'check'], dataDir)).code).toBe(0)
    expect((await cli(['update'], dataDir)).code).toBe(0)
    const names = (JSON.parse((await cli(['dump'], dataDir)).out) as Array<{ _id: string }>).map((doc) => doc._id).sort()
    expect(names).toEqual(workflows.map((doc) => String(doc._id)).sort())
  })
})

describe('reproduction 4: 8 bytes XORed inside the largest requests table', () => {
  let dataDir: string
  let table: string
  let flippedAt: number

  beforeAll(async () => {
    dataDir = await copyOfGolden()
    const largest = await largestTable(join(dataDir, 'requests'))
    table = largest.name
    const path = join(dataDir, 'requests', table)
    const bytes = await fs.readFile(path)
    flippedAt = Math.floor(bytes.length / 2)
    for (let i = flippedAt; i < flippedAt + 8; i++) bytes[i] = (bytes[i] as number) ^ 0x5a
    await fs.writeFile(path, bytes)
  })

  it('store check finds it: the table, the block and its offset', async () => {
    const check = await cli(['store', 'check'], dataDir)
    expect(check.code).toBe(1)
    const found = new RegExp(`requests: DAMAGED: table ${table}: the data block at byte (\\d+) \\((\\d+) bytes\\) fails its checksum`).exec(check.out)
    expect(found, check.out).not.toBeNull()
    const [offset, size] = [Number(found![1]), Number(found![2])]
    expect(offset).toBeLessThanOrEqual(flippedAt)
    expect(flippedAt).toBeLessThan(offset + size + 5)
  })

  it('dump exits 1 with a clear message, no TypeError, nothing printed; serve refuses to start instead of dying later', async () => {
    const dump = await cli(['dump'], dataDir)
    expect(dump.code).toBe(1)
    expect(dump.out).toBe('')
    expect(dump.err).toContain(`table ${table}: the data block at byte`)
    expect(dump.err).not.toMatch(/TypeError|at .*\.js:\d+/)
    const serve = await cli(['serve', '--port', '0'], dataDir)
    expect(serve.code).toBe(1)
    expect(serve.err).toContain('fails its checksum')
  })

  it('repair drops the damaged block, says so, exits 1; every document it keeps is the original', async () => {
    const repair = await cli(['store', 'repair'], dataDir)
    expect(repair.code).toBe(1)
    expect(repair.out).toMatch(/left out because their checksum failed: 1 table block/)
    const dropped = /dropped (\d+) documents?/.exec(repair.out)
    expect(Number(dropped?.[1])).toBeGreaterThan(0)
    const dump = await cli(['dump'], dataDir)
    expect(dump.code).toBe(0)
    const after = JSON.parse(dump.out) as Array<Record<string, unknown>>
    const original = new Map(workflows.map((doc) => [doc._id, doc]))
    expect(after.length).toBeGreaterThan(0)
    for (const doc of after) expect(doc).toEqual(original.get(doc._id))
    expect(after.length).toBeLessThan(workflows.length)
  })
})

describe('reproduction 5: store repair counts honestly and serves no changed record', () => {
  it('a truncated table: expected from the manifest, recovered = what dump reads, exit 1', async () => {
    const dataDir = await copyOfGolden()
    const largest = await largestTable(join(dataDir, 'requests'))
    await fs.truncate(join(dataDir, 'requests', largest.name), Math.floor(largest.size / 2))
    const repair = await cli(['store', 'repair', '--json'], dataDir)
    expect(repair.code).toBe(1)
    const requests = (JSON.parse(repair.out) as { folders: Array<{ name: string; expected: number; recovered: number; dropped: { count: number } }> }).folders.find((f) => f.name === 'requests')!
    expect(requests.expected).toBe(workflows.length + 2)
    const dumped = (JSON.parse((await cli(['dump'], dataDir)).out) as unknown[]).length
    // Recovered counts the documents that can be read: the workflows dump prints, plus the design documents kept.
    expect(requests.recovered - dumped).toBeGreaterThanOrEqual(0)
    expect(requests.recovered - dumped).toBeLessThanOrEqual(2)
    expect(requests.dropped.count).toBe(requests.expected - requests.recovered)
  })

  it('a missing table: the expected count is named', async () => {
    const dataDir = await copyOfGolden()
    await fs.rm(join(dataDir, 'requests', (await largestTable(join(dataDir, 'requests'))).name))
    const repair = await cli(['store', 'repair'], dataDir)
    expect(repair.code).toBe(1)
    expect(repair.out).toMatch(new RegExp(`expected ${workflows.length + 2} documents \\(store manifest\\); recovered \\d+ documents`))
    expect(repair.out).toContain('Repair finished, with LOSSES')
  })

  it('a log record whose bytes were changed is dropped by repair, never served', async () => {
    // A fresh update after the golden store: its writes are in the write-ahead log, not yet in a table.
    const dataDir = await copyOfGolden()
    sim.advance()
    expect((await cli(['update'], dataDir)).code).toBe(0)
    const logs: Array<{ name: string; size: number }> = []
    for (const name of await fs.readdir(join(dataDir, 'requests'))) if (name.endsWith('.log')) logs.push({ name, size: (await fs.stat(join(dataDir, 'requests', name))).size })
    const log = logs.sort((a, b) => b.size - a.size)[0]!.name
    const path = join(dataDir, 'requests', log)
    const bytes = await fs.readFile(path)
    const marker = Buffer.from('"PrepID":"')
    const at = bytes.indexOf(marker)
    expect(at).toBeGreaterThan(0)
    bytes.write('ZZZZ', at + marker.length, 'latin1')
    await fs.writeFile(path, bytes)

    const dump = await cli(['dump'], dataDir)
    expect(dump.code).toBe(1)
    expect(dump.err).toMatch(new RegExp(`write-ahead log ${log} is corrupt: checksum mismatch at byte \\d+`))
    const repair = await cli(['store', 'repair'], dataDir)
    expect(repair.code).toBe(1)
    expect(repair.out).toMatch(/left out because their checksum failed: \d+ log records?/)
    const after = await cli(['dump'], dataDir)
    expect(after.code).toBe(0)
    expect(after.out).not.toContain('"PrepID":"ZZZZ')
  })
})
