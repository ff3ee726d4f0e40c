/**
 * The embedded server's native view index (src/store-server/native-view-index.ts) against PouchDB's
 * own index: two real servers on LevelDB folders, one with the native index and one with
 * `viewIndex: 'pouchdb'`, holding the same documents (same revisions), asked the same view queries
 * over HTTP; every answer (status and body, byte for byte) must be the same — through inserts,
 * updates, deletions, conflicts, documents that stop emitting, keys of every JSON type and a design
 * document change. Then: the index is reused after a restart, `_view_cleanup` removes the folders
 * of views no longer defined (and nothing else), a damaged index folder is set aside and rebuilt,
 * and concurrent queries share one build.
 */
import { existsSync, promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import PouchDBCore from 'pouchdb-core'
import LevelAdapter from 'pouchdb-adapter-leveldb'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmbeddedCouch, type EmbeddedCouch, type EmbeddedCouchOptions } from '../../src/store-server/embedded-couch'
import { searchDesignDoc } from '../../src/main/store/design-docs'
import { SandboxedMapReduce } from '../../src/store-server/sandboxed-mapreduce'
import { NATIVE_BATCH, NATIVE_INFIX } from '../../src/store-server/native-view-index'
import { COPIES_DIR } from '../../src/store-server/check/damage'
import { collation } from '../../src/store-server/one-pass-index'

type AnyDoc = Record<string, unknown>

const tempDirs: string[] = []
const servers: EmbeddedCouch[] = []

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'stats2-native-view-'))
  tempDirs.push(dir)
  return dir
}

async function start(options: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  const couch = await startEmbeddedCouch(options)
  servers.push(couch)
  return couch
}

afterEach(async () => {
  for (const couch of servers.splice(0)) await couch.close()
  for (const dir of tempDirs.splice(0)) await fs.rm(dir, { recursive: true, force: true })
})

interface Answer {
  status: number
  text: string
}

async function call(couch: EmbeddedCouch, path: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> {
  const response = await fetch(`${couch.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: couch.authHeader, 'Content-Type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body)
  })
  return { status: response.status, text: await response.text() }
}

async function ok(couch: EmbeddedCouch, path: string, init: { method?: string; body?: unknown } = {}): Promise<AnyDoc> {
  const answer = await call(couch, path, init)
  if (answer.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${answer.status} ${answer.text}`)
  return JSON.parse(answer.text) as AnyDoc
}

// ---------------------------------------------------------------------------------------------
// A store of every shape: keys of every JSON type, duplicates, values of every kind

/** Deterministic pseudo-random numbers (the same store and queries on every run). */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

const MIXED_DDOC = {
  _id: '_design/mixed',
  language: 'javascript',
  views: {
    // Keys of every JSON type (numbers, strings, arrays, objects, null, booleans), repeated keys in a doc.
    byKey: { map: 'function (doc) { if (doc.keys) { for (var i = 0; i < doc.keys.length; i++) emit(doc.keys[i], doc.n); } }' },
    // No value (null), a value joining another document, PouchDB\'s old {id, key, value} rows, whole-document reads.
    values: {
      map: `function (doc) {
  if (doc.type === 'item') {
    emit([doc.group, doc.n], null);
    if (doc.n % 5 === 0) emit(doc.group, { _id: doc.link });
    if (doc.n % 7 === 0) emit('old-format', { id: 'x', key: doc.n, value: doc.group });
    emit(JSON.stringify(doc).length % 3);
  }
}`
    },
    // A document that stops emitting when `gone` is set; a map that throws for some documents.
    partial: { map: 'function (doc) { if (!doc.gone && doc.n !== undefined) { if (doc.n % 11 === 3) throw new Error("map exploded"); emit(doc.n % 13, doc._id); } }' },
    // Reduce views stay with PouchDB's path on both servers.
    counted: { map: 'function (doc) { if (doc.group) emit(doc.group, 1); }', reduce: '_count' }
  }
}

const GROUPS = ['alpha', 'Beta', 'beta', 'gamma', 'ä-umlaut', '', '10', 'Zulu']

function keyPool(random: () => number): unknown[] {
  const pool: unknown[] = [null, true, false, 0, -1, 1, 1.5, 2, 10, 1e21, -3.25, 'a', 'A', 'b', 'alpha', 'beta', '', ' ', 'é', '10', '9',
    [], [1], [1, 2], ['a', 1], ['a', [2]], {}, { a: 1 }, { a: 2 }, { b: 1, a: 1 }]
  return pool.filter(() => random() < 0.9)
}

function itemDoc(i: number, version: number, random: () => number): AnyDoc {
  const pool = keyPool(random)
  const keys = Array.from({ length: Math.floor(random() * 4) }, () => pool[Math.floor(random() * pool.length)])
  if (i % 9 === 0 && keys.length > 0) keys.push(keys[0]) // the same key twice from one document
  const doc: AnyDoc = {
    _id: `item-${String(i).padStart(4, '0')}`,
    type: 'item',
    n: i + version * 1000,
    group: GROUPS[(i + version) % GROUPS.length],
    link: `item-${String((i * 7) % 50).padStart(4, '0')}`,
    keys
  }
  if (i % 4 === 0) {
    Object.assign(doc, {
      RequestName: doc._id, PrepID: `PREP-${i % 17}`, Campaigns: [`C${(i + version) % 5}`, `C${(i + version) % 5}`],
      Requests: [`R-${i % 6}`], OutputDatasets: Array.from({ length: (i + version) % 3 }, (_, k) => `/P${i % 8}/E-v${version}/T${k}`),
      InputDataset: i % 3 === 0 ? '' : `/In${i % 5}/E/GEN`, ProcessingString: `PS_${i % 4}`, RequestType: ['TaskChain', 'ReReco'][i % 2]
    })
  }
  return doc
}

function rev(generation: number, doc: AnyDoc, salt = ''): string {
  let hash = 0
  for (const ch of JSON.stringify(doc) + salt) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0
  return `${generation}-${hash.toString(16).padStart(8, '0')}${'0'.repeat(24)}`
}

/** Writes with explicit revisions (new_edits=false): both servers hold exactly the same revisions. */
async function writeBoth(couches: EmbeddedCouch[], docs: AnyDoc[]): Promise<void> {
  for (const couch of couches) {
    for (let i = 0; i < docs.length; i += 200) await ok(couch, '/diff/_bulk_docs', { method: 'POST', body: { docs: docs.slice(i, i + 200), new_edits: false } })
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

/** The doc ids of a view's rows with `key`, sorted. */
function idsWithKey(rows: ReadonlyArray<{ key: unknown; id: string }>, key: unknown): string[] {
  return [...new Set(rows.filter((row) => collation.collate(row.key, key) === 0).map((row) => row.id))].sort()
}

type Params = Record<string, unknown>

const VIEWS = ['mixed/byKey', 'mixed/values', 'mixed/partial', '_designDoc/campaigns', '_designDoc/outputDatasets', '_designDoc/prepids']

function queryPath(view: string, params: Params): string {
  const [ddoc, name] = view.split('/')
  const qs = Object.entries(params).map(([key, value]) => `${key}=${encodeURIComponent(typeof value === 'string' && key.startsWith('raw:') ? value : JSON.stringify(value))}`)
  return `/diff/_design/${ddoc}/_view/${name}${qs.length ? `?${qs.join('&').replace(/raw:/g, '')}` : ''}`
}

/** Fixed cases: each parameter alone and the combinations whose meaning interacts, and bad ones. */
function fixedCases(): Array<{ view: string; params: Params; body?: Params }> {
  const cases: Array<{ view: string; params: Params; body?: Params }> = []
  for (const view of VIEWS) {
    cases.push({ view, params: {} })
    cases.push({ view, params: { descending: true } })
    cases.push({ view, params: { limit: 3 } }, { view, params: { limit: 0 } }, { view, params: { skip: 4 } }, { view, params: { skip: 4, limit: 2, descending: true } })
    cases.push({ view, params: { skip: 100000 } })
    cases.push({ view, params: { include_docs: true, limit: 20 } }, { view, params: { include_docs: true, conflicts: true, limit: 30, skip: 2 } })
    cases.push({ view, params: { update_seq: true, limit: 1 } })
  }
  const ranged = ['mixed/byKey', 'mixed/partial', '_designDoc/campaigns']
  const bounds: unknown[] = [null, false, 1, 1.5, 'a', 'alpha', 'b', '', ['a'], ['a', 1], {}, 'C2', 'C9', 3, 12]
  for (const view of ranged) {
    for (const key of bounds) cases.push({ view, params: { key } }, { view, params: { key, descending: true } })
    for (let i = 0; i < bounds.length; i++) {
      const start = bounds[i]
      const end = bounds[(i + 3) % bounds.length]
      for (const descending of [false, true]) {
        for (const inclusive of [true, false]) {
          cases.push({ view, params: { startkey: start, endkey: end, descending, inclusive_end: inclusive } })
          cases.push({ view, params: { start_key: end, end_key: start, descending, inclusive_end: inclusive, limit: 4 } })
        }
      }
      cases.push({ view, params: { startkey: start } }, { view, params: { endkey: start, inclusive_end: false } }, { view, params: { endkey: start, descending: true } })
      // Doc id bounds without the keys they belong to: ignored by CouchDB and PouchDB alike (with them: the test below).
      cases.push({ view, params: { startkey_docid: 'item-0010', endkey_docid: 'item-0002' } }, { view, params: { endkey: start, startkey_docid: 'item-0010' } })
      cases.push({ view, params: { key: start, startkey: end } }, { view, params: { startkey: start, start_key: end, endkey: end } })
    }
    cases.push({ view, params: { keys: [1, 'a', 'alpha', null, 'missing', 1, ['a', 1], {}] } })
    cases.push({ view, params: {}, body: { keys: [1, 'a', 'alpha', null, 'missing', 1, ['a', 1], {}] } })
    cases.push({ view, params: { limit: 3, skip: 1 }, body: { keys: ['a', 1, 'C1', 'C2', 3] } })
    cases.push({ view, params: { descending: true, include_docs: true }, body: { keys: ['C3', 'a', 2, 'C3'] } })
    cases.push({ view, params: { keys: [] } }, { view, params: {}, body: { keys: [] } }, { view, params: { keys: [], limit: 2, startkey: 'b' } })
    cases.push({ view, params: { keys: ['a'], key: 'b' } }, { view, params: { key: 'a', inclusive_end: false } })
  }
  // What PouchDB's path answers for bad or odd parameters (errors included) must not change.
  const view = 'mixed/byKey'
  cases.push({ view, params: { startkey: 'b', endkey: 'a' } }, { view, params: { startkey: 'a', endkey: 'b', descending: true } })
  cases.push({ view, params: { limit: -1 } }, { view, params: { skip: -2 } }, { view, params: { 'raw:limit': 'abc' } }, { view, params: { limit: 1.5 } }, { view, params: { 'raw:skip': '2' } })
  cases.push({ view, params: { 'raw:key': 'not-json' } }, { view, params: { 'raw:startkey': 'alpha' } }, { view, params: { 'raw:descending': 'yes' } })
  cases.push({ view, params: { inclusive_end: 'false', endkey: 'b' } }, { view, params: { keys: 'alpha' } }, { view, params: { keys: 5 } }, { view, params: {}, body: { keys: null } })
  cases.push({ view: 'mixed/missing', params: {} }, { view: 'nothing/byKey', params: {} }, { view: 'mixed/toString', params: {} })
  cases.push({ view: 'mixed/counted', params: {} }, { view: 'mixed/counted', params: { reduce: false, limit: 5 } }, { view: 'mixed/counted', params: { group: true } })
  cases.push({ view: 'mixed/counted', params: { include_docs: true } }, { view, params: { reduce: false, group: true } }, { view, params: { include_docs: true, reduce: true, limit: 1 } })
  return cases
}

/** Seeded random combinations of the view parameters. */
function randomCases(count: number, seed: number): Array<{ view: string; params: Params; body?: Params }> {
  const random = prng(seed)
  const pick = <T,>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!
  const keys = keyPool(prng(seed + 1)).concat(['C1', 'C4', 'alpha', 3, 7, ['alpha', 1005], 'old-format', 0, 2])
  const cases: Array<{ view: string; params: Params; body?: Params }> = []
  for (let i = 0; i < count; i++) {
    const params: Params = {}
    const use = (name: string, chance: number, value: () => unknown): void => {
      if (random() < chance) params[name] = value()
    }
    use('key', 0.15, () => pick(keys))
    use(pick(['startkey', 'start_key']), 0.35, () => pick(keys))
    use(pick(['endkey', 'end_key']), 0.35, () => pick(keys))
    use('inclusive_end', 0.3, () => random() < 0.5)
    use('descending', 0.4, () => random() < 0.7)
    use('limit', 0.4, () => Math.floor(random() * 12))
    use('skip', 0.3, () => Math.floor(random() * 8))
    use('include_docs', 0.2, () => true)
    use('update_seq', 0.1, () => true)
    const view = pick(VIEWS)
    if (random() < 0.12) cases.push({ view, params, body: { keys: Array.from({ length: Math.floor(random() * 5) }, () => pick(keys)) } })
    else cases.push({ view, params })
  }
  return cases
}

async function compareAll(native: EmbeddedCouch, pouch: EmbeddedCouch, cases: Array<{ view: string; params: Params; body?: Params }>): Promise<number> {
  let rows = 0
  const differences: string[] = []
  for (const { view, params, body } of cases) {
    const path = queryPath(view, params)
    const init = body ? { method: 'POST', body } : {}
    const [mine, theirs] = [await call(native, path, init), await call(pouch, path, init)]
    if (mine.status !== theirs.status || mine.text !== theirs.text) {
      differences.push(`${body ? `POST ${JSON.stringify(body)} ` : ''}${path}\n  native ${mine.status} ${mine.text.slice(0, 400)}\n  pouchdb ${theirs.status} ${theirs.text.slice(0, 400)}`)
    } else if (mine.status === 200) {
      rows += ((JSON.parse(mine.text) as { rows?: unknown[] }).rows ?? []).length
    }
  }
  expect(differences.slice(0, 5).join('\n'), `${differences.length} of ${cases.length} answers differ`).toBe('')
  return rows
}

async function pair(): Promise<[EmbeddedCouch, EmbeddedCouch]> {
  const native = await start({ dataDir: await tempDir() })
  const pouch = await start({ dataDir: await tempDir(), viewIndex: 'pouchdb' })
  for (const couch of [native, pouch]) {
    await ok(couch, '/diff', { method: 'PUT' })
    await ok(couch, '/diff/_design/mixed', { method: 'PUT', body: MIXED_DDOC })
    await ok(couch, '/diff/_design/_designDoc', { method: 'PUT', body: searchDesignDoc() })
  }
  return [native, pouch]
}

const nativeFolders = async (dataDir: string): Promise<string[]> => (await fs.readdir(dataDir)).filter((name) => name.includes(NATIVE_INFIX)).sort()

describe('native view index', () => {
  it('answers every view query exactly as PouchDB does, through inserts, updates, deletions and a design-document change', async () => {
    const [native, pouch] = await pair()
    // Before any build: `stale=ok` answers an empty view on both.
    await compareAll(native, pouch, [{ view: 'mixed/byKey', params: { stale: 'ok' } }, { view: 'mixed/byKey', params: { update: false, update_seq: true } }])

    const random = prng(42)
    const docs = Array.from({ length: 700 }, (_, i) => itemDoc(i, 0, random))
    const first: AnyDoc[] = docs.map((doc) => ({ ...doc, _rev: rev(1, doc) }))
    await writeBoth([native, pouch], first)
    const cases = [...fixedCases(), ...randomCases(400, 7)]
    expect(await compareAll(native, pouch, cases)).toBeGreaterThan(5000)

    // Updates with other keys, documents that stop emitting, deletions, conflicts, new documents.
    const changed: AnyDoc[] = []
    first.forEach((doc, i) => {
      if (i % 3 === 0) {
        const next = { ...itemDoc(i, 1, random), _id: doc._id }
        if (i % 6 === 0) Object.assign(next, { gone: true, keys: [], type: 'retired' })
        changed.push({ ...next, _rev: rev(2, next), _revisions: { start: 2, ids: [rev(2, next).slice(2), (doc._rev as string).slice(2)] } })
      } else if (i % 5 === 1) {
        changed.push({ _id: doc._id, _deleted: true, _rev: rev(2, doc, 'deleted'), _revisions: { start: 2, ids: [rev(2, doc, 'deleted').slice(2), (doc._rev as string).slice(2)] } })
      } else if (i % 23 === 2) {
        // A conflicting first revision: the winner is chosen by PouchDB, `conflicts` lists the other.
        const other = { ...itemDoc(i, 2, random), _id: doc._id }
        changed.push({ ...other, _rev: rev(1, other, 'conflict') })
      }
    })
    for (let i = 700; i < 900; i++) {
      const doc = itemDoc(i, 0, random)
      changed.push({ ...doc, _rev: rev(1, doc) })
    }
    await writeBoth([native, pouch], changed)
    expect(await compareAll(native, pouch, [...fixedCases(), ...randomCases(300, 8)])).toBeGreaterThan(5000)
    // Once both are up to date, the parameters that skip or defer the update answer the same too.
    await compareAll(native, pouch, [
      { view: 'mixed/byKey', params: { stale: 'ok', limit: 50 } }, { view: 'mixed/byKey', params: { update: false, descending: true } },
      { view: 'mixed/values', params: { stale: 'update_after', update_seq: true } }, { view: 'mixed/values', params: { update: 'lazy', limit: 9 } },
      { view: 'mixed/partial', params: { update: true, skip: 3 } }
    ])

    // A changed design document: a new index, answers as PouchDB's new one.
    for (const couch of [native, pouch]) {
      const ddoc = await ok(couch, '/diff/_design/mixed')
      const views = ddoc.views as Record<string, { map: string }>
      views.byKey = { map: 'function (doc) { if (doc.keys && doc.keys.length > 1) emit(doc.keys[1], doc.group); }' }
      await ok(couch, '/diff/_design/mixed', { method: 'PUT', body: ddoc })
    }
    await compareAll(native, pouch, [...fixedCases().filter((c) => c.view.startsWith('mixed/')), ...randomCases(150, 9)])
  }, 300_000)

  it('bounds a range by (key, doc id) with startkey_docid and endkey_docid, as CouchDB documents (PouchDB ignores them)', async () => {
    const couch = await start({ dataDir: await tempDir() })
    await ok(couch, '/requests', { method: 'PUT' })
    await ok(couch, '/requests/_design/mixed', { method: 'PUT', body: MIXED_DDOC })
    const random = prng(21)
    await ok(couch, '/requests/_bulk_docs', { method: 'POST', body: { docs: Array.from({ length: 120 }, (_, i) => itemDoc(i, 0, random)) } })
    type ViewRow = { key: unknown; id: string }
    const all = (await ok(couch, '/requests/_design/mixed/_view/byKey')).rows as ViewRow[]
    // CouchDB's order: key by collation, then doc id.
    const compare = (row: ViewRow, key: unknown, id: string): number => collation.collate(row.key, key) || (row.id < id ? -1 : row.id > id ? 1 : 0)
    const keysWithSeveralDocs = [...new Set(all.map((row) => JSON.stringify(row.key)))]
      .map((text) => JSON.parse(text) as unknown)
      .filter((key) => idsWithKey(all, key).length >= 3)
    expect(keysWithSeveralDocs.length).toBeGreaterThan(3)
    let checked = 0
    for (let k = 0; k < keysWithSeveralDocs.length; k++) {
      const startkey = keysWithSeveralDocs[k]
      const endkey = keysWithSeveralDocs[(k + 2) % keysWithSeveralDocs.length]
      for (const descending of [false, true]) {
        const [low, high] = collation.collate(startkey, endkey) <= 0 ? [startkey, endkey] : [endkey, startkey]
        const [from, to] = descending ? [high, low] : [low, high]
        const startDocId = idsWithKey(all, from)[1]!
        const endDocId = idsWithKey(all, to)[1]!
        for (const inclusive of [true, false]) {
          const params: Params = { startkey: from, endkey: to, descending, inclusive_end: inclusive, 'raw:startkey_docid': startDocId, 'raw:endkey_docid': endDocId }
          const answer = (await ok(couch, queryPath('mixed/byKey', params).replace('/diff/', '/requests/'))).rows as ViewRow[]
          const ordered = descending ? [...all].reverse() : all
          const expected = ordered.filter((row) => {
            const fromStart = compare(row, from, startDocId) * (descending ? -1 : 1)
            const fromEnd = compare(row, to, endDocId) * (descending ? -1 : 1)
            return fromStart >= 0 && (inclusive ? fromEnd <= 0 : fromEnd < 0)
          })
          expect(answer.map((row) => [row.key, row.id]), JSON.stringify(params)).toEqual(expected.map((row) => [row.key, row.id]))
          // The doc id bounds matter here: without them the answer would hold more rows.
          expect(answer.length).toBeLessThan(ordered.filter((row) => {
            const a = collation.collate(row.key, from) * (descending ? -1 : 1)
            const b = collation.collate(row.key, to) * (descending ? -1 : 1)
            return a >= 0 && b <= 0
          }).length)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(12)
    // Aliases, and a doc id bound whose key is missing is ignored.
    const first = keysWithSeveralDocs[0]
    const second = idsWithKey(all, first)[1]!
    const viaAlias = (await ok(couch, queryPath('mixed/byKey', { start_key: first, 'raw:start_key_doc_id': second }).replace('/diff/', '/requests/'))).rows as ViewRow[]
    expect(viaAlias[0]).toMatchObject({ id: second })
    const ignored = (await ok(couch, queryPath('mixed/byKey', { 'raw:startkey_docid': second }).replace('/diff/', '/requests/'))).rows as ViewRow[]
    expect(ignored).toHaveLength(all.length)
  }, 120_000)

  it('keeps the index across a restart (reused, not rebuilt) and removes only unused index folders on _view_cleanup', async () => {
    const dataDir = await tempDir()
    let couch = await start({ dataDir })
    await ok(couch, '/requests', { method: 'PUT' })
    await ok(couch, '/requests/_design/mixed', { method: 'PUT', body: MIXED_DDOC })
    const random = prng(3)
    const docs = Array.from({ length: 300 }, (_, i) => itemDoc(i, 0, random))
    await ok(couch, '/requests/_bulk_docs', { method: 'POST', body: { docs } })
    const built = await ok(couch, '/requests/_design/mixed/_view/byKey?update_seq=true')
    expect((built.rows as unknown[]).length).toBeGreaterThan(200)
    expect(await nativeFolders(dataDir)).toHaveLength(1)
    await couch.close()

    couch = await start({ dataDir })
    // `stale=ok` answers from the index as it is: the whole view, so it was kept, not rebuilt.
    expect(await ok(couch, '/requests/_design/mixed/_view/byKey?stale=ok&update_seq=true')).toEqual(built)
    expect(await ok(couch, '/requests/_design/mixed/_view/byKey?update_seq=true')).toEqual(built)

    // A second design document and a changed one: three index folders, one of them unused.
    await ok(couch, '/requests/_design/_designDoc', { method: 'PUT', body: searchDesignDoc() })
    await ok(couch, '/requests/_design/_designDoc/_view/campaigns?limit=0')
    const before = await nativeFolders(dataDir)
    const ddoc = await ok(couch, '/requests/_design/mixed')
    ;(ddoc.views as Record<string, { map: string }>).partial = { map: 'function (doc) { emit(doc._id, null); }' }
    await ok(couch, '/requests/_design/mixed', { method: 'PUT', body: ddoc })
    const changed = await ok(couch, '/requests/_design/mixed/_view/partial?limit=3')
    expect(changed.total_rows).toBe(300) // every document but the design documents
    const all = await nativeFolders(dataDir)
    expect(all).toHaveLength(3)
    const docCount = (await ok(couch, '/requests')).doc_count as number

    expect((await call(couch, '/requests/_view_cleanup', { method: 'POST', body: {} })).status).toBe(200)
    const after = await nativeFolders(dataDir)
    expect(after).toHaveLength(2)
    const removed = all.filter((name) => !after.includes(name))
    expect(removed).toHaveLength(1)
    expect(before).toContain(removed[0])
    expect((await ok(couch, '/requests')).doc_count).toBe(docCount)
    expect(await ok(couch, '/requests/_design/mixed/_view/partial?limit=3')).toEqual(changed)

    // A deleted design document: its index goes too; the databases' own folders stay.
    const search = await ok(couch, '/requests/_design/_designDoc')
    await ok(couch, `/requests/_design/_designDoc?rev=${String(search._rev)}`, { method: 'DELETE' })
    await ok(couch, '/requests/_view_cleanup', { method: 'POST', body: {} })
    expect(await nativeFolders(dataDir)).toHaveLength(1)
    expect(existsSync(join(dataDir, 'requests', 'CURRENT'))).toBe(true)
    expect((await ok(couch, '/requests')).doc_count).toBe(docCount - 1)
  }, 120_000)

  it('sets a damaged index folder aside and builds it again, never touching the documents', async () => {
    const dataDir = await tempDir()
    let couch = await start({ dataDir })
    await ok(couch, '/requests', { method: 'PUT' })
    await ok(couch, '/requests/_design/mixed', { method: 'PUT', body: MIXED_DDOC })
    const random = prng(5)
    await ok(couch, '/requests/_bulk_docs', { method: 'POST', body: { docs: Array.from({ length: 200 }, (_, i) => itemDoc(i, 0, random)) } })
    const built = await ok(couch, '/requests/_design/mixed/_view/byKey')
    await couch.close()
    const [folder] = await nativeFolders(dataDir)
    await fs.rm(join(dataDir, folder!, 'CURRENT'))

    couch = await start({ dataDir })
    expect(await ok(couch, '/requests/_design/mixed/_view/byKey')).toEqual(built)
    const copies = await fs.readdir(join(dataDir, COPIES_DIR))
    expect(copies.some((name) => name.startsWith(folder!))).toBe(true)
    expect((await ok(couch, '/requests')).doc_count).toBe(201)
  }, 120_000)

  it('makes concurrent queries wait for one shared build', async () => {
    const dir = await tempDir()
    const Pouch = (PouchDBCore as { plugin(p: unknown): { plugin(p: unknown): { defaults(o: AnyDoc): new (name: string) => AnyDoc } } })
      .plugin(LevelAdapter).plugin(SandboxedMapReduce).defaults({ prefix: dir + '/', adapter: 'leveldb' })
    const db = new Pouch('shared') as unknown as {
      put(doc: AnyDoc): Promise<unknown>
      bulkDocs(docs: AnyDoc[]): Promise<unknown>
      changes(options: AnyDoc): Promise<unknown>
      query(fun: string, options: AnyDoc): Promise<{ total_rows: number; rows: unknown[] }>
      close(): Promise<void>
    }
    try {
      await db.put(MIXED_DDOC)
      const random = prng(9)
      await db.bulkDocs(Array.from({ length: NATIVE_BATCH * 2 + 10 }, (_, i) => itemDoc(i, 0, random)))
      let feedReads = 0
      const changes = db.changes.bind(db)
      db.changes = (options: AnyDoc) => {
        feedReads++
        return changes(options)
      }
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => db.query(i % 2 ? 'mixed/byKey' : 'mixed/values', { limit: 5 })))
      // One build reads the feed in three pages (two full, one short), and the queries that came
      // while it ran share one more update after it (a single empty read): six builds would read it eighteen times.
      expect(feedReads).toBeGreaterThanOrEqual(3)
      expect(feedReads).toBeLessThanOrEqual(4)
      expect(answers[0]!.total_rows).toBe(answers[2]!.total_rows)
      expect(answers[0]!.rows).toHaveLength(5)
    } finally {
      await db.close()
    }
  }, 120_000)
})
