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
 * - the write-ahead log `<n>.log` named by the MANIFEST's log number: LevelDB creates it before it
 *   records its number, so it is always there; when it is gone the newest writes are gone and
 *   LevelDB would open without a word. Its records' checksums are verified too (LevelDB skips a
 *   corrupt record silently).
 * `LOCK`, `LOG`, `LOG.old` hold no data. A folder with no table and no non-empty log holds no data
 * and may be created afresh.
 */
import { promises as fs } from 'node:fs'
import { join } from 'node:path'

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
}

// ---------------------------------------------------------------------------------------------
// CRC32C (Castagnoli), masked as LevelDB stores it

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function crc32c(data: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff
  for (let i = start; i < end; i++) crc = (CRC_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function unmask(masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

// ---------------------------------------------------------------------------------------------
// Log files (the MANIFEST is one too)

const BLOCK_SIZE = 32768
const HEADER_SIZE = 7
const FULL = 1
const FIRST = 2
const MIDDLE = 3
const LAST = 4

class Corruption extends Error {}

/** The logical records of a LevelDB log file; throws Corruption where LevelDB's reader reports it. */
export function readLogRecords(data: Buffer): Buffer[] {
  const records: Buffer[] = []
  let pending: Buffer[] | undefined
  let offset = 0
  while (offset < data.length) {
    const leftInBlock = BLOCK_SIZE - (offset % BLOCK_SIZE)
    if (leftInBlock < HEADER_SIZE) {
      offset += leftInBlock // block trailer, zero filled
      continue
    }
    if (offset + HEADER_SIZE > data.length) break // header torn at the end of the file
    const length = data.readUInt16LE(offset + 4)
    const type = data[offset + 6] as number
    if (type === 0 && length === 0) {
      // Zeroed space (a preallocated file, or mmap'd tail): LevelDB skips it.
      offset += HEADER_SIZE
      continue
    }
    const start = offset + HEADER_SIZE
    const end = start + length
    if (end > data.length) break // payload torn at the end of the file
    if (HEADER_SIZE + length > leftInBlock) throw new Corruption(`bad record length at byte ${offset}`)
    const expected = unmask(data.readUInt32LE(offset))
    if (crc32c(data, offset + 6, end) !== expected) throw new Corruption(`checksum mismatch at byte ${offset}`)
    const payload = data.subarray(start, end)
    offset = end
    if (type === FULL) {
      if (pending) throw new Corruption(`partial record without end at byte ${offset}`)
      records.push(payload)
    } else if (type === FIRST) {
      if (pending) throw new Corruption(`partial record without end at byte ${offset}`)
      pending = [payload]
    } else if (type === MIDDLE || type === LAST) {
      if (!pending) throw new Corruption(`missing start of fragmented record at byte ${offset}`)
      pending.push(payload)
      if (type === LAST) {
        records.push(Buffer.concat(pending))
        pending = undefined
      }
    } else {
      throw new Corruption(`unknown record type ${type} at byte ${offset}`)
    }
  }
  return records
}

// ---------------------------------------------------------------------------------------------
// VersionEdits

class Cursor {
  offset = 0
  constructor(private readonly data: Buffer) {}
  get done(): boolean {
    return this.offset >= this.data.length
  }
  varint(): number {
    let result = 0
    let factor = 1
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.data.length) throw new Corruption('truncated number in a version edit')
      const byte = this.data[this.offset++] as number
      result += (byte & 0x7f) * factor
      if ((byte & 0x80) === 0) return result
      factor *= 128
    }
    throw new Corruption('overlong number in a version edit')
  }
  slice(): Buffer {
    const length = this.varint()
    if (this.offset + length > this.data.length) throw new Corruption('truncated string in a version edit')
    const value = this.data.subarray(this.offset, this.offset + length)
    this.offset += length
    return value
  }
}

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
    const cursor = new Cursor(record)
    while (!cursor.done) {
      const tag = cursor.varint()
      switch (tag) {
        case 1: {
          const name = cursor.slice().toString('latin1')
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

const fileName = (number: number, ext: string): string => `${String(number).padStart(6, '0')}.${ext}`
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
export async function checkLevelDbFolder(dir: string): Promise<LevelDbCheck> {
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
  for (const [number, size] of [...manifest.tables].sort((a, b) => a[0] - b[0])) {
    const ldb = fileName(number, 'ldb')
    const name = sizes.has(ldb) ? ldb : sizes.has(fileName(number, 'sst')) ? fileName(number, 'sst') : undefined
    if (!name) problems.push(`table ${ldb} listed in ${manifestName} is missing`)
    else if (sizes.get(name) !== size) problems.push(`table ${name} has ${sizes.get(name)} bytes instead of ${size} (truncated or overwritten)`)
  }
  const log = fileName(manifest.logNumber, 'log')
  if (manifest.logNumber > 0 && !sizes.has(log)) {
    problems.push(`the write-ahead log ${log} named in ${manifestName} is missing (the newest writes are in it)`)
  }
  // The logs LevelDB replays at open: the current one and any newer (and the legacy previous one).
  for (const name of [...sizes.keys()].filter((n) => LOG.test(n)).sort()) {
    const number = Number(LOG.exec(name)?.[1])
    if (number < manifest.logNumber && number !== manifest.prevLogNumber) continue
    try {
      readLogRecords(await fs.readFile(join(dir, name)))
    } catch (error) {
      if (!(error instanceof Corruption)) throw error
      problems.push(`the write-ahead log ${name} is corrupt: ${error.message}`)
    }
  }
  return problems.length > 0 ? damaged(...problems) : { state: 'ok', problems: [], dataFiles }
}
