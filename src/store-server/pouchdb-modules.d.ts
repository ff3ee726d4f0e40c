// The PouchDB server stack ships no type declarations; embedded-couch.ts describes the few members
// it uses with its own interfaces.
declare module 'express-pouchdb'
declare module 'pouchdb-core'
declare module 'pouchdb-adapter-leveldb'
declare module 'pouchdb-adapter-memory'
declare module 'pouchdb-replication'
declare module 'express-pouchdb/lib/create-or-delete-dbs' {
  /** The cached PouchDB instance express-pouchdb's routes use for that database. */
  export function getOrCreateDB(PouchDB: unknown, name: string): Promise<unknown>
}
declare module 'pouchdb-abstract-mapreduce' {
  interface AbstractMapReduce {
    query: { call(self: unknown, fun: unknown, opts: unknown, callback: unknown): unknown }
    viewCleanup: { call(self: unknown, callback?: unknown): unknown }
  }
  export default function createAbstractMapReduce(
    localDocName: string,
    mapper: (mapFun: unknown, emit: (key: unknown, value: unknown) => void) => (doc: unknown) => unknown,
    reducer: (reduceFun: unknown) => (keys: unknown, values: unknown, rereduce?: boolean) => unknown,
    ddocValidator: (ddoc: never, viewName: string) => void
  ): AbstractMapReduce
}
declare module 'pouchdb-mapreduce-utils' {
  export class NotFoundError extends Error {}
  export class QueryParseError extends Error {}
  export class BuiltInError extends Error {}
}
