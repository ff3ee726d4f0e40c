/**
 * Re-verifying a running store's tables (a scrub): LevelDB checks no block checksum on reads here
 * (leveldown has no `verify_checksums`, leveldb-folder.ts), and the check before opening covers the
 * files as they were then. While the store serves, every table its folders' MANIFESTs list is read
 * again and every block's CRC32C checked (leveldb-format.ts `checkTable`), one table at a time with
 * a pause after each, so that the store's event loop and the machine's cores stay free.
 *
 * Only tables: they never change once LevelDB lists them (compaction writes new ones and deletes
 * old ones, so a table that vanished meanwhile is skipped). The write-ahead log and the MANIFEST are
 * appended to while the store runs; the check at the next start verifies them.
 */
import { type Dirent, promises as fs } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { COPIES_DIR } from './damage'
import { fileName, replayManifest } from './leveldb-folder'
import { checkTable, Corruption } from './leveldb-format'

export interface ScrubReport {
  /** Tables read and verified. */
  tables: number
  bytes: number
  /** `<folder>: table <file>: <what>` for each problem; empty when every table is sound. */
  problems: string[]
}

export interface ScrubOptions {
  signal?: AbortSignal
  /** After each table, wait this many times the time it took (the scrub's share of a core: 1 / (1 + n)). Default 3. */
  pauseFactor?: number
}

const missing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT'

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(path)
  } catch (error) {
    if (missing(error)) return undefined
    throw error
  }
}

/** Every table of every LevelDB folder of `dataDir`, verified; never writes. */
export async function scrubTables(dataDir: string, options: ScrubOptions = {}): Promise<ScrubReport> {
  const report: ScrubReport = { tables: 0, bytes: 0, problems: [] }
  const factor = options.pauseFactor ?? 3
  let entries: Dirent[]
  try {
    entries = await fs.readdir(dataDir, { withFileTypes: true })
  } catch (error) {
    if (missing(error)) return report
    throw error
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === COPIES_DIR) continue
    const dir = join(dataDir, entry.name)
    const current = (await readIfPresent(join(dir, 'CURRENT')))?.toString('latin1')
    if (!current?.endsWith('\n')) continue
    const manifestBytes = await readIfPresent(join(dir, current.slice(0, -1)))
    if (!manifestBytes) continue // replaced meanwhile (LevelDB writes a new one at open only)
    let tables: Map<number, number>
    try {
      tables = replayManifest(manifestBytes).tables
    } catch (error) {
      if (!(error instanceof Corruption)) throw error
      report.problems.push(`${entry.name}: ${current.slice(0, -1)} is corrupt: ${error.message}`)
      continue
    }
    for (const [number, size] of tables) {
      options.signal?.throwIfAborted()
      const started = performance.now()
      const name = fileName(number, 'ldb')
      const bytes = (await readIfPresent(join(dir, name))) ?? (await readIfPresent(join(dir, fileName(number, 'sst'))))
      if (!bytes) continue // compacted away since the MANIFEST was read
      report.tables++
      report.bytes += bytes.length
      if (bytes.length !== size) report.problems.push(`${entry.name}: table ${name} has ${bytes.length} bytes instead of ${size} (truncated or overwritten)`)
      else for (const problem of checkTable(bytes).problems) report.problems.push(`${entry.name}: table ${name}: ${problem}`)
      await sleep(Math.min(5_000, (performance.now() - started) * factor), undefined, options.signal ? { signal: options.signal } : {})
    }
  }
  return report
}
