/**
 * Backups: `stats2 dump --backup` then `stats2 load` into a fresh store gives the same store, byte
 * for byte in the next backup and document for document through the store API — both databases,
 * the checkpoint and retry list of `all_settings` and the design documents included. Loading never
 * deletes, reports documents that differ (overwritten only with --replace), refuses a damaged file
 * before writing anything, and reads old `stats2 dump` output. Real simulator, real embedded store.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import { CouchStore } from '../../src/main/store/couch-store'
import { CONFORMANCE_DIR } from '../helpers/paths'
import { runCli, simulatorEnv } from '../helpers/cli'

const SCENARIO = join(CONFORMANCE_DIR, 'stats2-public')
const MISSING = 'pdmvserv_Run2099A_not_in_reqmgr2_990101_000000_0000'
let work: string
let sim: Simulator
let env: Record<string, string>
let backup: string

const storeEnv = (name: string): Record<string, string> => ({ ...env, STATS2_DATA_DIR: join(work, name) })

/** Every document of both databases without `_rev`, through the store API. */
async function contents(dataDir: string): Promise<Record<string, unknown[]>> {
  const store = await CouchStore.open({ dataDir })
  try {
    const out: Record<string, unknown[]> = {}
    for (const db of ['requests', 'settings']) {
      out[db] = []
      for await (const page of store.allDocuments(db)) for (const { _rev: _r, ...doc } of page) out[db]!.push(doc)
    }
    return out
  } finally {
    await store.close()
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-backup-'))
  sim = await startSimulator({ scenario: await loadScenario(SCENARIO), tlsDir: join(work, 'tls') })
  env = { ...simulatorEnv(sim, work), STATS2_RETRIES: '0' }
  expect((await runCli(['update'], storeEnv('source'))).code).toBe(0)
  sim.advance()
  expect((await runCli(['update'], storeEnv('source'))).code).toBe(0)
  // A workflow ReqMgr2 does not know: on the retry list with its reason.
  expect((await runCli(['update', '--name', MISSING], storeEnv('source'))).code).toBe(0)
  const dumped = await runCli(['dump', '--backup'], storeEnv('source'))
  expect(dumped.code).toBe(0)
  backup = join(work, 'backup.ndjson')
  await writeFile(backup, dumped.out)
}, 120_000)

afterAll(async () => {
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

describe('dump --backup → load → dump --backup', () => {
  it('is lossless: byte-identical backups and equal documents in both databases', async () => {
    const text = await readFile(backup, 'utf8')
    const lines = text.trimEnd().split('\n')
    expect(JSON.parse(lines[0]!)).toEqual({ stats2_backup: 1, databases: ['requests', 'settings'] })
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: { requests: 16 + 2, settings: 2 } })
    expect(text).not.toContain('"_rev"')
    const settings = lines.map((line) => JSON.parse(line) as { db?: string; doc?: Record<string, unknown> }).find((line) => line.doc?._id === 'all_settings')!.doc!
    expect(settings.failed_workflows).toEqual([MISSING])
    expect(settings.failed_reasons).toHaveProperty(MISSING)
    expect(settings.last_reqmgr_sequence).toBeDefined()

    const load = await runCli(['load', backup], storeEnv('restored'))
    expect(load.err).toMatch(/read 20 documents \(18 requests, 2 settings\): 17 written, 0 replaced, 3 unchanged, 0 differ/)
    expect(load.code).toBe(0)

    const again = await runCli(['dump', '--backup'], storeEnv('restored'))
    expect(again.code).toBe(0)
    expect(again.out).toBe(text)
    expect(await contents(join(work, 'restored'))).toEqual(await contents(join(work, 'source')))

    // Loading the same backup again changes nothing.
    const twice = await runCli(['load', backup], storeEnv('restored'))
    expect(twice.code).toBe(0)
    expect(twice.err).toContain('0 written, 0 replaced, 20 unchanged')
  })

  it('never overwrites a stored document that differs unless --replace, and never deletes', async () => {
    const dir = join(work, 'edited')
    expect((await runCli(['load', backup], storeEnv('edited'))).code).toBe(0)
    const name = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'
    const store = await CouchStore.open({ dataDir: dir })
    try {
      const doc = (await store.getWorkflow(name))!
      await store.saveWorkflow({ ...doc, TotalEvents: 1 })
      await store.saveWorkflow({ ...doc, _id: 'pdmvserv_only_here_230101_000000_0001', RequestName: 'pdmvserv_only_here_230101_000000_0001', _rev: undefined })
    } finally {
      await store.close()
    }
    const kept = await runCli(['load', backup], storeEnv('edited'))
    expect(kept.code).toBe(1)
    expect(kept.err).toContain(`requests/${name}`)
    expect(kept.err).toContain('--replace')
    expect((JSON.parse((await runCli(['see', name], storeEnv('edited'))).out) as { TotalEvents: number }).TotalEvents).toBe(1)

    const replaced = await runCli(['load', '--replace', backup], storeEnv('edited'))
    expect(replaced.code).toBe(0)
    expect(replaced.err).toContain('1 replaced')
    expect((JSON.parse((await runCli(['see', name], storeEnv('edited'))).out) as { TotalEvents: number }).TotalEvents).toBe(41234)
    expect((await runCli(['see', 'pdmvserv_only_here_230101_000000_0001'], storeEnv('edited'))).code).toBe(0)
  })

  it('refuses a damaged or truncated file before writing anything, and says which line', async () => {
    const lines = (await readFile(backup, 'utf8')).split('\n')
    const damaged = join(work, 'damaged.ndjson')
    await writeFile(damaged, [...lines.slice(0, 5), '{"db":"requests","doc":{"_id":"x"', ...lines.slice(5)].join('\n'))
    const result = await runCli(['load', damaged], storeEnv('damaged'))
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/line 6: not valid JSON/)
    expect(result.err).not.toMatch(/at .*\.ts:\d+/)
    expect((JSON.parse((await runCli(['dump'], storeEnv('damaged'))).out) as unknown[]).length).toBe(0)

    const reserved = join(work, 'reserved.ndjson')
    await writeFile(reserved, [lines[0], '{"db":"requests","doc":{"_id":"_changes"}}', ''].join('\n'))
    const bad = await runCli(['load', reserved], storeEnv('damaged'))
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/line 2: .*reserves names starting with "_"/)

    const truncated = join(work, 'truncated.ndjson')
    await writeFile(truncated, lines.slice(0, 4).join('\n') + '\n')
    const partial = await runCli(['load', truncated], storeEnv('truncated'))
    expect(partial.code).toBe(1)
    expect(partial.err).toContain('may be truncated')

    const notBackup = join(work, 'other.json')
    await writeFile(notBackup, '{"hello": "world"}\n')
    expect((await runCli(['load', notBackup], storeEnv('damaged'))).err).toMatch(/not a Stats2 backup/)
  })

  it('refuses design documents other than Stats2\'s own unless --allow-design-docs, writing nothing', async () => {
    const lines = (await readFile(backup, 'utf8')).split('\n').filter((line) => line !== '')
    const end = JSON.parse(lines.pop()!) as { end: Record<string, number> }
    const evil = { _id: '_design/evil', views: { loop: { map: 'function (doc) { while (true) {} }' } } }
    // The app's own id with one more view is as foreign as any other (--replace would write it).
    const own = lines.map((line) => JSON.parse(line) as { db?: string; doc?: { _id: string; views?: Record<string, unknown> } })
      .find((entry) => entry.db === 'requests' && entry.doc?._id === '_design/_designDoc')!.doc!
    const widened = { ...own, views: { ...own.views, extra: { map: 'function (doc) { emit(1) }' } } }
    const file = join(work, 'foreign.ndjson')
    await writeFile(file, [
      ...lines.filter((line) => !line.includes('"_design/_designDoc"')),
      JSON.stringify({ db: 'requests', doc: widened }),
      JSON.stringify({ db: 'settings', doc: evil }),
      JSON.stringify({ end: { requests: end.end.requests, settings: end.end.settings! + 1 } }),
      ''
    ].join('\n'))
    const refused = await runCli(['load', file], storeEnv('foreign'))
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('requests/_design/_designDoc, settings/_design/evil')
    expect(refused.err).toContain('Nothing was written')
    expect(refused.err).toContain('--allow-design-docs')
    expect((JSON.parse((await runCli(['dump'], storeEnv('foreign'))).out) as unknown[]).length).toBe(0)
    const checked = await runCli(['load', '--dry-run', file], storeEnv('foreign'))
    expect(checked.code).toBe(1)
    expect(checked.err).toContain('settings/_design/evil')

    const allowed = await runCli(['load', '--allow-design-docs', file], storeEnv('foreign-allowed'))
    expect(allowed.err).toMatch(/read \d+ documents/)
    const restored = await contents(join(work, 'foreign-allowed'))
    expect(restored.settings).toContainEqual(evil)
  })

  it('loads the JSON array `stats2 dump` prints into requests', async () => {
    const dumped = await runCli(['dump'], storeEnv('source'))
    const file = join(work, 'dump.json')
    await writeFile(file, dumped.out)
    const load = await runCli(['load', file], storeEnv('from-dump'))
    expect(load.code).toBe(0)
    expect(load.err).toContain('read 16 documents (16 requests, 0 settings): 16 written')
    const restored = JSON.parse((await runCli(['dump'], storeEnv('from-dump'))).out) as Array<Record<string, unknown>>
    const original = JSON.parse(dumped.out) as Array<Record<string, unknown>>
    const strip = (docs: Array<Record<string, unknown>>): unknown[] => docs.map(({ _rev: _r, ...doc }) => doc)
    expect(strip(restored)).toEqual(strip(original))
  })
})
