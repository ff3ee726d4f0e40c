/**
 * `<dataDir>/store-manifest.json`, written when the embedded store closes cleanly: which databases
 * the store held, with their document counts and update sequences, the view index folders, the
 * feed checkpoint and the time. It is the proof that a database existed: one listed here (with
 * documents) whose folder is gone or empty is damage, never a new database (damage.ts).
 *
 * After an unclean stop the manifest is simply older than the data: counts may differ either way
 * and mean nothing; only a database's absence counts. `stats2 store repair` rewrites it when the
 * operator accepts a loss.
 */
import { promises as fs } from 'node:fs'
import { join } from 'node:path'

export const STORE_MANIFEST = 'store-manifest.json'
const FORMAT = 1

export interface ManifestDatabase {
  docCount: number
  updateSeq: number | string
}

export interface StoreManifest {
  format: typeof FORMAT
  /** ISO time of the clean close that wrote it. */
  closedAt: string
  databases: Record<string, ManifestDatabase>
  /** View index folders (`<db>-mrview-…`) present at close. */
  indexes: string[]
  /** `last_reqmgr_sequence` of `settings/all_settings` at close, when set. */
  checkpoint?: string | number
}

export type ManifestRead = { manifest: StoreManifest; problem?: undefined } | { manifest?: undefined; problem?: string }

function isManifest(value: unknown): value is StoreManifest {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Partial<StoreManifest>
  if (m.format !== FORMAT || typeof m.closedAt !== 'string' || !Array.isArray(m.indexes) || typeof m.databases !== 'object' || m.databases === null) return false
  return Object.values(m.databases).every((db) => typeof db?.docCount === 'number' && (typeof db.updateSeq === 'number' || typeof db.updateSeq === 'string'))
}

/** The manifest, none (a new folder, or one from before manifests), or why it cannot be used. */
export async function readStoreManifest(dataDir: string): Promise<ManifestRead> {
  let text: string
  try {
    text = await fs.readFile(join(dataDir, STORE_MANIFEST), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    return { problem: `${STORE_MANIFEST} cannot be read: ${(error as Error).message}` }
  }
  try {
    const value: unknown = JSON.parse(text)
    if (isManifest(value)) return { manifest: value }
  } catch {
    // reported below
  }
  return { problem: `${STORE_MANIFEST} is not a store manifest (damaged?); it is ignored` }
}

/** Writes the manifest atomically: a temporary file, flushed, then renamed over the old one. */
export async function writeStoreManifest(dataDir: string, manifest: Omit<StoreManifest, 'format'>): Promise<void> {
  const path = join(dataDir, STORE_MANIFEST)
  const temp = `${path}.${process.pid}.tmp`
  const handle = await fs.open(temp, 'w', 0o600)
  try {
    await handle.writeFile(JSON.stringify({ format: FORMAT, ...manifest }, null, 1) + '\n')
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.rename(temp, path)
}

/** Removes `names` from the manifest, if there is one (a database deleted on purpose, a loss accepted by repair). */
export async function forgetInManifest(dataDir: string, names: string[]): Promise<void> {
  const read = await readStoreManifest(dataDir)
  if (!read.manifest || !names.some((name) => name in read.manifest.databases)) return
  const { format: _format, ...rest } = read.manifest
  const databases = { ...rest.databases }
  for (const name of names) delete databases[name]
  await writeStoreManifest(dataDir, { ...rest, databases })
}
