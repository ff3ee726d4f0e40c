/**
 * A damaged LevelDB folder is refused, never recreated empty: through the real CLI (`stats2 dump`,
 * `stats2 update`, in-process and one as a child process), through the store opening API, for each
 * kind of damage LevelDB tells apart; every byte of the data folder stays as it was. Then
 * `stats2 store check` and `stats2 store repair` (copy aside, LevelDB's repair) end to end.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Nano from 'nano'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedCouch, StoreDamagedError } from '../../src/store-server/embedded-couch'
import { CouchStore } from '../../src/main/store/couch-store'
import { COPIES_DIR } from '../../src/store-server/check/damage'
import { runCli } from '../helpers/cli'
import { REPO_ROOT } from '../helpers/paths'

let work: string
/** A store written in two sessions, so that `requests` has a table (.ldb) and a non-empty log. */
let golden: string
const FIRST = 120
const SECOND = 80
let table = ''
let logFile = ''
let manifest = ''

const docs = (from: number, count: number): Array<Record<string, unknown>> =>
  Array.from({ length: count }, (_, i) => ({ _id: `wf_${from + i}`, RequestName: `wf_${from + i}`, PrepID: `p${(from + i) % 7}`, pad: 'x'.repeat(1500) }))

async function writeSession(dataDir: string, batch: Array<Record<string, unknown>>): Promise<void> {
  const store = await CouchStore.open({ dataDir })
  try {
    const server = store.embeddedServer!
    const nano = Nano({ url: server.url, headers: { Authorization: server.authHeader } })
    const written = await nano.use('requests').bulk({ docs: batch })
    expect(written.every((r) => !('error' in r) || !r.error)).toBe(true)
  } finally {
    await store.close()
  }
}

/** Every file under `dir` with the hash of its bytes. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out[path.slice(dir.length + 1)] = createHash('sha256').update(await fs.readFile(path)).digest('hex')
  }
  return out
}

async function copyOfGolden(): Promise<string> {
  const dir = await fs.mkdtemp(join(work, 'case-'))
  await fs.cp(golden, dir, { recursive: true })
  return dir
}

beforeAll(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'stats2-damage-'))
  golden = join(work, 'golden')
  await writeSession(golden, docs(0, FIRST))
  await writeSession(golden, docs(FIRST, SECOND))
  const files = await fs.readdir(join(golden, 'requests'))
  table = files.find((f) => f.endsWith('.ldb')) ?? ''
  logFile = files.find((f) => f.endsWith('.log')) ?? ''
  manifest = files.find((f) => f.startsWith('MANIFEST-')) ?? ''
  // The preconditions of the damage below: a table, a log with the second session's writes, a MANIFEST.
  expect(table).not.toBe('')
  expect(manifest).not.toBe('')
  expect((await fs.stat(join(golden, 'requests', logFile))).size).toBeGreaterThan(0)
})

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true })
})

interface RepairJson {
  ok: boolean
  lost?: boolean
  checkpointReset?: { was: string | number }
  folders: Array<{
    name: string
    state: string
    problems: string[]
    copiedTo?: string
    docCount?: number
    counterSays?: number
    expected?: number | null
    expectedFrom?: string
    recovered: number
    dropped: { count: number | null; ids: string[]; logRecords: number; tableBlocks: number; tables: string[] }
  }>
}

interface Damage {
  kind: string
  db?: string
  apply(dbDir: string): Promise<void>
  /** What the refusal names. */
  message: RegExp
}

const DAMAGE: Damage[] = [
  { kind: 'CURRENT missing', apply: (d) => fs.rm(join(d, 'CURRENT')), message: /requests: CURRENT is missing, but the folder holds data/ },
  { kind: 'CURRENT missing in settings', db: 'settings', apply: (d) => fs.rm(join(d, 'CURRENT')), message: /settings: CURRENT is missing/ },
  { kind: 'CURRENT garbled', apply: (d) => fs.writeFile(join(d, 'CURRENT'), 'garbage\n'), message: /CURRENT does not name a MANIFEST file/ },
  { kind: 'MANIFEST missing', apply: (d) => fs.rm(join(d, manifest)), message: /MANIFEST-\d+, the MANIFEST that CURRENT names, is missing/ },
  {
    kind: 'MANIFEST with flipped bytes',
    apply: async (d) => {
      const bytes = await fs.readFile(join(d, manifest))
      for (let i = 20; i < 40; i++) bytes[i] = (bytes[i] as number) ^ 0xff
      await fs.writeFile(join(d, manifest), bytes)
    },
    message: /MANIFEST-\d+ is corrupt: checksum mismatch/
  },
  { kind: 'MANIFEST cut short', apply: (d) => fs.truncate(join(d, manifest), 40), message: /MANIFEST-\d+ is corrupt: no meta-/ },
  { kind: 'table missing', apply: (d) => fs.rm(join(d, table)), message: /table \d+\.ldb listed in MANIFEST-\d+ is missing/ },
  { kind: 'table truncated', apply: (d) => fs.truncate(join(d, table), 1000), message: /table \d+\.ldb has 1000 bytes instead of \d+ \(truncated/ },
  { kind: 'log missing', apply: (d) => fs.rm(join(d, logFile)), message: /write-ahead log \d+\.log named in MANIFEST-\d+ is missing/ },
  {
    kind: 'log with flipped bytes',
    apply: async (d) => {
      const bytes = await fs.readFile(join(d, logFile))
      for (let i = 500; i < 520; i++) bytes[i] = (bytes[i] as number) ^ 0xff
      await fs.writeFile(join(d, logFile), bytes)
    },
    message: /write-ahead log \d+\.log is corrupt: checksum mismatch/
  }
]

describe('a damaged database is refused and left untouched', () => {
  for (const damage of DAMAGE) {
    it(`${damage.kind}: stats2 dump and stats2 update exit 1 naming the file; the store API throws StoreDamagedError`, async () => {
      const dataDir = await copyOfGolden()
      await damage.apply(join(dataDir, damage.db ?? 'requests'))
      const before = await tree(dataDir)
      const env = { HOME: work, STATS2_DATA_DIR: dataDir, STATS2_RETRIES: '0' }

      const dump = await runCli(['dump'], env)
      expect(dump.code).toBe(1)
      expect(dump.out).toBe('') // not "[]": nothing was read from a recreated database
      expect(dump.err).toMatch(damage.message)
      expect(dump.err).toContain(`The store in ${dataDir} is damaged; it was not opened and no file was changed`)
      expect(dump.err).toContain('stats2 store repair')

      const update = await runCli(['update'], env)
      expect(update.code).toBe(1)
      expect(update.err).toMatch(damage.message)

      const refused = await startEmbeddedCouch({ dataDir }).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(StoreDamagedError)
      expect((refused as StoreDamagedError).damaged.map((f) => f.name)).toEqual([damage.db ?? 'requests'])
      await expect(CouchStore.open({ dataDir })).rejects.toBeInstanceOf(StoreDamagedError)

      expect(await tree(dataDir)).toEqual(before)
      expect(existsSync(join(dataDir, 'stats2.lock'))).toBe(false)
    })
  }

  it('the real bin as a child process: exit 1, message on stderr, nothing on stdout, bytes unchanged', async () => {
    const dataDir = await copyOfGolden()
    await fs.rm(join(dataDir, 'requests', 'CURRENT'))
    const before = await tree(dataDir)
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'dump'], {
      env: { ...process.env, HOME: work, STATS2_DATA_DIR: dataDir, STATS2_LOG_LEVEL: 'warn', DB_URL: '' },
      encoding: 'utf8',
      timeout: 60_000
    })
    expect(run.status).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('requests: CURRENT is missing')
    expect(await tree(dataDir)).toEqual(before)
  })

  it('still creates what does not exist yet: a new folder, an empty database folder, one with only LOCK and LOG', async () => {
    const dataDir = join(work, 'fresh')
    await fs.mkdir(join(dataDir, 'requests'), { recursive: true })
    await fs.mkdir(join(dataDir, 'settings'), { recursive: true })
    await fs.writeFile(join(dataDir, 'settings', 'LOCK'), '')
    await fs.writeFile(join(dataDir, 'settings', 'LOG'), 'an info log holds no data\n')
    const store = await CouchStore.open({ dataDir })
    try {
      expect(await store.countWorkflows()).toBe(0)
      expect(existsSync(join(dataDir, 'requests', 'CURRENT'))).toBe(true)
    } finally {
      await store.close()
    }
    const again = await runCli(['dump'], { HOME: work, STATS2_DATA_DIR: dataDir })
    expect(again).toMatchObject({ code: 0, out: '[]\n' })
  })
})

describe('stats2 store check and repair', () => {
  const cli = (args: string[], dataDir: string): ReturnType<typeof runCli> => runCli(args, { HOME: work, STATS2_DATA_DIR: dataDir })

  it('check reports ok with document counts, exit 0', async () => {
    const dataDir = await copyOfGolden()
    const before = await tree(dataDir)
    const check = await cli(['store', 'check'], dataDir)
    expect(check.code).toBe(0)
    expect(check.out).toContain(`Store in ${dataDir}:`)
    // 200 workflows and the two design documents the store keeps in requests.
    expect(check.out).toContain(`  requests: ok, ${FIRST + SECOND + 2} documents\n`)
    expect(check.out).toMatch(/ {2}settings: ok, \d+ documents?\n/)
    expect(check.out).toContain('Everything is readable.')
    const json = JSON.parse((await cli(['store', 'check', '--json'], dataDir)).out) as { ok: boolean; folders: Array<{ name: string; state: string; docCount?: number }> }
    expect(json.ok).toBe(true)
    expect(json.folders.find((f) => f.name === 'requests')).toMatchObject({ state: 'ok', docCount: FIRST + SECOND + 2 })
    // Check opened the databases; their data files are the same (LevelDB may rotate its own log).
    const after = await tree(dataDir)
    for (const [file, hash] of Object.entries(before)) if (/\.ldb$/.test(file)) expect(after[file], file).toBe(hash)
    expect((await cli(['store', 'check'], join(work, 'nothing-here'))).out).toContain('No store in')
  })

  it('CURRENT missing: check exit 1 and changes nothing; repair copies aside, then every document is back', async () => {
    const dataDir = await copyOfGolden()
    const original = await tree(join(golden, 'requests'))
    await fs.rm(join(dataDir, 'requests', 'CURRENT'))
    const damaged = await tree(join(dataDir, 'requests'))

    const check = await cli(['store', 'check'], dataDir)
    expect(check.code).toBe(1)
    expect(check.out).toContain('requests: DAMAGED: CURRENT is missing')
    expect(check.out).toContain('Nothing was changed. Run `stats2 store repair`')
    // The damaged folder is not opened (the healthy ones are, to count their documents).
    expect(await tree(join(dataDir, 'requests'))).toEqual(damaged)

    const repair = await cli(['store', 'repair'], dataDir)
    expect(repair.code).toBe(0)
    const copy = /the damaged folder is kept in (\S+)/.exec(repair.out)?.[1] ?? ''
    expect(copy.startsWith(join(dataDir, COPIES_DIR, 'requests-'))).toBe(true)
    // The copy is byte for byte the damaged folder.
    expect(await tree(copy)).toEqual(damaged)
    expect(Object.keys(original).length).toBeGreaterThan(Object.keys(damaged).length)
    expect(repair.out).toContain('requests: repaired (was: CURRENT is missing')
    // The clean close that wrote the golden store recorded its count; every document is read back.
    expect(repair.out).toContain(`expected ${FIRST + SECOND + 2} documents (store manifest); recovered ${FIRST + SECOND + 2} documents (read back one by one); dropped 0 documents`)
    expect(repair.out).toContain('Repair finished: every database opens and nothing was lost.')

    expect((await cli(['store', 'check'], dataDir)).code).toBe(0)
    const dump = await cli(['dump'], dataDir)
    expect(dump.code).toBe(0)
    const names = (JSON.parse(dump.out) as Array<{ RequestName: string }>).map((d) => d.RequestName).sort()
    expect(names).toEqual(docs(0, FIRST + SECOND).map((d) => d.RequestName as string).sort())
  })

  it('a truncated table: repair keeps the copy, says expected/recovered/dropped and exits 1', async () => {
    const dataDir = await copyOfGolden()
    await fs.truncate(join(dataDir, 'requests', table), 1000)
    const damaged = await tree(join(dataDir, 'requests'))
    const repair = await cli(['store', 'repair', '--json'], dataDir)
    // Documents were lost: not a success.
    expect(repair.code).toBe(1)
    const report = JSON.parse(repair.out) as RepairJson
    expect(report.lost).toBe(true)
    const requests = report.folders.find((f) => f.name === 'requests')!
    expect(requests.state).toBe('ok')
    expect(await tree(requests.copiedTo!)).toEqual(damaged)
    // The table held the first session's documents: only the log's (second session) survive.
    expect(requests.expected).toBe(FIRST + SECOND + 2)
    expect(requests.expectedFrom).toBe('store manifest')
    expect(requests.recovered).toBeLessThan(FIRST + SECOND + 2)
    expect(requests.docCount).toBe(requests.recovered)
    expect(requests.dropped.count).toBe(FIRST + SECOND + 2 - requests.recovered)
    expect(requests.dropped.tables).toEqual([table])
    // PouchDB's counter now says what can be read.
    expect(requests.counterSays).toBeUndefined()
    const dump = await cli(['dump'], dataDir)
    expect(dump.code).toBe(0)
    // Recovered counts documents actually read: the workflows dumped (plus the design documents, if any survived).
    const dumped = (JSON.parse(dump.out) as unknown[]).length
    expect(dumped).toBeGreaterThanOrEqual(requests.recovered - 2)
    expect(dumped).toBeLessThanOrEqual(requests.recovered)
    expect(dumped).toBe(SECOND)
  })

  it('a damaged view index is moved aside at start (never deleted) and rebuilt', async () => {
    const dataDir = await copyOfGolden()
    const store = await CouchStore.open({ dataDir })
    try {
      expect((await new (await import('../../src/main/search/search')).WorkflowSearch(store).search({ text: 'p3', field: 'any', page: 0 })).total).toBeGreaterThan(0)
    } finally {
      await store.close()
    }
    const index = (await fs.readdir(dataDir)).find((name) => name.startsWith('requests-mrview-'))!
    expect(index).toBeDefined()
    await fs.rm(join(dataDir, index, 'CURRENT'))
    await fs.writeFile(join(dataDir, index, 'CURRENT'), 'nonsense')
    const damagedIndex = await tree(join(dataDir, index))
    const search = await cli(['search', 'p3'], dataDir)
    expect(search.code).toBe(0)
    expect((JSON.parse(search.out) as unknown[]).length).toBe(docs(0, FIRST + SECOND).filter((d) => d.PrepID === 'p3').length)
    const moved = (await fs.readdir(join(dataDir, COPIES_DIR))).find((name) => name.startsWith(index))!
    expect(await tree(join(dataDir, COPIES_DIR, moved))).toEqual(damagedIndex)
  })
})
