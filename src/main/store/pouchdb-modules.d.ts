// The PouchDB server stack ships no type declarations; embedded-couch.ts describes the few members
// it uses with its own interfaces.
declare module 'express-pouchdb'
declare module 'pouchdb-core'
declare module 'pouchdb-adapter-leveldb'
declare module 'pouchdb-adapter-memory'
declare module 'pouchdb-mapreduce'
declare module 'pouchdb-replication'
declare module 'express-pouchdb/lib/create-or-delete-dbs' {
  /** The cached PouchDB instance express-pouchdb's routes use for that database. */
  export function getOrCreateDB(PouchDB: unknown, name: string): Promise<unknown>
}
