/**
 * `stats2 store check` and `stats2 store repair` on the embedded store's data folder. Both take the
 * folder's lock (a running Stats2 keeps them out).
 *
 * Check opens nothing with LevelDB: it verifies every block of every table and every log record
 * (leveldb-folder.ts) and counts the documents that can really be read (pouch-folder.ts), so it
 * finds flipped bytes and documents whose body is gone, and changes no file.
 *
 * Repair, per damaged database: notes what the folder holds (documents, ids), copies the folder
 * aside (timestamped, inside `<dataDir>/_damaged-copies`; never deleted), then in the folder itself
 * keeps only what passes its checksum (log records rewritten without the bad ones; the sound blocks
 * of a damaged table moved into a new log, the table removed), runs LevelDB's own repair (RepairDB
 * rebuilds the MANIFEST from the tables and logs; it verifies no checksum itself, hence the step
 * before), removes the documents whose body did not survive (PouchDB would crash on them) and sets
 * PouchDB's counters right. It reports the documents expected (store manifest, else PouchDB's
 * counter), recovered (counted by reading them) and dropped (ids where known). A database that
 * provably existed but whose folder is gone cannot be recovered: repair records the loss so that
 * the store opens again. When `requests` lost anything, the ReqMgr2 feed checkpoint in `settings`
 * goes back to 0, so that the next `stats2 update` fetches every workflow again.
 */
import { promises as fs } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createLogger } from '../../main/log/logger'
import { timestamp, withLocalDatabase } from '../embedded-couch'
import { acquireStoreLock } from '../store-lock'
import { checkStoreFolders, COPIES_DIR, type FolderCheck } from './damage'
import { checkTable, decodeBatch, encodeBatch, encodeLog, scanLog, tableEntries } from './leveldb-format'
import { visitFolder } from './leveldb-folder'
import { DOC_COUNT_KEY, DOC_PREFIX, readPouchFolder, UPDATE_SEQ_KEY, type PouchFolder } from './pouch-folder'
import { forgetInManifest, type StoreManifest } from './store-manifest'

const log = createLogger('store')

/** Ids listed in a report at most (the count is always complete). */
const MAX_IDS = 200

export interface FolderReport {
  name: string
  kind: FolderCheck['kind']
  database?: string
  /** 'empty': a folder without data (LevelDB would create the database in it). */
  state: 'ok' | 'damaged' | 'empty'
  problems: string[]
  /** Databases that are ok: the documents that can be read (design documents included). */
  docCount?: number
  /** Databases that are ok: PouchDB's stored counter, when it differs from what can be read. */
  counterSays?: number
  /** Repair only: where the damaged folder was copied before anything changed. */
  copiedTo?: string
  /** Repair only: what the repair did. */
  repair?: { ok: boolean; message: string }
  /** Repair of a database: documents expected, where that figure comes from (null: unknown). */
  expected?: number | null
  expectedFrom?: 'store manifest' | "the database's counter"
  /** Repair of a database: documents readable afterwards, counted by reading them. */
  recovered?: number
  /** Repair of a database: what was left out. `count` null when unknown (nothing to compare with). */
  dropped?: { count: number | null; ids: string[]; idsTruncated: boolean; logRecords: number; tableBlocks: number; tables: string[] }
}

export interface StoreReport {
  dataDir: string
  exists: boolean
  folders: FolderReport[]
  /** True when every folder is ok or empty (after a repair: when the repair left nothing damaged). */
  ok: boolean
  /** Repair only: documents or records were lost (repair exits non-zero). */
  lost?: boolean
  /** Repair only: the feed checkpoint moved back to 0 (the next update fetches every workflow). */
  checkpointReset?: { was: string | number }
  /** Why the store manifest could not be used, if it could not. */
  manifestProblem?: string
}

/** The part of leveldown used here. */
interface LevelDown {
  open(options: Record<string, unknown>, callback: (error?: Error | null) => void): void
  batch(ops: Array<{ type: 'put' | 'del'; key: string; value?: string }>, options: Record<string, unknown>, callback: (error?: Error | null) => void): void
  close(callback: (error?: Error | null) => void): void
}
interface LevelDownModule {
  (location: string): LevelDown
  repair(location: string, callback: (error?: Error | null) => void): void
}

/**
 * LevelDB's RepairDB, from the leveldown the PouchDB adapter itself uses (resolved through the
 * adapter, so it is the same native build and LevelDB version that wrote the files).
 */
function levelDown(): LevelDownModule {
  const fromAdapter = createRequire(require.resolve('pouchdb-adapter-leveldb'))
  return fromAdapter('leveldown') as LevelDownModule
}

const call = (run: (done: (error?: Error | null) => void) => void): Promise<void> =>
  new Promise((done, fail) => run((error) => (error ? fail(error) : done())))

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false
  )
}

async function withLock<T>(dataDir: string, run: () => Promise<T>): Promise<T> {
  const lock = await acquireStoreLock(dataDir, log)
  try {
    return await run()
  } finally {
    await lock.release()
  }
}

function brokenProblem(folder: PouchFolder): string[] {
  if (folder.broken.size === 0) return []
  const ids = [...folder.broken.keys()]
  return [`${ids.length} document${ids.length === 1 ? '' : 's'} cannot be read (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}): ${[...new Set(folder.broken.values())][0]}`]
}

async function describe(folder: FolderCheck): Promise<FolderReport> {
  const report: FolderReport = {
    name: folder.name,
    kind: folder.kind,
    database: folder.database,
    state: folder.state === 'new' ? 'empty' : folder.state,
    problems: folder.problems
  }
  if (folder.state === 'ok' && folder.kind === 'database') {
    const documents = await readPouchFolder(folder.path)
    report.docCount = documents.readable.size
    if (documents.counter !== undefined && documents.counter !== documents.readable.size) report.counterSays = documents.counter
    const broken = brokenProblem(documents)
    if (broken.length > 0) {
      report.state = 'damaged'
      report.problems = broken
    }
  }
  return report
}

/** Checks every database and view index of the folder; changes nothing. */
export async function checkStore(dataDir: string): Promise<StoreReport> {
  if (!(await exists(dataDir))) return { dataDir, exists: false, folders: [], ok: true }
  return withLock(dataDir, async () => {
    const { folders: checks, manifestProblem } = await checkStoreFolders(dataDir)
    const folders: FolderReport[] = []
    for (const folder of checks) folders.push(await describe(folder))
    return { dataDir, exists: true, folders, ok: folders.every((f) => f.state !== 'damaged'), ...(manifestProblem ? { manifestProblem } : {}) }
  })
}

// ---------------------------------------------------------------------------------------------
// Repair

/** Ids the database's view index folders know (the native index's back-index: `b<doc id>`). */
async function idsInIndexes(dataDir: string, database: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const entry of await fs.readdir(dataDir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !entry.name.startsWith(`${database}-mrview-native-`)) continue
    await visitFolder(join(dataDir, entry.name), (row) => {
      if (row.type === 1 && row.userKey[0] === 0x62) ids.add(row.userKey.subarray(1).toString('utf8'))
    })
  }
  return ids
}

interface Salvage {
  logRecords: number
  tableBlocks: number
  tables: string[]
}

/**
 * Leaves in the folder only what passes its checksum, for LevelDB's repair (which checks none):
 * logs rewritten without their bad records; a table with bad blocks replaced by a new log holding
 * the entries of its sound blocks (with their sequence numbers); an unreadable table removed.
 * The folder's copy keeps every original byte.
 */
async function keepOnlySound(dir: string): Promise<Salvage> {
  const salvage: Salvage = { logRecords: 0, tableBlocks: 0, tables: [] }
  const names = (await fs.readdir(dir)).sort()
  let nextFile = 1 + Math.max(0, ...names.map((name) => Number(/^(\d+)\./.exec(name)?.[1] ?? /^MANIFEST-(\d+)$/.exec(name)?.[1] ?? 0)))
  const writeAtomically = async (path: string, bytes: Buffer): Promise<void> => {
    await fs.writeFile(`${path}.tmp`, bytes)
    await fs.rename(`${path}.tmp`, path)
  }
  for (const name of names) {
    const path = join(dir, name)
    if (/^\d+\.log$/.test(name)) {
      const scan = scanLog(await fs.readFile(path))
      const sound = scan.records.filter((record) => {
        try {
          decodeBatch(record.data)
          return true
        } catch {
          return false
        }
      })
      const dropped = scan.bad.length + scan.records.length - sound.length
      if (dropped === 0) continue
      salvage.logRecords += dropped
      await writeAtomically(path, encodeLog(sound.map((record) => record.data)))
      log.warn(`${path}: ${dropped} damaged record${dropped === 1 ? '' : 's'} left out`)
    } else if (/^\d+\.(ldb|sst)$/.test(name)) {
      const bytes = await fs.readFile(path)
      if (checkTable(bytes).problems.length === 0) continue
      const table = tableEntries(bytes)
      if (!table.usable) salvage.tables.push(name)
      salvage.tableBlocks += table.droppedBlocks
      if (table.entries.length > 0) {
        // One batch per entry: each keeps its own sequence number, so newer versions stay newer.
        const records = table.entries.map((entry) => encodeBatch([entry]))
        await writeAtomically(join(dir, `${String(nextFile++).padStart(6, '0')}.log`), encodeLog(records))
      }
      await fs.rm(path)
      log.warn(`${path}: ${table.usable ? `${table.droppedBlocks} damaged block(s) left out, ${table.entries.length} entries kept` : 'unreadable (footer or index), left out'}`)
    }
  }
  return salvage
}

/**
 * After LevelDB's repair: documents whose metadata survived but whose body did not are removed
 * (PouchDB answers them with a crash), and PouchDB's counters are set to what the folder holds.
 */
async function settlePouchDb(dir: string): Promise<PouchFolder> {
  const found = await readPouchFolder(dir)
  const ops: Array<{ type: 'put' | 'del'; key: string; value?: string }> = [...found.broken.keys()].map((id) => ({ type: 'del', key: DOC_PREFIX + id }))
  if (found.counter !== found.readable.size) ops.push({ type: 'put', key: DOC_COUNT_KEY, value: JSON.stringify(found.readable.size) })
  if ((found.updateSeq ?? -1) < found.maxSeq) ops.push({ type: 'put', key: UPDATE_SEQ_KEY, value: JSON.stringify(found.maxSeq) })
  if (ops.length === 0) return found
  const db = levelDown()(dir)
  await call((done) => db.open({ createIfMissing: false }, done))
  try {
    await call((done) => db.batch(ops, { sync: true }, done))
  } finally {
    await call((done) => db.close(done))
  }
  return readPouchFolder(dir)
}

function expectation(name: string, manifest: StoreManifest | undefined, counter: number | undefined): Pick<FolderReport, 'expected' | 'expectedFrom'> {
  const listed = manifest?.databases[name]
  if (listed) return { expected: listed.docCount, expectedFrom: 'store manifest' }
  if (counter !== undefined) return { expected: counter, expectedFrom: "the database's counter" }
  return { expected: null }
}

function droppedOf(known: Set<string>, recovered: Set<string>, expected: number | null | undefined, salvage: Salvage): NonNullable<FolderReport['dropped']> {
  const ids = [...known].filter((id) => !recovered.has(id)).sort()
  const shortfall = typeof expected === 'number' ? Math.max(0, expected - recovered.size) : undefined
  const unknownLoss = salvage.logRecords + salvage.tableBlocks + salvage.tables.length > 0 && shortfall === undefined
  return {
    count: unknownLoss && ids.length === 0 ? null : Math.max(ids.length, shortfall ?? 0),
    ids: ids.slice(0, MAX_IDS),
    idsTruncated: ids.length > MAX_IDS,
    ...salvage
  }
}

const lostAnything = (dropped: FolderReport['dropped']): boolean =>
  dropped !== undefined && (dropped.count !== 0 || dropped.logRecords + dropped.tableBlocks + dropped.tables.length > 0)


/**
 * Copies each damaged folder aside, then repairs it: a database as described above, a view index
 * by moving it aside (rebuilt on first use). After a database is repaired its view indexes are
 * moved aside too, since they may describe documents the repair could not recover.
 */
export async function repairStore(dataDir: string): Promise<StoreReport> {
  if (!(await exists(dataDir))) return { dataDir, exists: false, folders: [], ok: true }
  return withLock(dataDir, async () => {
    const stamp = timestamp()
    const copies = join(dataDir, COPIES_DIR)
    const { folders: before, manifest, manifestProblem } = await checkStoreFolders(dataDir)
    const reports = new Map<string, FolderReport>()
    const moveAside = async (folder: FolderCheck): Promise<string> => {
      await fs.mkdir(copies, { recursive: true, mode: 0o700 })
      const target = join(copies, `${folder.name}-${stamp}`)
      await fs.rename(folder.path, target)
      return target
    }

    for (const folder of before.filter((f) => f.state === 'damaged' && f.kind === 'database')) {
      const report: FolderReport = { name: folder.name, kind: 'database', state: 'damaged', problems: folder.problems }
      // What the folder holds before anything changes (it is read, not opened).
      const held = await readPouchFolder(folder.path)
      const known = new Set([...held.readable, ...held.broken.keys(), ...held.orphans, ...(await idsInIndexes(dataDir, folder.name))])
      Object.assign(report, expectation(folder.name, manifest, held.counter))
      const indexes = before.filter((f) => f.kind === 'index' && f.database === folder.name && f.state !== 'damaged')
      const setIndexesAside = async (): Promise<void> => {
        for (const index of indexes) {
          const moved = await moveAside(index)
          reports.set(index.name, { name: index.name, kind: 'index', database: folder.name, state: 'ok', problems: [], copiedTo: moved, repair: { ok: true, message: 'moved aside; rebuilt on first use' } })
        }
      }
      if (folder.lost) {
        // Nothing on disk to repair: the loss is recorded (manifest entry, index folders set aside,
        // the feed checkpoint below), so that the store opens again with this database empty.
        await forgetInManifest(dataDir, [folder.name])
        await setIndexesAside()
        const expected = report.expected ?? folder.lost.expected ?? null
        const ids = [...known].sort()
        report.state = 'empty'
        report.recovered = 0
        report.dropped = { count: ids.length > 0 ? Math.max(ids.length, expected ?? 0) : expected, ids: ids.slice(0, MAX_IDS), idsTruncated: ids.length > MAX_IDS, logRecords: 0, tableBlocks: 0, tables: [] }
        report.repair = { ok: true, message: 'nothing left to recover; the loss is recorded and the database starts empty' }
        reports.set(folder.name, report)
        continue
      }
      await fs.mkdir(copies, { recursive: true, mode: 0o700 })
      const target = join(copies, `${folder.name}-${stamp}`)
      await fs.cp(folder.path, target, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false })
      report.copiedTo = target
      log.info(`Copied the damaged database ${folder.name} to ${target}`)
      try {
        const salvage = await keepOnlySound(folder.path)
        await call((done) => levelDown().repair(folder.path, done))
        const after = await settlePouchDb(folder.path)
        report.recovered = after.readable.size
        report.dropped = droppedOf(known, after.readable, report.expected, salvage)
        report.repair = { ok: true, message: "repaired (damaged records left out, then LevelDB's repair)" }
      } catch (error) {
        report.repair = { ok: false, message: `the repair failed: ${(error as Error).message}` }
      }
      reports.set(folder.name, report)
      await setIndexesAside()
    }
    for (const index of before.filter((f) => f.state === 'damaged' && f.kind === 'index')) {
      const moved = await moveAside(index)
      reports.set(index.name, { name: index.name, kind: 'index', database: index.database, state: 'damaged', problems: index.problems, copiedTo: moved, repair: { ok: true, message: 'moved aside; rebuilt on first use' } })
    }

    const lost = [...reports.values()].some((report) => lostAnything(report.dropped))
    let checkpointReset: StoreReport['checkpointReset']
    if (lost && reports.has('requests')) checkpointReset = await resetFeedCheckpoint(dataDir)

    // What the folder looks like now.
    const folders: FolderReport[] = []
    for (const folder of (await checkStoreFolders(dataDir)).folders) {
      const now = await describe(folder)
      const earlier = reports.get(folder.name)
      if (earlier) {
        reports.delete(folder.name)
        folders.push({ ...earlier, ...now, copiedTo: earlier.copiedTo, repair: earlier.repair, problems: now.state === 'damaged' ? now.problems : earlier.problems })
      } else {
        folders.push(now)
      }
    }
    folders.push(...reports.values()) // the indexes moved aside, the lost databases not created yet
    return {
      dataDir,
      exists: true,
      folders,
      ok: folders.every((f) => f.state !== 'damaged' || (f.copiedTo !== undefined && f.kind === 'index') || (f.repair?.ok === true && f.recovered !== undefined)),
      lost,
      ...(checkpointReset ? { checkpointReset } : {}),
      ...(manifestProblem ? { manifestProblem } : {})
    }
  })
}

/** Moves the ReqMgr2 feed checkpoint back to 0: the next update fetches every workflow again. */
async function resetFeedCheckpoint(dataDir: string): Promise<StoreReport['checkpointReset']> {
  const settings = join(dataDir, 'settings')
  if (!(await exists(join(settings, 'CURRENT')))) return undefined
  return withLocalDatabase(dataDir, 'settings', async (db) => {
    const doc = await db.get('all_settings').catch(() => undefined)
    const was = doc?.last_reqmgr_sequence
    if (!doc || (typeof was !== 'number' && typeof was !== 'string') || was === 0 || was === '0') return undefined
    await db.put({ ...doc, last_reqmgr_sequence: 0 })
    log.warn(`requests lost documents: the ReqMgr2 feed checkpoint in settings went back from ${JSON.stringify(was)} to 0`)
    return { was }
  })
}
