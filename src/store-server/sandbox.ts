/**
 * Design-document functions compiled once each in a VM context of their own (no access to the
 * server's objects): documents enter and results leave as JSON. Not strict mode, as CouchDB runs
 * view code: the old Stats2's views assign to undeclared variables.
 *
 * Every call into a context runs under a deadline (CouchDB's `os_process_timeout`, 5 s by
 * default; setFunctionTimeout): Node's `vm` stops only code entered through `runInContext` with a
 * `timeout`, so each call goes through one small script run that way. That costs a watchdog
 * thread per run (about 75 µs here), which is why maps are called once per page of documents
 * (compileMapPages), not once per document.
 */
import vm from 'node:vm'

/** CouchDB's default `os_process_timeout`. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 5_000

let functionTimeoutMs = DEFAULT_FUNCTION_TIMEOUT_MS

/** The deadline of every later call into a design-document function (process-wide, as the compiled functions are). */
export function setFunctionTimeout(ms: number): void {
  if (!Number.isInteger(ms) || ms < 1) throw new RangeError(`The function deadline must be a whole number of milliseconds ≥ 1, got ${String(ms)}`)
  functionTimeoutMs = ms
}

export function functionTimeout(): number {
  return functionTimeoutMs
}

/**
 * A design-document function ran past its deadline. `name` is CouchDB's error name for it (as in
 * its 500 `{"error":"os_process_error","reason":…}` answer); express-pouchdb answers `status`,
 * `name` and `message` as CouchDB does.
 */
export class FunctionTimeoutError extends Error {
  override name = 'os_process_error'
  readonly status = 500
  constructor(what: string, readonly ms: number) {
    super(`${what} ran past its deadline of ${ms} ms (os_process_timeout) and was stopped`)
  }
}

const isVmTimeout = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'

const SANDBOX_PRELUDE = `
var __emitted = [];
function emit(key, value) { __emitted.push([key, value === undefined ? null : value]); }
function log() {}
function sum(values) { var total = 0; for (var i = 0; i < values.length; i++) total += values[i]; return total; }
var isArray = Array.isArray;
var toJSON = JSON.parse;
`

/**
 * A context's script for the function in `source`: the prelude, the function as `__fun`, and as its
 * value a caller taking up to four JSON arguments and answering JSON `{r, e}` (result, emitted).
 */
export function functionScript(source: string): string {
  return `${SANDBOX_PRELUDE}
var __fun = (${source.replace(/;\s*$/, '')});
(function (a, b, c, d) {
  __emitted = [];
  var p = function (x) { return x === undefined ? undefined : JSON.parse(x); };
  var result = __fun(p(a), p(b), p(c), p(d));
  return JSON.stringify({ r: result === undefined ? null : result, e: __emitted });
})`
}

/**
 * Run in a function's context (after functionScript): a caller of `__fun` as a map over a JSON
 * array of documents, each parsed apart from the others, answering a JSON array with, per
 * document, its emitted `[key, value]` pairs or `{"error", "name"}` where the map threw.
 */
export const BATCH_SCRIPT = `(function (docsJson) {
  var docs = JSON.parse(docsJson);
  var out = new Array(docs.length);
  for (var i = 0; i < docs.length; i++) {
    try {
      __emitted = [];
      __fun(docs[i], undefined, undefined);
      out[i] = JSON.stringify(__emitted);
    } catch (error) {
      out[i] = JSON.stringify({ error: String(error && error.message !== undefined ? error.message : error), name: String(error && error.name || 'Error') });
    }
  }
  return '[' + out.join(',') + ']';
})`

/** The only way into a context: `__stats2_enter` (set by the caller) applied to `__stats2_args`. */
const ENTER = new vm.Script('__stats2_enter.apply(null, __stats2_args)', { filename: 'design-document-call.js' })

/** Calls `fn` (a function of `context`) with `args`, stopped at the deadline. */
function callTimed(context: vm.Context, fn: unknown, args: unknown[], what: string): string {
  const scope = context as Record<string, unknown>
  scope.__stats2_enter = fn
  scope.__stats2_args = args
  try {
    return ENTER.runInContext(context, { timeout: functionTimeoutMs }) as string
  } catch (error) {
    if (isVmTimeout(error)) throw new FunctionTimeoutError(what, functionTimeoutMs)
    throw error
  } finally {
    scope.__stats2_enter = undefined
    scope.__stats2_args = undefined
  }
}

/** A compiled function: JSON arguments in, JSON `{r, e}` out; `what` names it in a timeout's reason. */
export type SandboxCall = (jsonArgs: ReadonlyArray<string | undefined>, what?: string) => string

const compiled = new Map<string, { context: vm.Context; call: SandboxCall }>()
const batches = new Map<string, (docsJson: string, what: string) => string>()

/**
 * The function in `source`, compiled in a fresh context, called with JSON arguments under the
 * deadline; answers JSON `{r, e}` (its result, what it emitted). Past the deadline it throws
 * FunctionTimeoutError; what the function throws is thrown as it is.
 */
export function compile(source: string): SandboxCall {
  return compiledEntry(source).call
}

function compiledEntry(source: string): { context: vm.Context; call: SandboxCall } {
  const cached = compiled.get(source)
  if (cached) return cached
  const context = vm.createContext(Object.create(null) as object)
  const script = new vm.Script(functionScript(source), { filename: 'design-document-function.js' })
  // Compiling evaluates the function's expression (which could be a call that never returns).
  let fn: unknown
  try {
    fn = script.runInContext(context, { timeout: functionTimeoutMs })
  } catch (error) {
    if (isVmTimeout(error)) throw new FunctionTimeoutError('compiling a design-document function', functionTimeoutMs)
    throw error
  }
  const entry = { context, call: ((jsonArgs, what = 'a design-document function') => callTimed(context, fn, [...jsonArgs], what)) as SandboxCall }
  compiled.set(source, entry)
  return entry
}

/**
 * The map function in `source` (in the same context as compile's) over a JSON array of documents,
 * each parsed apart from the others: answers a JSON array with, per document, its emitted
 * `[key, value]` pairs, or `{"error": message}` where the map threw (or its output is not JSON).
 * One call into the context per page of documents instead of one per document, under one deadline.
 */
function compileBatch(source: string): (docsJson: string, what: string) => string {
  const cached = batches.get(source)
  if (cached) return cached
  const { context } = compiledEntry(source)
  const script = new vm.Script(BATCH_SCRIPT, { filename: 'design-document-function.js' })
  const fn = script.runInContext(context) as unknown
  const batch = (docsJson: string, what: string): string => callTimed(context, fn, [docsJson], what)
  batches.set(source, batch)
  return batch
}

const PROTOTYPE_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__'])

/**
 * The top-level fields of its document a map function can observe, or undefined when it may
 * observe the whole document. Conservative: the parameter must appear only as `doc.Field` (or
 * `doc?.Field`), never bare (passed on, enumerated, stringified, assigned), and the source must not
 * use `arguments`, `eval` or unicode escapes; a field named like an Object.prototype member (which
 * could look at the other fields, as `doc.hasOwnProperty(...)` does) counts as the whole document.
 */
export function observedFields(source: string): string[] | undefined {
  const header = /^\s*function\s*[\w$]*\s*\(\s*([A-Za-z_$][\w$]*)\s*\)/.exec(source)
  if (!header) return undefined
  const body = source.slice(header[0].length)
  if (/\b(arguments|eval)\b/.test(body) || body.includes('\\u')) return undefined
  const param = header[1]!.replace(/\$/g, '\\$')
  const occurrence = new RegExp(`(?<![\\w$.])${param}(?![\\w$])`, 'g')
  const fields = new Set<string>()
  for (const match of body.matchAll(occurrence)) {
    const access = /^\s*\??\.\s*([A-Za-z_$][\w$]*)/.exec(body.slice(match.index + match[0].length))
    if (!access || PROTOTYPE_NAMES.has(access[1]!)) return undefined
    fields.add(access[1]!)
  }
  return [...fields]
}

type PageResults = Array<Array<Array<[unknown, unknown]> | undefined>>

/**
 * What the map functions of a page read: per map, the page as JSON, each document cut down to the
 * top-level fields that map observes (observedFields) — it cannot tell the difference, and the
 * large fields it never reads (a workflow's history) are not serialised and parsed seven times.
 */
function pageReader(sources: readonly string[]): (docs: ReadonlyArray<Record<string, unknown>>) => string[] {
  const fields = sources.map(observedFields)
  const has = Object.prototype.hasOwnProperty
  return (docs) => {
    let whole: string | undefined
    return fields.map((wanted) => {
      if (!wanted) return (whole ??= JSON.stringify(docs))
      return JSON.stringify(docs.map((doc) => {
        const part: Record<string, unknown> = {}
        for (const field of wanted) if (has.call(doc, field)) part[field] = doc[field]
        return part
      }))
    })
  }
}

/** One map's answer for a page (BATCH_SCRIPT's) into `out[d][m]`; a document where it threw gets `undefined`, reported to `onError`. */
function collect(out: PageResults, m: number, resultsJson: string, onError: (error: unknown) => void): void {
  const results = JSON.parse(resultsJson) as Array<Array<[unknown, unknown]> | { error: string; name: string }>
  results.forEach((result, d) => {
    if (Array.isArray(result)) {
      out[d]![m] = result
    } else {
      out[d]![m] = undefined
      const error = new Error(result.error)
      error.name = result.name
      onError(error)
    }
  })
}

const mapWhat = (names: readonly string[], m: number): string => `the map function ${names[m] ?? `#${m}`}`

/**
 * Several map functions over a page of documents (the PouchDB-format index build, one-pass-index.ts):
 * per document, per map, the emitted pairs or `undefined` where the map threw (reported to
 * `onError` as an Error with the map's name and message), as the per-view update does. Each map
 * parses its own copy of each document (pageReader), so one map's changes to a document never
 * reach another. One call per map and page, on this thread; a map past the deadline fails the
 * whole page (FunctionTimeoutError naming `names[m]`), so that no partial page is ever indexed.
 */
export function compileMapPages(sources: readonly string[], onError: (error: unknown) => void, names: readonly string[] = []): (docs: ReadonlyArray<Record<string, unknown>>) => PageResults {
  const calls = sources.map(compileBatch)
  const read = pageReader(sources)
  return (docs) => {
    const out: PageResults = docs.map(() => new Array<Array<[unknown, unknown]> | undefined>(calls.length))
    if (docs.length === 0) return out
    read(docs).forEach((json, m) => collect(out, m, calls[m]!(json, mapWhat(names, m)), onError))
    return out
  }
}

/**
 * compileMapPages run in a process of its own (map-process.ts: the native index build), one round
 * trip per page: the store's event loop keeps answering while a map runs, and a map that allocates
 * without end hits that process's memory limit instead of the store's. Each map is compiled here
 * first, so that one that does not compile throws at once (PouchDB's path then reports it).
 */
export function compileMapPagesInWorker(
  sources: readonly string[],
  onError: (error: unknown) => void,
  names: readonly string[],
  run: (maps: ReadonlyArray<{ source: string; json: string; what: string }>) => Promise<string[]>
): (docs: ReadonlyArray<Record<string, unknown>>) => Promise<PageResults> {
  sources.forEach(compileBatch)
  const read = pageReader(sources)
  return async (docs) => {
    const out: PageResults = docs.map(() => new Array<Array<[unknown, unknown]> | undefined>(sources.length))
    if (docs.length === 0) return out
    const pages = read(docs)
    const results = await run(sources.map((source, m) => ({ source, json: pages[m]!, what: mapWhat(names, m) })))
    results.forEach((json, m) => collect(out, m, json, onError))
    return out
  }
}
