/**
 * Which LevelDB folders of an embedded store's data folder are damaged, and which databases are
 * missing though they provably existed. The embedded server runs this before it opens anything,
 * and refuses to start on a damaged database instead of letting LevelDB recreate it empty (see
 * leveldb-folder.ts) or serving a block that fails its checksum (leveldb-format.ts).
 */
import { type Dirent, promises as fs } from 'node:fs'
import { join } from 'node:path'
import { checkLevelDbFolder, type LevelDbCheck } from './leveldb-folder'
import { feedCheckpoint } from './pouch-folder'
import { readStoreManifest, type StoreManifest } from './store-manifest'

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
  /**
   * A database that provably existed but whose folder is gone or holds no data: the proof, and the
   * document count the store manifest recorded (when it did).
   */
  lost?: { evidence: string; expected?: number }
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

/** The databases of Stats2 whose loss the checkpoint in `settings` proves. */
const FEED_DATABASE = 'requests'

/**
 * Every folder of the data folder checked (checkDataFolder), plus the databases that provably
 * existed but whose folder is gone or empty, as damaged: listed with documents in the store
 * manifest of the last clean close, or named by a view index folder that holds data, or (even
 * without a manifest, after a crash) `requests` while `settings` holds a feed checkpoint. Such a
 * database is never created afresh: the next update would start from the checkpoint and never
 * fetch the lost workflows again (issue 14, reproduction 3).
 */
export async function checkStoreFolders(dataDir: string): Promise<{ folders: FolderCheck[]; manifest?: StoreManifest; manifestProblem?: string }> {
  const folders = await checkDataFolder(dataDir)
  const read = await readStoreManifest(dataDir)
  const byName = new Map(folders.map((folder) => [folder.name, folder]))
  const absent = (name: string): boolean => {
    const folder = byName.get(name)
    return !folder || folder.state === 'new'
  }
  const lost = new Map<string, { evidence: string; expected?: number }>()
  const gone = (name: string): string => (byName.has(name) ? 'its folder holds no data' : 'its folder is gone')
  for (const [name, db] of Object.entries(read.manifest?.databases ?? {})) {
    if ((db.docCount > 0 || Number(db.updateSeq) > 0) && absent(name)) {
      lost.set(name, { evidence: `${gone(name)}, but the store manifest of the clean close at ${read.manifest?.closedAt} lists it with ${db.docCount} documents`, expected: db.docCount })
    }
  }
  for (const index of folders.filter((folder) => folder.kind === 'index' && folder.state !== 'new')) {
    const name = index.database as string
    if (absent(name) && !lost.has(name)) lost.set(name, { evidence: `${gone(name)}, but its view index ${index.name} holds data` })
  }
  const settings = byName.get('settings')
  if (absent(FEED_DATABASE) && !lost.has(FEED_DATABASE) && settings?.state === 'ok') {
    const checkpoint = await feedCheckpoint(settings.path)
    if (checkpoint !== undefined) {
      lost.set(FEED_DATABASE, { evidence: `${gone(FEED_DATABASE)}, but settings holds the ReqMgr2 feed checkpoint ${JSON.stringify(checkpoint)}: the store held workflows` })
    }
  }
  const result = folders.filter((folder) => !lost.has(folder.name))
  for (const [name, proof] of lost) {
    result.push({ name, path: join(dataDir, name), kind: 'database', state: 'damaged', problems: [`${proof.evidence}; Stats2 will not create it afresh`], dataFiles: [], lost: proof })
  }
  result.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { folders: result, manifest: read.manifest, manifestProblem: read.problem }
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
  const { folders } = await checkStoreFolders(dataDir)
  const damaged = folders.filter((folder) => folder.state === 'damaged')
  const databases = damaged.filter((folder) => folder.kind === 'database')
  if (databases.length > 0) throw new StoreDamagedError(dataDir, databases)
  return damaged
}
