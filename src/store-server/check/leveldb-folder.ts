/**
 * Reads a LevelDB folder the way LevelDB itself decides whether it can open it, without opening it
 * (opening with `createIfMissing`, as PouchDB does, turns a folder without `CURRENT` into a new
 * empty database and deletes the table files it does not know: every document gone).
 *
 * What LevelDB (1.20, the one leveldown 6 ships) needs, and what this checks:
 * - `CURRENT`: one line naming the descriptor, `MANIFEST-<n>\n`. Missing, LevelDB creates a new
 *   database; any other content and it refuses to open.
 * - the MANIFEST: a log of VersionEdit records (32 KiB blocks, CRC32C per record). It must hold the
 *   comparator, the log number, the next file number and the last sequence; a checksum mismatch or
 *   an unknown tag makes LevelDB refuse. A record torn at the end of the file is ignored, as LevelDB
 *   does (a crash while appending).
 * - every table (`<n>.ldb`, or `<n>.sst` from old versions) the MANIFEST lists: LevelDB refuses to
 *   open when one is missing; a table shorter or longer than recorded opens but fails on reads.
 *   Every block of it is verified too (leveldb-format.ts `checkTable`): LevelDB itself verifies no
 *   block checksum on reads here (leveldown has no `verify_checksums`), so a flipped byte would be
 *   served, or crash PouchDB.
 * - the write-ahead log `<n>.log` named by the MANIFEST's log number: LevelDB creates it before it
 *   records its number, so it is always there; when it is gone the newest writes are gone and
 *   LevelDB would open without a word. Its records' checksums are verified too (LevelDB skips a
 *   corrupt record silently).
 * `LOCK`, `LOG`, `LOG.old` hold no data. A folder with no table and no non-empty log holds no data
 * and may be created afresh.
 */
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { checkTable, Corruption, decodeBatch, type Entry, Reader, readLogRecords, scanLog, tableEntries } from './leveldb-format'

export type LevelDbState =
  /** The folder does not exist, or holds no data: opening it creates a new database. */
  | 'new'
  | 'ok'
  | 'damaged'

export interface LevelDbCheck {
  state: LevelDbState
  /** What is wrong, for a person: which file, what happened to it. */
  problems: string[]
  /** Files of the folder that hold data (tables, logs, the MANIFEST), for messages. */
  dataFiles: string[]
  /** Bytes read and verified (tables, logs, the MANIFEST). */
  bytesRead?: number
}

export interface CheckOptions {
  /** Verify every block of every table (default true); false checks only that the files are there. */
  blocks?: boolean
}

// ---------------------------------------------------------------------------------------------
// VersionEdits

export interface ManifestState {
  logNumber: number
  prevLogNumber: number
  nextFile: number
  /** Live table files: number → size in bytes. */
  tables: Map<number, number>
}

/** Replays the MANIFEST's edits as VersionSet::Recover does. */
export function replayManifest(data: Buffer): ManifestState {
  let hasComparator = false
  let logNumber: number | undefined
  let prevLogNumber = 0
  let nextFile: number | undefined
  let lastSequence: number | undefined
  const tables = new Map<number, number>()
  for (const record of readLogRecords(data)) {
    const cursor = new Reader(record)
    while (!cursor.done) {
      const tag = cursor.varint()
      switch (tag) {
        case 1: {
          const name = Buffer.from(cursor.slice()).toString('latin1')
          if (name !== 'leveldb.BytewiseComparator') throw new Corruption(`comparator ${name} is not LevelDB's bytewise comparator`)
          hasComparator = true
          break
        }
        case 2:
          logNumber = cursor.varint()
          break
        case 3:
          nextFile = cursor.varint()
          break
        case 4:
          lastSequence = cursor.varint()
          break
        case 5:
          cursor.varint()
          cursor.slice()
          break
        case 6: {
          cursor.varint()
          tables.delete(cursor.varint())
          break
        }
        case 7: {
          const level = cursor.varint()
          if (level >= 7) throw new Corruption(`level ${level} out of range`)
          const number = cursor.varint()
          const size = cursor.varint()
          cursor.slice()
          cursor.slice()
          tables.set(number, size)
          break
        }
        case 9:
          prevLogNumber = cursor.varint()
          break
        default:
          throw new Corruption(`unknown tag ${tag} in a version edit`)
      }
    }
  }
  if (!hasComparator && tables.size > 0) throw new Corruption('no comparator entry')
  if (nextFile === undefined) throw new Corruption('no meta-nextfile entry')
  if (logNumber === undefined) throw new Corruption('no meta-lognumber entry')
  if (lastSequence === undefined) throw new Corruption('no last-sequence-number entry')
  return { logNumber, prevLogNumber, nextFile, tables }
}

// ---------------------------------------------------------------------------------------------
// The folder

export const fileName = (number: number, ext: string): string => `${String(number).padStart(6, '0')}.${ext}`
const TABLE = /^(\d+)\.(ldb|sst)$/
const LOG = /^(\d+)\.log$/
const MANIFEST = /^MANIFEST-(\d+)$/

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await fs.stat(path)).size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Checks one LevelDB folder; never writes. Filesystem errors other than a missing file are thrown. */
export async function checkLevelDbFolder(dir: string, options: CheckOptions = {}): Promise<LevelDbCheck> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'new', problems: [], dataFiles: [] }
    throw error
  }
  const sizes = new Map<string, number>()
  for (const name of names) {
    if (TABLE.test(name) || LOG.test(name) || MANIFEST.test(name) || name === 'CURRENT') {
      sizes.set(name, (await sizeOf(join(dir, name))) ?? 0)
    }
  }
  const dataFiles = [...sizes.keys()].filter((name) => name !== 'CURRENT').sort()
  const holdsData = [...sizes].some(([name, size]) => TABLE.test(name) || (LOG.test(name) && size > 0))
  const damaged = (...problems: string[]): LevelDbCheck => ({ state: 'damaged', problems, dataFiles })

  if (!sizes.has('CURRENT')) {
    if (!holdsData) return { state: 'new', problems: [], dataFiles }
    return damaged(`CURRENT is missing, but the folder holds data (${dataFiles.join(', ')}); LevelDB would start a new, empty database and delete the tables`)
  }
  const current = await fs.readFile(join(dir, 'CURRENT'), 'latin1')
  const manifestName = current.endsWith('\n') ? current.slice(0, -1) : undefined
  if (!manifestName || !MANIFEST.test(manifestName)) {
    return damaged(`CURRENT does not name a MANIFEST file (it holds ${JSON.stringify(current.slice(0, 60))})`)
  }
  const manifestBytes = await fs.readFile(join(dir, manifestName)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (!manifestBytes) return damaged(`${manifestName}, the MANIFEST that CURRENT names, is missing`)
  let manifest: ManifestState
  try {
    manifest = replayManifest(manifestBytes)
  } catch (error) {
    if (!(error instanceof Corruption)) throw error
    return damaged(`${manifestName} is corrupt: ${error.message}`)
  }

  const problems: string[] = []
  let bytesRead = 0
  for (const [number, size] of [...manifest.tables].sort((a, b) => a[0] - b[0])) {
    const ldb = fileName(number, 'ldb')
    const name = sizes.has(ldb) ? ldb : sizes.has(fileName(number, 'sst')) ? fileName(number, 'sst') : undefined
    if (!name) problems.push(`table ${ldb} listed in ${manifestName} is missing`)
    else if (sizes.get(name) !== size) problems.push(`table ${name} has ${sizes.get(name)} bytes instead of ${size} (truncated or overwritten)`)
    else if (options.blocks !== false) {
      // Every block's checksum: LevelDB itself checks none of them on reads here.
      const bytes = await fs.readFile(join(dir, name))
      bytesRead += bytes.length
      for (const problem of checkTable(bytes).problems) problems.push(`table ${name}: ${problem}`)
    }
  }
  const log = fileName(manifest.logNumber, 'log')
  if (manifest.logNumber > 0 && !sizes.has(log)) {
    problems.push(`the write-ahead log ${log} named in ${manifestName} is missing (the newest writes are in it)`)
  }
  // The logs LevelDB replays at open: the current one and any newer (and the legacy previous one).
  for (const name of [...sizes.keys()].filter((n) => LOG.test(n)).sort()) {
    const number = Number(LOG.exec(name)?.[1])
    if (number < manifest.logNumber && number !== manifest.prevLogNumber) continue
    const bytes = await fs.readFile(join(dir, name))
    bytesRead += bytes.length
    const bad = scanLog(bytes).bad
    if (bad.length > 0) {
      const shown = bad.slice(0, 3).map((b) => b.reason).join('; ')
      problems.push(`the write-ahead log ${name} is corrupt: ${shown}${bad.length > 3 ? ` (and ${bad.length - 3} more)` : ''}`)
    }
  }
  bytesRead += manifestBytes.length
  return problems.length > 0 ? { ...damaged(...problems), bytesRead } : { state: 'ok', problems: [], dataFiles, bytesRead }
}

// ---------------------------------------------------------------------------------------------
// Reading a folder's data without LevelDB (store check, repair, the start-up evidence)

export interface FolderRead {
  /** Entries of sound blocks and records; several versions of a key may appear (highest sequence wins). */
  entries: number
  /** Data blocks and log records left out because they failed their checksum or did not parse. */
  droppedBlocks: number
  droppedRecords: number
  /** Tables whose footer or index could not be read: none of their entries were seen. */
  unreadableTables: string[]
}

/**
 * Calls `visit` for every entry in the folder's tables and write-ahead logs that passes its
 * checksum, without opening the folder with LevelDB (so it works on a damaged folder and never
 * changes it). The files read are those the MANIFEST names (the live tables, the logs LevelDB would
 * replay), or every table and log on disk when the MANIFEST is the damaged part. Entries come in no
 * particular order: the caller keeps the highest sequence of each key.
 */
export async function visitFolder(dir: string, visit: (entry: Entry) => void): Promise<FolderRead> {
  const read: FolderRead = { entries: 0, droppedBlocks: 0, droppedRecords: 0, unreadableTables: [] }
  let names: string[]
  try {
    names = (await fs.readdir(dir)).sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return read
    throw error
  }
  const live = await liveFiles(dir, names)
  for (const name of names) {
    if (live && !live.has(name)) continue
    if (TABLE.test(name)) {
      const table = tableEntries(await fs.readFile(join(dir, name)))
      if (!table.usable) read.unreadableTables.push(name)
      read.droppedBlocks += table.droppedBlocks
      for (const entry of table.entries) {
        read.entries++
        visit(entry)
      }
    } else if (LOG.test(name)) {
      const scan = scanLog(await fs.readFile(join(dir, name)))
      read.droppedRecords += scan.bad.length
      for (const record of scan.records) {
        let batch: Entry[]
        try {
          batch = decodeBatch(record.data)
        } catch {
          read.droppedRecords++
          continue
        }
        for (const entry of batch) {
          read.entries++
          visit(entry)
        }
      }
    }
  }
  return read
}

/** The tables and logs LevelDB would read, by file name; undefined when CURRENT or the MANIFEST is unusable. */
async function liveFiles(dir: string, names: string[]): Promise<Set<string> | undefined> {
  try {
    const current = await fs.readFile(join(dir, 'CURRENT'), 'latin1')
    const manifest = replayManifest(await fs.readFile(join(dir, current.trim())))
    const live = new Set<string>()
    for (const number of manifest.tables.keys()) live.add(fileName(number, 'ldb')).add(fileName(number, 'sst'))
    for (const name of names) {
      const number = Number(LOG.exec(name)?.[1] ?? -1)
      if (number >= manifest.logNumber || (number >= 0 && number === manifest.prevLogNumber)) live.add(name)
    }
    return live
  } catch {
    return undefined
  }
}
