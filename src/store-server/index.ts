/**
 * The embedded CouchDB-protocol store server's public entry: the only file of src/store-server the
 * product (src/main) may import (scripts/eslint-layers.mjs). Everything else in this folder is the
 * server's own business. The product runs the store in a supervised process of its own
 * (`startStoreProcess`); `startEmbeddedCouch` serves it in the calling process (tests, benchmarks).
 */
export { startEmbeddedCouch, type EmbeddedCouch, type EmbeddedCouchOptions } from './embedded-couch'
export { EmbeddedCouchError } from './errors'
export { StoreInUseError } from './store-lock'
export { StoreDamagedError } from './check/damage'
export { checkStore, repairStore, type FolderReport, type StoreReport } from './check/store-check'
export {
  startStoreProcess, type StoreProcess, type StoreProcessSettings, type StoreProcessState
} from './process/store-process'
export type { StoreUsage } from './process/protocol'
