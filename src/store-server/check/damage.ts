/**
 * Which LevelDB folders of an embedded store's data folder are damaged. The embedded server runs
 * this before it opens anything, and refuses to start on a damaged database instead of letting
 * LevelDB recreate it empty (see leveldb-folder.ts).
 */
import { type Dirent, promises as fs } from 'node:fs'
import { join } from 'node:path'
import { checkLevelDbFolder, type LevelDbCheck } from './leveldb-folder'

/** Where `stats2 store repair` puts copies of damaged folders; not a database (a leading `_`). */
export const COPIES_DIR = '_damaged-copies'

export interface FolderCheck extends LevelDbCheck {
  /** The folder's name: the database's name, or `<db>-mrview-<hash>` for a view index. */
  name: string
  path: string
  /** A view index can be rebuilt from its database; a database cannot. */
  kind: 'database' | 'index'
  /** For an index: its database. */
  database?: string
}

export const isIndexFolder = (name: string): boolean => name.includes('-mrview-')

/** Every LevelDB folder of the data folder, checked (read only). An absent data folder has none. */
export async function checkDataFolder(dataDir: string): Promise<FolderCheck[]> {
  let entries: Dirent[]
  try {
    entries = await fs.readdir(dataDir, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const results: FolderCheck[] = []
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!entry.isDirectory() || entry.name === COPIES_DIR) continue
    const path = join(dataDir, entry.name)
    const index = isIndexFolder(entry.name)
    const check = await checkLevelDbFolder(path)
    results.push({
      ...check,
      name: entry.name,
      path,
      kind: index ? 'index' : 'database',
      database: index ? entry.name.slice(0, entry.name.indexOf('-mrview-')) : undefined
    })
  }
  return results
}

/** The embedded store refuses to open: one of its databases is damaged. Nothing was changed. */
export class StoreDamagedError extends Error {
  override name = 'StoreDamagedError'
  readonly code = 'store-damaged'
  constructor(
    readonly dataDir: string,
    readonly damaged: FolderCheck[]
  ) {
    const lines = damaged.map((folder) => `  ${folder.name}: ${folder.problems.join('; ')}`)
    super(
      `The store in ${dataDir} is damaged; it was not opened and no file was changed:\n${lines.join('\n')}\n` +
        'Run `stats2 store check` for a report, and `stats2 store repair` to copy the damaged folder aside ' +
        `(into ${join(dataDir, COPIES_DIR)}) and attempt LevelDB's repair; or restore a backup made with \`stats2 dump\`.`
    )
  }
}

/** Throws StoreDamagedError if a database of the data folder is damaged; damaged indexes are returned. */
export async function refuseDamagedStore(dataDir: string): Promise<FolderCheck[]> {
  const folders = await checkDataFolder(dataDir)
  const damaged = folders.filter((folder) => folder.state === 'damaged')
  const databases = damaged.filter((folder) => folder.kind === 'database')
  if (databases.length > 0) throw new StoreDamagedError(dataDir, databases)
  return damaged
}
