/**
 * PouchDB's map/reduce for the embedded server, with the design documents' functions run in a VM
 * sandbox like pouchdb-mapreduce does — but compiled once per function instead of building a new
 * VM context for every document (which made indexing a 200 000-workflow store take most of an
 * hour; sandbox.ts). The views of a design document are indexed together, in one pass over the
 * changed documents (one-pass-index.ts).
 */
import createAbstractMapReduce from 'pouchdb-abstract-mapreduce'
import { BuiltInError, NotFoundError } from 'pouchdb-mapreduce-utils'
import { compile, FunctionTimeoutError } from './sandbox'
import { updateDesignDocument, type PouchLike } from './one-pass-index'
import { NOT_NATIVE, queryNative, type NativeDb } from './native-view-query'
import { cleanUpNative } from './native-view-index'
import { createLogger } from '../main/log/logger'

const log = createLogger('store')

type Emit = (key: unknown, value: unknown) => void

function json(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value)
}

function sandboxed(source: string, what: string, emit?: Emit): (a?: unknown, b?: unknown, c?: unknown) => unknown {
  const call = compile(source)
  return (a, b, c) => {
    const out = JSON.parse(call([json(a), json(b), json(c)], what)) as { r: unknown; e: Array<[unknown, unknown]> }
    if (emit) for (const [key, value] of out.e) emit(key, value)
    return out.r
  }
}

function total(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0)
}

const BUILT_IN_REDUCE: Record<string, (keys: unknown, values: number[]) => unknown> = {
  _sum: (_keys, values) => total(values),
  _count: (_keys, values) => values.length,
  _stats: (_keys, values) => ({
    sum: total(values),
    min: Math.min(...values),
    max: Math.max(...values),
    count: values.length,
    sumsqr: total(values.map((value) => value * value))
  })
}

function mapper(mapFun: unknown, emit: Emit): (doc: unknown) => unknown {
  // A temporary view given as a real function of (doc, emit).
  if (typeof mapFun === 'function' && mapFun.length === 2) return (doc) => (mapFun as (d: unknown, e: Emit) => unknown)(doc, emit)
  return sandboxed(String(mapFun), 'a map function', emit)
}

function reducer(reduceFun: unknown): (keys: unknown, values: unknown, rereduce?: boolean) => unknown {
  const source = String(reduceFun).trim()
  const name = /^_[a-z]+/.exec(source)?.[0]
  if (name) {
    const builtIn = BUILT_IN_REDUCE[name]
    if (!builtIn) throw new Error(`${source} is not a supported reduce function.`)
    return builtIn as (keys: unknown, values: unknown) => unknown
  }
  const reduce = sandboxed(source, 'a reduce function')
  return (keys, values, rereduce) => {
    try {
      return reduce(keys, values, rereduce)
    } catch (error) {
      if (!(error instanceof FunctionTimeoutError)) throw error
      // The abstract map/reduce answers null for a reduce that throws, and goes on with the next
      // group (another deadline each): a BuiltInError is the one error that fails the query.
      const fail = new BuiltInError(error.message)
      fail.name = error.name
      throw fail
    }
  }
}

function ddocValidator(ddoc: { _id: string; views?: Record<string, { map?: unknown }> }, viewName: string): void {
  const view = ddoc.views?.[viewName]
  if (typeof view?.map !== 'string') {
    throw new NotFoundError(`ddoc ${ddoc._id} has no string view named ${viewName}, instead found object of type: ${typeof view?.map}`)
  }
}

// Same local document name as pouchdb-mapreduce: indexes built by either stay valid.
const abstract = createAbstractMapReduce('mrviews', mapper, reducer, ddocValidator)

/** Per database and design document: the running index update, and the one queued after it. */
const updating = new Map<string, { running: Promise<Set<string>>; queued?: Promise<Set<string>> }>()

/**
 * Brings every view of the design document up to date in one pass (one-pass-index.ts); answers
 * the names of the views it updated. One update at a time; queries arriving meanwhile share the
 * next one. On any failure nothing is claimed, and the per-view update of the abstract map/reduce
 * does the work (and reports the error as it would).
 */
function updateAllViews(db: PouchLike, ddocName: string): Promise<Set<string>> {
  const key = `${db.name}\u0000${ddocName}`
  const update = async (): Promise<Set<string>> => {
    try {
      const createView = (view: string): Promise<unknown> => abstract.query.call(db, `${ddocName}/${view}`, { stale: 'ok', limit: 0 }, undefined) as Promise<unknown>
      const { views } = await updateDesignDocument(db, `_design/${ddocName}`, createView)
      return new Set(views)
    } catch (error) {
      // Past the deadline the per-view update would only run into it again, document after document.
      if (error instanceof FunctionTimeoutError) throw error
      if ((error as { status?: number }).status !== 404) log.warn(`one-pass index update of ${ddocName} failed, views update one by one: ${(error as Error).message}`)
      return new Set<string>()
    }
  }
  const state = updating.get(key)
  if (!state) {
    const running = update()
    const entry: { running: Promise<Set<string>>; queued?: Promise<Set<string>> } = { running }
    updating.set(key, entry)
    const next = (): void => {
      if (entry.queued) {
        entry.running = entry.queued
        entry.queued = undefined
        void entry.running.finally(next)
      } else {
        updating.delete(key)
      }
    }
    void running.finally(next)
    return running
  }
  // Writes after the running update started are not in it: share the one queued after it.
  state.queued ??= state.running.then(update, update)
  return state.queued
}

/**
 * CouchDB 3's `update` parameter, which PouchDB does not know: `update=false` answers from the
 * index as it is (`stale=ok`), `update=lazy` answers, then updates (`stale=update_after`). An
 * explicit `stale` wins.
 */
function withUpdateParam(opts: Record<string, unknown>): Record<string, unknown> {
  if (opts.stale !== undefined) return opts
  if (opts.update === false || opts.update === 'false') return { ...opts, stale: 'ok' }
  if (opts.update === 'lazy') return { ...opts, stale: 'update_after' }
  return opts
}

async function persistentQuery(db: PouchLike, fun: string, query: Record<string, unknown>): Promise<unknown> {
  const opts = withUpdateParam(query)
  // The embedded server's own index first (native-view-query.ts); what it does not do comes here.
  const native = await queryNative(db as unknown as NativeDb, fun, opts)
  if (native !== NOT_NATIVE) return native
  const [ddocName, viewName] = fun.includes('/') ? fun.split('/', 2) as [string, string] : [fun, fun]
  const stale = opts.stale
  if (stale === 'ok') return abstract.query.call(db, fun, opts, undefined)
  if (stale === 'update_after') {
    const answer = await (abstract.query.call(db, fun, { ...opts, stale: 'ok' }, undefined) as Promise<unknown>)
    void updateAllViews(db, ddocName)
    return answer
  }
  const updated = await updateAllViews(db, ddocName)
  if (!updated.has(viewName)) return abstract.query.call(db, fun, opts, undefined)
  return abstract.query.call(db, fun, { ...opts, stale: 'ok' }, undefined)
}

/**
 * The PouchDB plugin: `query` and `viewCleanup`, as pouchdb-mapreduce provides them, except that
 * a query of a design-document view is answered from the native index (native-view-index.ts)
 * where it can be, and otherwise first updates all views of that design document together;
 * cleanup also removes native indexes no design document needs any more.
 */
export const SandboxedMapReduce = {
  query(this: unknown, fun: unknown, opts: unknown, callback: unknown): unknown {
    const db = this as PouchLike & { _remote?: boolean }
    if (typeof opts === 'function') {
      callback = opts
      opts = {}
    }
    if (typeof fun !== 'string' || db._remote) return abstract.query.call(this, fun, opts, callback)
    const promise = persistentQuery(db, fun, (opts ?? {}) as Record<string, unknown>)
    if (typeof callback === 'function') {
      const done = callback as (error: unknown, result?: unknown) => void
      promise.then((result) => done(null, result), (error: unknown) => done(error))
    }
    return promise
  },
  viewCleanup(this: unknown, ...args: unknown[]): unknown {
    const callback = args.reverse().find((arg) => typeof arg === 'function') as ((error: unknown, result?: unknown) => void) | undefined
    const db = this as NativeDb & { _remote?: boolean }
    const promise = (abstract.viewCleanup.call(this) as Promise<unknown>).then(async (result) => {
      if (!db._remote) await cleanUpNative(db)
      return result
    })
    if (callback) promise.then((result) => callback(null, result), (error: unknown) => callback(error))
    return promise
  }
}

/** The per-view update alone (no one-pass build): the reference the one-pass build is tested against. */
export const PerViewMapReduce = {
  query(this: unknown, fun: unknown, opts: unknown, callback?: unknown): unknown {
    return abstract.query.call(this, fun, opts, callback)
  }
}
