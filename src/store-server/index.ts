/**
 * The embedded CouchDB-protocol store server's public entry: the only file of src/store-server the
 * product (src/main) may import (scripts/eslint-layers.mjs). Everything else in this folder is the
 * server's own business.
 */
export { startEmbeddedCouch, EmbeddedCouchError, type EmbeddedCouch, type EmbeddedCouchOptions } from './embedded-couch'
export { StoreInUseError } from './store-lock'
export { StoreDamagedError } from './check/damage'
export { checkStore, repairStore, type FolderReport, type StoreReport } from './check/store-check'
