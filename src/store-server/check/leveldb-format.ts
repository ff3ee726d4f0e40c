/**
 * LevelDB's on-disk formats (1.20, the version leveldown 6 ships), read and written in plain
 * TypeScript, never through LevelDB itself: the binding in use cannot verify checksums on reads
 * (leveldown has no `verify_checksums`/`paranoid_checks` option) and its repair does not verify
 * them either, so the store does it here.
 *
 * - CRC32C (Castagnoli), masked as LevelDB stores it (`crc.h`).
 * - Log files (write-ahead logs and MANIFESTs): 32 KiB blocks of records, each with a 7-byte header
 *   (masked CRC32C of type + payload, length, type), fragmented across blocks (`log_format.h`).
 * - Write batches, the payload of a write-ahead log record (`write_batch.cc`).
 * - Tables (`.ldb`/`.sst`): data blocks, a filter block, a metaindex block and an index block, each
 *   followed by a 5-byte trailer (compression type, masked CRC32C of contents + type), and a 48-byte
 *   footer ending in a magic number (`table_format.md`). Blocks are Snappy-compressed.
 */

export class Corruption extends Error {
  override name = 'Corruption'
}

// ---------------------------------------------------------------------------------------------
// CRC32C, slicing by 8 (about 0.5–1 GB/s in V8; the byte-at-a-time table is 3 times slower)

const CRC_TABLES = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256))
  const first = tables[0] as Int32Array
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    first[n] = c
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const previous = (tables[t - 1] as Int32Array)[n] as number
      ;(tables[t] as Int32Array)[n] = (previous >>> 8) ^ (first[previous & 0xff] as number)
    }
  }
  return tables
})()

/** CRC32C of `data[start, end)`, continuing from `crc` (a finished CRC, 0 to start). */
export function crc32c(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array]
  let c = ~crc
  let i = start
  const end8 = start + ((end - start) & ~7)
  for (; i < end8; i += 8) {
    const a = c ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24))
    c =
      (t7[a & 0xff] as number) ^ (t6[(a >>> 8) & 0xff] as number) ^ (t5[(a >>> 16) & 0xff] as number) ^ (t4[a >>> 24] as number) ^
      (t3[data[i + 4] as number] as number) ^ (t2[data[i + 5] as number] as number) ^ (t1[data[i + 6] as number] as number) ^ (t0[data[i + 7] as number] as number)
  }
  for (; i < end; i++) c = (t0[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8)
  return ~c >>> 0
}

const MASK_DELTA = 0xa282ead8

export function unmask(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

export function mask(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0
}

// ---------------------------------------------------------------------------------------------
// Varints

export class Reader {
  offset: number
  constructor(
    private readonly data: Uint8Array,
    start = 0,
    private readonly end = data.length
  ) {
    this.offset = start
  }
  get done(): boolean {
    return this.offset >= this.end
  }
  varint(): number {
    let result = 0
    let factor = 1
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new Corruption('truncated number')
      const byte = this.data[this.offset++] as number
      result += (byte & 0x7f) * factor
      if ((byte & 0x80) === 0) return result
      factor *= 128
    }
    throw new Corruption('overlong number')
  }
  bytes(length: number): Uint8Array {
    if (length > this.end - this.offset) throw new Corruption('truncated field')
    const value = this.data.subarray(this.offset, this.offset + length)
    this.offset += length
    return value
  }
  slice(): Uint8Array {
    return this.bytes(this.varint())
  }
}

function pushVarint(out: number[], value: number): void {
  let v = value
  while (v >= 0x80) {
    out.push((v % 128) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
}

// ---------------------------------------------------------------------------------------------
// Snappy (raw format; what LevelDB writes for compressed blocks)

/** Decompresses a Snappy block; throws Corruption on anything malformed (never reads out of bounds). */
export function snappyDecompress(input: Uint8Array): Buffer {
  const reader = new Reader(input)
  const length = reader.varint()
  if (length > 64 * 1024 * 1024) throw new Corruption(`compressed block claims ${length} bytes`)
  const out = Buffer.allocUnsafe(length)
  let o = 0
  let i = reader.offset
  while (i < input.length) {
    const tag = input[i++] as number
    const kind = tag & 3
    if (kind === 0) {
      let len = (tag >>> 2) + 1
      if (len > 60) {
        const bytes = len - 60
        if (i + bytes > input.length) throw new Corruption('truncated literal length')
        len = 0
        for (let b = 0; b < bytes; b++) len += (input[i + b] as number) * 2 ** (8 * b)
        len += 1
        i += bytes
      }
      if (i + len > input.length || o + len > length) throw new Corruption('literal out of bounds')
      out.set(input.subarray(i, i + len), o)
      i += len
      o += len
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      if (i >= input.length) throw new Corruption('truncated copy')
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | (input[i++] as number)
    } else if (kind === 2) {
      if (i + 2 > input.length) throw new Corruption('truncated copy')
      len = (tag >>> 2) + 1
      offset = (input[i] as number) | ((input[i + 1] as number) << 8)
      i += 2
    } else {
      if (i + 4 > input.length) throw new Corruption('truncated copy')
      len = (tag >>> 2) + 1
      offset = ((input[i] as number) | ((input[i + 1] as number) << 8) | ((input[i + 2] as number) << 16) | ((input[i + 3] as number) << 24)) >>> 0
      i += 4
    }
    if (offset === 0 || offset > o || o + len > length) throw new Corruption('copy out of bounds')
    // Overlapping copies repeat the last `offset` bytes: byte by byte.
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset] as number
  }
  if (o !== length) throw new Corruption(`compressed block holds ${o} bytes instead of ${length}`)
  return out
}

// ---------------------------------------------------------------------------------------------
// Log files

export const LOG_BLOCK = 32768
const HEADER = 7
const FULL = 1
const FIRST = 2
const MIDDLE = 3
const LAST = 4

export interface LogScan {
  /** The logical records whose every fragment passed its checksum, with the byte of their first fragment. */
  records: Array<{ offset: number; data: Buffer }>
  /** What was skipped: bad records (checksum, length, type) and the fragments they orphaned. */
  bad: Array<{ offset: number; reason: string }>
}

/**
 * Reads every record of a log file, skipping the damaged ones instead of stopping. After a bad
 * record the reader goes on right after it when the next header there passes its checksum (the
 * damage was in the payload), else at the next 32 KiB block (as LevelDB's reader does). A record
 * torn at the end of the file (a crash while appending) is not damage.
 */
export function scanLog(data: Uint8Array): LogScan {
  const records: LogScan['records'] = []
  const bad: LogScan['bad'] = []
  let pending: { offset: number; parts: Uint8Array[] } | undefined
  const drop = (offset: number, reason: string): void => {
    bad.push({ offset, reason })
    if (pending) {
      bad.push({ offset: pending.offset, reason: 'fragmented record left without its end' })
      pending = undefined
    }
  }
  /** Whether a valid record header (or the end of the block or file, or zero fill) is at `offset`. */
  const plausibleNext = (offset: number): boolean => {
    const left = LOG_BLOCK - (offset % LOG_BLOCK)
    if (offset >= data.length || left < HEADER) return true
    if (offset + HEADER > data.length) return true
    const length = (data[offset + 4] as number) | ((data[offset + 5] as number) << 8)
    const type = data[offset + 6] as number
    if (type === 0 && length === 0) return true
    if (HEADER + length > left || offset + HEADER + length > data.length) return false
    return crc32c(data, offset + 6, offset + HEADER + length) === unmask(readU32(data, offset))
  }
  let offset = 0
  while (offset < data.length) {
    const left = LOG_BLOCK - (offset % LOG_BLOCK)
    if (left < HEADER) {
      offset += left
      continue
    }
    if (offset + HEADER > data.length) break
    const length = (data[offset + 4] as number) | ((data[offset + 5] as number) << 8)
    const type = data[offset + 6] as number
    if (type === 0 && length === 0) {
      offset += HEADER
      continue
    }
    const end = offset + HEADER + length
    if (HEADER + length > left) {
      drop(offset, `bad record length at byte ${offset}`)
      offset += left
      continue
    }
    if (end > data.length) break // torn at the end of the file
    if (crc32c(data, offset + 6, end) !== unmask(readU32(data, offset))) {
      drop(offset, `checksum mismatch at byte ${offset}`)
      offset = plausibleNext(end) ? end : offset + left
      continue
    }
    const payload = data.subarray(offset + HEADER, end)
    if (type === FULL) {
      if (pending) drop(pending.offset, `fragmented record without its end at byte ${pending.offset}`)
      records.push({ offset, data: Buffer.from(payload) })
    } else if (type === FIRST) {
      if (pending) drop(pending.offset, `fragmented record without its end at byte ${pending.offset}`)
      pending = { offset, parts: [payload] }
    } else if (type === MIDDLE || type === LAST) {
      if (!pending) bad.push({ offset, reason: `fragment without its start at byte ${offset}` })
      else {
        pending.parts.push(payload)
        if (type === LAST) {
          records.push({ offset: pending.offset, data: Buffer.concat(pending.parts) })
          pending = undefined
        }
      }
    } else {
      drop(offset, `unknown record type ${type} at byte ${offset}`)
    }
    offset = end
  }
  return { records, bad }
}

/** The records of a log file; throws Corruption at the first damaged one (MANIFEST reading). */
export function readLogRecords(data: Uint8Array): Buffer[] {
  const scan = scanLog(data)
  if (scan.bad.length > 0) throw new Corruption((scan.bad[0] as { reason: string }).reason)
  return scan.records.map((record) => record.data)
}

/** A log file holding `records`, as LevelDB's log writer lays them out. */
export function encodeLog(records: Uint8Array[]): Buffer {
  const chunks: Buffer[] = []
  let position = 0
  for (const record of records) {
    let offset = 0
    let first = true
    do {
      const left = LOG_BLOCK - (position % LOG_BLOCK)
      if (left < HEADER) {
        chunks.push(Buffer.alloc(left))
        position += left
        continue
      }
      const take = Math.min(record.length - offset, left - HEADER)
      const last = offset + take === record.length
      const type = first && last ? FULL : first ? FIRST : last ? LAST : MIDDLE
      const header = Buffer.alloc(HEADER)
      header.writeUInt16LE(take, 4)
      header[6] = type
      const crc = crc32c(record, offset, offset + take, crc32c(header, 6, 7))
      header.writeUInt32LE(mask(crc), 0)
      chunks.push(header, Buffer.from(record.subarray(offset, offset + take)))
      position += HEADER + take
      offset += take
      first = false
    } while (offset < record.length)
  }
  return Buffer.concat(chunks)
}

function readU32(data: Uint8Array, offset: number): number {
  return ((data[offset] as number) | ((data[offset + 1] as number) << 8) | ((data[offset + 2] as number) << 16) | ((data[offset + 3] as number) << 24)) >>> 0
}

// ---------------------------------------------------------------------------------------------
// Write batches and internal keys

export const TYPE_DELETION = 0
export const TYPE_VALUE = 1

export interface Entry {
  userKey: Buffer
  sequence: bigint
  type: number
  value: Buffer
}

/** The operations of a write batch (a log record), each with its sequence number. */
export function decodeBatch(record: Uint8Array): Entry[] {
  if (record.length < 12) throw new Corruption('write batch shorter than its header')
  const view = Buffer.from(record.buffer, record.byteOffset, record.byteLength)
  let sequence = view.readBigUInt64LE(0)
  const count = view.readUInt32LE(8)
  const reader = new Reader(record, 12)
  const entries: Entry[] = []
  while (!reader.done) {
    const type = record[reader.offset++] as number
    if (type === TYPE_VALUE) {
      const userKey = Buffer.from(reader.slice())
      entries.push({ userKey, sequence: sequence++, type, value: Buffer.from(reader.slice()) })
    } else if (type === TYPE_DELETION) {
      entries.push({ userKey: Buffer.from(reader.slice()), sequence: sequence++, type, value: Buffer.alloc(0) })
    } else {
      throw new Corruption(`unknown operation ${type} in a write batch`)
    }
  }
  if (entries.length !== count) throw new Corruption(`write batch holds ${entries.length} operations instead of ${count}`)
  return entries
}

/** One write batch holding `entries`, which must have consecutive sequence numbers. */
export function encodeBatch(entries: Entry[]): Buffer {
  const out: number[] = []
  for (const entry of entries) {
    out.push(entry.type)
    pushVarint(out, entry.userKey.length)
    for (const byte of entry.userKey) out.push(byte)
    if (entry.type === TYPE_VALUE) {
      pushVarint(out, entry.value.length)
      for (const byte of entry.value) out.push(byte)
    }
  }
  const header = Buffer.alloc(12)
  header.writeBigUInt64LE(entries[0]?.sequence ?? 0n, 0)
  header.writeUInt32LE(entries.length, 8)
  return Buffer.concat([header, Buffer.from(out)])
}

/** An internal key (user key + 8 bytes of sequence and type) split up. */
export function parseInternalKey(key: Uint8Array): { userKey: Buffer; sequence: bigint; type: number } {
  if (key.length < 8) throw new Corruption('internal key shorter than 8 bytes')
  const tag = Buffer.from(key.buffer, key.byteOffset + key.length - 8, 8).readBigUInt64LE(0)
  return { userKey: Buffer.from(key.subarray(0, key.length - 8)), sequence: tag >> 8n, type: Number(tag & 0xffn) }
}

// ---------------------------------------------------------------------------------------------
// Tables

const FOOTER = 48
const TRAILER = 5
const MAGIC = Buffer.from([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb])

export interface BlockHandle {
  offset: number
  size: number
}

/** The entries of a block (data, index or metaindex), prefix compression undone. */
export function parseBlock(contents: Uint8Array): Array<{ key: Buffer; value: Buffer }> {
  if (contents.length < 4) throw new Corruption('block shorter than its restart count')
  const restarts = readU32(contents, contents.length - 4)
  const limit = contents.length - 4 - 4 * restarts
  if (restarts === 0 || limit < 0) throw new Corruption('bad restart array')
  const reader = new Reader(contents, 0, limit)
  const entries: Array<{ key: Buffer; value: Buffer }> = []
  let last = Buffer.alloc(0)
  while (!reader.done) {
    const shared = reader.varint()
    const unshared = reader.varint()
    const valueLength = reader.varint()
    if (shared > last.length) throw new Corruption('entry shares more than the previous key')
    const key = Buffer.concat([last.subarray(0, shared), reader.bytes(unshared)])
    entries.push({ key, value: Buffer.from(reader.bytes(valueLength)) })
    last = key
  }
  return entries
}

function decodeHandle(value: Uint8Array): BlockHandle {
  const reader = new Reader(value)
  return { offset: reader.varint(), size: reader.varint() }
}

export interface BlockRead {
  contents?: Buffer
  /** Why the block cannot be used, with its byte offset in the file. */
  problem?: string
}

/** Reads and checks one block: bounds, trailer checksum, then (unless `verifyOnly`) decompression. */
export function readBlock(file: Uint8Array, handle: BlockHandle, what: string, verifyOnly = false): BlockRead {
  const end = handle.offset + handle.size
  if (end + TRAILER > file.length) return { problem: `${what} at byte ${handle.offset} (${handle.size} bytes) runs past the end of the file` }
  const type = file[end] as number
  if (crc32c(file, handle.offset, end + 1) !== unmask(readU32(file, end + 1))) {
    return { problem: `${what} at byte ${handle.offset} (${handle.size} bytes) fails its checksum` }
  }
  const raw = file.subarray(handle.offset, end)
  if (type !== 0 && type !== 1) return { problem: `${what} at byte ${handle.offset} has unknown compression ${type}` }
  if (verifyOnly) return {}
  if (type === 0) return { contents: Buffer.from(raw) }
  try {
    return { contents: snappyDecompress(raw) }
  } catch (error) {
    return { problem: `${what} at byte ${handle.offset} does not decompress: ${(error as Error).message}` }
  }
}

export interface TableRead {
  /** Every problem found, each naming the byte offset; empty for a sound table. */
  problems: string[]
  /** The data blocks the index lists (empty when the footer or index is unusable). */
  blocks: Array<BlockHandle & { ok: boolean; separator: Buffer }>
}

/**
 * Checks every block of a table file: the footer's magic number and padding, the index and
 * metaindex blocks, the filter block and every data block (checksum, decompression, entries), and
 * that the blocks and the footer cover the file exactly.
 */
export function checkTable(file: Uint8Array): TableRead {
  const problems: string[] = []
  if (file.length < FOOTER) return { problems: [`${file.length} bytes: shorter than a table's footer`], blocks: [] }
  const footerAt = file.length - FOOTER
  if (!Buffer.from(file.subarray(file.length - 8)).equals(MAGIC)) {
    return { problems: [`the footer at byte ${footerAt} has no table magic number (truncated or overwritten)`], blocks: [] }
  }
  let metaindex: BlockHandle
  let index: BlockHandle
  try {
    const reader = new Reader(file, footerAt, file.length - 8)
    metaindex = { offset: reader.varint(), size: reader.varint() }
    index = { offset: reader.varint(), size: reader.varint() }
    for (let i = reader.offset; i < file.length - 8; i++) {
      if (file[i] !== 0) throw new Corruption(`byte ${i} of the footer's padding is not zero`)
    }
  } catch (error) {
    return { problems: [`the footer at byte ${footerAt} is corrupt: ${(error as Error).message}`], blocks: [] }
  }
  const covered: BlockHandle[] = [metaindex, index]
  const indexRead = readBlock(file, index, 'the index block')
  const blocks: TableRead['blocks'] = []
  if (indexRead.problem) problems.push(indexRead.problem)
  else {
    try {
      for (const entry of parseBlock(indexRead.contents as Buffer)) blocks.push({ ...decodeHandle(entry.value), ok: true, separator: entry.key })
    } catch (error) {
      problems.push(`the index block at byte ${index.offset} is corrupt: ${(error as Error).message}`)
    }
  }
  const meta = readBlock(file, metaindex, 'the metaindex block')
  if (meta.problem) problems.push(meta.problem)
  else {
    try {
      for (const entry of parseBlock(meta.contents as Buffer)) {
        const filter = decodeHandle(entry.value)
        covered.push(filter)
        const read = readBlock(file, filter, `the filter block (${entry.key.toString('latin1')})`)
        if (read.problem) problems.push(read.problem)
      }
    } catch (error) {
      problems.push(`the metaindex block at byte ${metaindex.offset} is corrupt: ${(error as Error).message}`)
    }
  }
  // Data blocks: their checksums (what LevelDB's verify_checksums checks); their contents are
  // parsed only when repair reads them (tableEntries).
  for (const block of blocks) {
    covered.push(block)
    const read = readBlock(file, block, 'the data block', true)
    if (read.problem) {
      block.ok = false
      problems.push(read.problem)
    }
  }
  // Every byte belongs to a block, its trailer or the footer (when the index could be read).
  if (!indexRead.problem && problems.length === 0) {
    let at = 0
    for (const block of [...covered].sort((a, b) => a.offset - b.offset)) {
      if (block.offset !== at) {
        problems.push(`bytes ${at}–${block.offset} belong to no block`)
        break
      }
      at = block.offset + block.size + TRAILER
    }
    if (problems.length === 0 && at !== footerAt) problems.push(`bytes ${at}–${footerAt} belong to no block`)
  }
  return { problems, blocks }
}

/** The entries of the table's sound data blocks (for repair); `dropped` counts the blocks left out. */
export function tableEntries(file: Uint8Array): { entries: Entry[]; droppedBlocks: number; usable: boolean } {
  const check = checkTable(file)
  if (check.blocks.length === 0) return { entries: [], droppedBlocks: 0, usable: false }
  const entries: Entry[] = []
  let droppedBlocks = 0
  for (const block of check.blocks) {
    const read = block.ok ? readBlock(file, block, 'the data block') : { contents: undefined }
    if (!read.contents) {
      droppedBlocks++
      continue
    }
    try {
      for (const { key, value } of parseBlock(read.contents)) entries.push({ ...parseInternalKey(key), value })
    } catch {
      droppedBlocks++ // passed its checksum but does not parse: written so by a broken writer; left out
    }
  }
  return { entries, droppedBlocks, usable: true }
}
