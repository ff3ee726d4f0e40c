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
const contexts = new Map<string, vm.Context>()
const batches = new Map<string, (docsJson: string) => string>()

/** The function in `source`, compiled in a fresh context, called with JSON arguments; answers JSON `{r, e}`. */
export function compile(source: string): JsonCall {
  const cached = compiled.get(source)
  if (cached) return cached
  const context = vm.createContext(Object.create(null) as object)
  contexts.set(source, context)
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
 * The map function in `source` (in the same context as compile's) over a JSON array of documents,
 * each parsed apart from the others: answers a JSON array with, per document, its emitted
 * `[key, value]` pairs, or `{"error": message}` where the map threw (or its output is not JSON).
 * One call into the context per page of documents instead of one per document.
 */
function compileBatch(source: string): (docsJson: string) => string {
  const cached = batches.get(source)
  if (cached) return cached
  compile(source)
  const script = new vm.Script(
    `(function (docsJson) {
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
})`,
    { filename: 'design-document-function.js' }
  )
  const batch = script.runInContext(contexts.get(source)!) as (docsJson: string) => string
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

/**
 * Several map functions over one document (the one-pass index builds): each parses its own copy,
 * so one map's changes to the document never reach another. A map that reads only some top-level
 * fields (observedFields) gets a copy of just those: it cannot tell the difference, and the large
 * fields it never reads (a workflow's history) are not serialised and parsed seven times. A map
 * that throws emits nothing for that document (`undefined`) and is reported to `onError`, as in
 * the per-view update.
 */
export function compileMaps(sources: readonly string[], onError: (error: unknown) => void): (doc: Record<string, unknown>) => Array<Array<[unknown, unknown]> | undefined> {
  const calls = sources.map(compile)
  const fields = sources.map(observedFields)
  const has = Object.prototype.hasOwnProperty
  return (doc) => {
    let whole: string | undefined
    return calls.map((call, i) => {
      try {
        const wanted = fields[i]
        let json: string
        if (wanted) {
          const part: Record<string, unknown> = {}
          for (const field of wanted) if (has.call(doc, field)) part[field] = doc[field]
          json = JSON.stringify(part)
        } else {
          json = whole ??= JSON.stringify(doc)
        }
        return (JSON.parse(call(json)) as { e: Array<[unknown, unknown]> }).e
      } catch (error) {
        onError(error)
        return undefined
      }
    })
  }
}

/**
 * compileMaps for a page of documents (the native index build): per document, per map, the
 * emitted pairs or `undefined` where the map threw (reported to `onError` as an Error with the
 * map's name and message). Same copies and projections as compileMaps; one call per map and page.
 */
export function compileMapPages(sources: readonly string[], onError: (error: unknown) => void): (docs: ReadonlyArray<Record<string, unknown>>) => Array<Array<Array<[unknown, unknown]> | undefined>> {
  const calls = sources.map(compileBatch)
  const fields = sources.map(observedFields)
  const has = Object.prototype.hasOwnProperty
  return (docs) => {
    const out = docs.map(() => new Array<Array<[unknown, unknown]> | undefined>(calls.length))
    if (docs.length === 0) return out
    let whole: string | undefined
    calls.forEach((call, m) => {
      const wanted = fields[m]
      let json: string
      if (wanted) {
        json = JSON.stringify(docs.map((doc) => {
          const part: Record<string, unknown> = {}
          for (const field of wanted) if (has.call(doc, field)) part[field] = doc[field]
          return part
        }))
      } else {
        json = whole ??= JSON.stringify(docs)
      }
      const results = JSON.parse(call(json)) as Array<Array<[unknown, unknown]> | { error: string; name: string }>
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
    })
    return out
  }
}
