/**
 * PouchDB's map/reduce for the embedded server, with the design documents' functions run in a VM
 * sandbox like pouchdb-mapreduce does — but compiled once per function instead of building a new
 * VM context for every document (which made indexing a 200 000-workflow store take most of an
 * hour). Each function gets its own empty context; documents enter and results leave it as JSON,
 * so view code never touches the server's objects. Not strict mode, as CouchDB runs view code:
 * the old Stats2's views assign to undeclared variables.
 */
import vm from 'node:vm'
import createAbstractMapReduce from 'pouchdb-abstract-mapreduce'
import { NotFoundError } from 'pouchdb-mapreduce-utils'

type Emit = (key: unknown, value: unknown) => void
type JsonCall = (...jsonArgs: Array<string | undefined>) => string

const SANDBOX_PRELUDE = `
var __emitted = [];
function emit(key, value) { __emitted.push([key, value === undefined ? null : value]); }
function log() {}
function sum(values) { var total = 0; for (var i = 0; i < values.length; i++) total += values[i]; return total; }
var isArray = Array.isArray;
var toJSON = JSON.parse;
`

const compiled = new Map<string, JsonCall>()

/** The function in `source`, compiled in a fresh context, called with JSON arguments; answers JSON `{r, e}`. */
function compile(source: string): JsonCall {
  const cached = compiled.get(source)
  if (cached) return cached
  const context = vm.createContext(Object.create(null) as object)
  const script = new vm.Script(
    `${SANDBOX_PRELUDE}
var __fun = (${source.replace(/;\s*$/, '')});
(function (a, b, c) {
  __emitted = [];
  var result = __fun(a === undefined ? undefined : JSON.parse(a), b === undefined ? undefined : JSON.parse(b), c === undefined ? undefined : JSON.parse(c));
  return JSON.stringify({ r: result === undefined ? null : result, e: __emitted });
})`,
    { filename: 'design-document-function.js' }
  )
  const call = script.runInContext(context) as JsonCall
  compiled.set(source, call)
  return call
}

function json(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value)
}

function sandboxed(source: string, emit?: Emit): (a?: unknown, b?: unknown, c?: unknown) => unknown {
  const call = compile(source)
  return (a, b, c) => {
    const out = JSON.parse(call(json(a), json(b), json(c))) as { r: unknown; e: Array<[unknown, unknown]> }
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
  return sandboxed(String(mapFun), emit)
}

function reducer(reduceFun: unknown): (keys: unknown, values: unknown, rereduce?: boolean) => unknown {
  const source = String(reduceFun).trim()
  const name = /^_[a-z]+/.exec(source)?.[0]
  if (name) {
    const builtIn = BUILT_IN_REDUCE[name]
    if (!builtIn) throw new Error(`${source} is not a supported reduce function.`)
    return builtIn as (keys: unknown, values: unknown) => unknown
  }
  return sandboxed(source)
}

function ddocValidator(ddoc: { _id: string; views?: Record<string, { map?: unknown }> }, viewName: string): void {
  const view = ddoc.views?.[viewName]
  if (typeof view?.map !== 'string') {
    throw new NotFoundError(`ddoc ${ddoc._id} has no string view named ${viewName}, instead found object of type: ${typeof view?.map}`)
  }
}

// Same local document name as pouchdb-mapreduce: indexes built by either stay valid.
const abstract = createAbstractMapReduce('mrviews', mapper, reducer, ddocValidator)

/** The PouchDB plugin: `query` and `viewCleanup`, as pouchdb-mapreduce provides them. */
export const SandboxedMapReduce = {
  query(this: unknown, fun: unknown, opts: unknown, callback: unknown): unknown {
    return abstract.query.call(this, fun, opts, callback)
  },
  viewCleanup(this: unknown, callback: unknown): unknown {
    return abstract.viewCleanup.call(this, callback)
  }
}
