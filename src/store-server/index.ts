/**
 * The embedded CouchDB-protocol store server's public entry: the only file of src/store-server the
 * product (src/main) may import (scripts/eslint-layers.mjs). Everything else in this folder is the
 * server's own business. The product runs the store in a supervised process of its own
 * (`startStoreProcess`, src/store-server/main.ts); the server itself (`startEmbeddedCouch` in
 * embedded-couch.ts) serves in the calling process for tests and benchmarks only. Nothing here loads
 * PouchDB into the product's process until `stats2 store check|repair` asks for it (storeCheck).
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { helperProgram } from '../main/util/helper-program'
import type * as StoreCheckModule from './check/store-check'
import type { StoreReport } from './check/store-check'

export type { EmbeddedCouch, EmbeddedCouchOptions } from './embedded-couch'
export { EmbeddedCouchError } from './errors'
export { StoreInUseError } from './store-lock'
export { StoreDamagedError } from './check/damage'
export type { FolderReport, StoreReport } from './check/store-check'
export { startStoreProcess, type StoreProcess, type StoreProcessSettings, type StoreProcessState } from './process/store-process'
export type { StoreUsage } from './process/protocol'

type StoreCheck = typeof StoreCheckModule

/**
 * The check's module, loaded when asked for. A path the bundler cannot follow: built, it is its own
 * file beside the command (out/cli/store-check.cjs), so that the command's process loads PouchDB
 * only for `stats2 store check|repair` (about 30 MB otherwise kept by every `update`, `serve`, `ui`).
 */
async function storeCheck(): Promise<StoreCheck> {
  const program = helperProgram('store-check', join(__dirname, 'check', 'store-check.ts'), __filename)
  const module = (await import(/* @vite-ignore */ program.kind === 'built' ? pathToFileURL(program.path).href : program.path)) as StoreCheck & { default?: StoreCheck }
  return module.default ?? module
}

/** `stats2 store check`: each database of the folder, read with PouchDB in this process (see check/store-check.ts). */
export async function checkStore(dataDir: string): Promise<StoreReport> {
  return (await storeCheck()).checkStore(dataDir)
}

/** `stats2 store repair`: see check/store-check.ts. */
export async function repairStore(dataDir: string): Promise<StoreReport> {
  return (await storeCheck()).repairStore(dataDir)
}
