/**
 * `stats2 store check` and `stats2 store repair` on the embedded store's data folder. Both take the
 * folder's lock (a running Stats2 keeps them out). Check never opens a damaged folder (healthy
 * databases are opened to count their documents, which lets LevelDB tidy its own log). Repair copies each damaged
 * folder aside first (timestamped, inside `<dataDir>/_damaged-copies`), then runs LevelDB's own
 * repair (RepairDB: it rebuilds the MANIFEST from the tables and logs it finds, and puts what it
 * cannot read in a `lost/` folder); the copy is never deleted.
 */
import { promises as fs } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createLogger } from '../../main/log/logger'
import { readDatabaseInfo, timestamp } from '../embedded-couch'
import { acquireStoreLock } from '../store-lock'
import { checkDataFolder, COPIES_DIR, type FolderCheck } from './damage'

const log = createLogger('store')

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
}

export interface StoreReport {
  dataDir: string
  exists: boolean
  folders: FolderReport[]
  /** True when every folder is ok or empty (after a repair: when the repair left nothing damaged). */
  ok: boolean
}

/** The part of leveldown used here. */
interface LevelDown {
  repair(location: string, callback: (error?: Error | null) => void): void
}

/**
 * LevelDB's RepairDB, from the leveldown the PouchDB adapter itself uses (resolved through the
 * adapter, so it is the same native build and LevelDB version that wrote the files).
 */
function levelDown(): LevelDown {
  const fromAdapter = createRequire(require.resolve('pouchdb-adapter-leveldb'))
  return fromAdapter('leveldown') as LevelDown
}

function repairLevelDb(path: string): Promise<void> {
  return new Promise((done, fail) => levelDown().repair(path, (error) => (error ? fail(error) : done())))
}

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

async function describe(dataDir: string, folder: FolderCheck): Promise<FolderReport> {
  const report: FolderReport = {
    name: folder.name,
    kind: folder.kind,
    database: folder.database,
    state: folder.state === 'new' ? 'empty' : folder.state,
    problems: folder.problems
  }
  if (folder.state === 'ok' && folder.kind === 'database') {
    try {
      const info = await readDatabaseInfo(dataDir, folder.name)
      report.docCount = info.readable
      if (info.docCount !== info.readable) report.counterSays = info.docCount
    } catch (error) {
      // The files looked right but LevelDB (or PouchDB) still cannot read them.
      report.state = 'damaged'
      report.problems = [`cannot be read: ${(error as Error).message}`]
    }
  }
  return report
}

/** Checks every database and view index of the folder; changes nothing. */
export async function checkStore(dataDir: string): Promise<StoreReport> {
  if (!(await exists(dataDir))) return { dataDir, exists: false, folders: [], ok: true }
  return withLock(dataDir, async () => {
    const folders: FolderReport[] = []
    for (const folder of await checkDataFolder(dataDir)) folders.push(await describe(dataDir, folder))
    return { dataDir, exists: true, folders, ok: folders.every((f) => f.state !== 'damaged') }
  })
}

/**
 * Copies each damaged folder aside, then repairs it: a database with LevelDB's repair, a view index
 * by moving it aside (PouchDB rebuilds it). After a database is repaired its view indexes are moved
 * aside too, since they may describe documents the repair could not recover.
 */
export async function repairStore(dataDir: string): Promise<StoreReport> {
  if (!(await exists(dataDir))) return { dataDir, exists: false, folders: [], ok: true }
  return withLock(dataDir, async () => {
    const stamp = timestamp()
    const copies = join(dataDir, COPIES_DIR)
    const before = await checkDataFolder(dataDir)
    const reports = new Map<string, FolderReport>()
    const moveAside = async (folder: FolderCheck): Promise<string> => {
      await fs.mkdir(copies, { recursive: true, mode: 0o700 })
      const target = join(copies, `${folder.name}-${stamp}`)
      await fs.rename(folder.path, target)
      return target
    }

    for (const folder of before.filter((f) => f.state === 'damaged' && f.kind === 'database')) {
      await fs.mkdir(copies, { recursive: true, mode: 0o700 })
      const target = join(copies, `${folder.name}-${stamp}`)
      await fs.cp(folder.path, target, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false })
      log.info(`Copied the damaged database ${folder.name} to ${target}`)
      const report: FolderReport = { name: folder.name, kind: 'database', state: 'damaged', problems: folder.problems, copiedTo: target }
      try {
        await repairLevelDb(folder.path)
        report.repair = { ok: true, message: "LevelDB's repair finished" }
      } catch (error) {
        report.repair = { ok: false, message: `LevelDB's repair failed: ${(error as Error).message}` }
      }
      reports.set(folder.name, report)
      for (const index of before.filter((f) => f.kind === 'index' && f.database === folder.name && f.state !== 'damaged')) {
        const moved = await moveAside(index)
        reports.set(index.name, { name: index.name, kind: 'index', database: folder.name, state: 'ok', problems: [], copiedTo: moved, repair: { ok: true, message: 'moved aside; rebuilt on first use' } })
      }
    }
    for (const index of before.filter((f) => f.state === 'damaged' && f.kind === 'index')) {
      const moved = await moveAside(index)
      reports.set(index.name, { name: index.name, kind: 'index', database: index.database, state: 'damaged', problems: index.problems, copiedTo: moved, repair: { ok: true, message: 'moved aside; rebuilt on first use' } })
    }

    // What the folder looks like now.
    const folders: FolderReport[] = []
    for (const folder of await checkDataFolder(dataDir)) {
      const now = await describe(dataDir, folder)
      const earlier = reports.get(folder.name)
      if (earlier) {
        reports.delete(folder.name)
        folders.push({ ...now, copiedTo: earlier.copiedTo, repair: earlier.repair, problems: now.state === 'damaged' ? now.problems : earlier.problems })
      } else {
        folders.push(now)
      }
    }
    folders.push(...reports.values()) // the indexes moved aside
    return { dataDir, exists: true, folders, ok: folders.every((f) => f.state !== 'damaged' || (f.kind === 'index' && f.copiedTo !== undefined)) }
  })
}
