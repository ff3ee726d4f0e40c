/**
 * Design-document functions that PouchDB's plugins would run in the server's own realm and
 * without a deadline, run in the sandbox instead (sandbox.ts: a context of their own, JSON in and
 * out, CouchDB's `os_process_timeout`):
 *
 * - `validate_doc_update`: pouchdb-validation compiles it with couchdb-eval (`new Function` in the
 *   server's realm, where it could reach `process`); couchdb-eval's `evaluate` is replaced once per
 *   process. A thrown `{forbidden}` / `{unauthorized}` still becomes CouchDB's 403 / 401. The
 *   product's own `validate_write`, recognised by its exact text, stays on couchdb-eval: it runs on
 *   every write, and a sandboxed call costs about 0.1 ms (20 s over a 200 000-workflow first start).
 * - `_changes` filters (`filter=<ddoc>/<name>`, `filter=_view&view=<ddoc>/<view>`): PouchDB would
 *   compile them with `vm.runInNewContext` and call them without a deadline; the guard hands
 *   PouchDB the sandboxed function instead (couch-guards.ts).
 *
 * `_show`, `_list`, `_update` and `_rewrite` (couchdb-eval too) are not served at all (couch-guards.ts).
 */
import { compile, FunctionTimeoutError } from './sandbox'
import { VALIDATE_WRITE_FUNCTION } from '../shared/stats2-doc'

/** Functions the product itself writes, by exact text: trusted code, run as PouchDB runs it. */
const TRUSTED_SOURCES = new Set([VALIDATE_WRITE_FUNCTION])

const json = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value))

interface CouchEval {
  evaluate: ((requireContext: unknown, extraVars: unknown, program: string) => unknown) & { stats2Sandboxed?: boolean }
  /** What pouchdb-validation throws for a function that failed: its stack in the reason. */
  wrapExecutionError: (error: unknown) => unknown
}

/** An error whose `name` and `status` express-pouchdb answers as CouchDB's `error` and status. */
class CompilationError extends Error {
  override name = 'compilation_error'
  readonly status = 500
}

/** Replaces couchdb-eval's `evaluate` (used by pouchdb-validation) with the sandbox; once per process. */
export function sandboxValidateFunctions(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const couchEval = require('couchdb-eval') as CouchEval
  if (couchEval.evaluate.stats2Sandboxed) return
  const original = couchEval.evaluate
  const evaluate: CouchEval['evaluate'] = (designDoc, extraVars, program) => {
    if (TRUSTED_SOURCES.has(program)) return original(designDoc, extraVars, program)
    const id = String((designDoc as { _id?: unknown } | null)?._id ?? 'a design document')
    let call: ReturnType<typeof compile>
    try {
      call = compile(program)
    } catch (error) {
      throw new CompilationError(`The validate_doc_update function of ${id} does not compile: ${(error as Error).message ?? String(error)}`)
    }
    return (newDoc: unknown, oldDoc: unknown, userCtx: unknown, secObj: unknown): unknown =>
      (JSON.parse(call([json(newDoc), json(oldDoc), json(userCtx), json(secObj)], `the validate_doc_update function of ${id}`)) as { r: unknown }).r
  }
  evaluate.stats2Sandboxed = true
  couchEval.evaluate = evaluate
  // A deadline passes as it is: CouchDB's 500 os_process_error with its reason, no stack.
  const wrap = couchEval.wrapExecutionError
  couchEval.wrapExecutionError = (error) => (error instanceof FunctionTimeoutError ? error : wrap(error))
}

/** A `_changes` filter function (`function (doc, req)`), sandboxed, as PouchDB calls a filter given as a function. */
export function sandboxedFilter(name: string, source: string): (doc: unknown, req: unknown) => boolean {
  const call = compile(source)
  return (doc, req) => Boolean((JSON.parse(call([json(doc), json(req)], `the filter function ${name}`)) as { r: unknown }).r)
}

/** `filter=_view`: a change passes when the view's map emits anything for its document. */
export function sandboxedViewFilter(name: string, mapSource: string): (doc: unknown) => boolean {
  const call = compile(mapSource)
  return (doc) => (JSON.parse(call([json(doc)], `the map function ${name}`)) as { e: unknown[] }).e.length > 0
}
