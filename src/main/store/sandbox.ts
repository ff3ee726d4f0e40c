/**
 * Design-document functions compiled once each in a VM context of their own (no access to the
 * server's objects): documents enter and results leave as JSON. Not strict mode, as CouchDB runs
 * view code: the old Stats2's views assign to undeclared variables.
 */
import vm from 'node:vm'

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
export function compile(source: string): JsonCall {
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

/**
 * Several map functions over one serialised document (the one-pass index build): each parses it
 * for itself, so one map's changes to the document never reach another. A map that throws emits
 * nothing for that document (`undefined`) and is reported to `onError`, as in the per-view update.
 */
export function compileMaps(sources: readonly string[], onError: (error: unknown) => void): (json: string) => Array<Array<[unknown, unknown]> | undefined> {
  const calls = sources.map(compile)
  return (json) => calls.map((call) => {
    try {
      return (JSON.parse(call(json)) as { e: Array<[unknown, unknown]> }).e
    } catch (error) {
      onError(error)
      return undefined
    }
  })
}
