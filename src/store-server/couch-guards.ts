/**
 * Guards for the routes of express-pouchdb 4.2.0 (on pouchdb 9) that take the whole process down
 * or brick the server, found by probing every route with bad input:
 *
 * - `PUT /<newdb>` by a non-admin once an admin exists: the security wrapper hands the route a
 *   promise instead of a database and `db.info is not a function` is thrown in a callback (crash).
 * - `DELETE /<db>` by a non-admin: answers 401, but the rejection poisons express-pouchdb's global
 *   create/delete queue, so every later request to any database throws (unhandled rejection: crash).
 * - `PUT /a%25zz` (a name that is not valid URI encoding once decoded): created, after which the
 *   decodeURIComponent in `allDbs` throws on every request, on every later start too.
 * - `POST /_replicate` by anyone: creates databases and copies documents without an admin.
 * - `_changes` with a failing filter (`filter=_design`, a missing design doc or filter function, a
 *   filter that throws, `filter=_doc_ids` without ids, `filter=_view` with a missing view): the
 *   error is re-emitted on an EventEmitter that nobody listens to (crash). A filter (or the map
 *   function of `filter=_view`) that does not compile, or a name with two slashes, throws inside a
 *   callback instead (crash too, and the request hangs): checked here before PouchDB sees it.
 * - `_list` with a missing list function (crash); list functions (with `_show`, `_update`,
 *   `_rewrite`) are switched off instead, and answered 404 by couch-access.ts.
 * - Errors thrown synchronously in a route (`_bulk_docs` with `"docs": 5`, a `_temp_view` that does
 *   not compile) come back as Express's HTML error page.
 */
import { type ErrorRequestHandler, type Request, type RequestHandler } from 'express'
import { type Logger } from '../main/log/logger'
import { isInternalMessage, SAFE_BAD_REQUEST } from './couch-answers'
import { sandboxedFilter, sandboxedViewFilter } from './design-functions'
import { FunctionTimeoutError } from './sandbox'
import { sendCouchJson } from './couch-json'

/** CouchDB's rule for database names, minus `/` (express-pouchdb strips it from file names). */
export const DB_NAME_PATTERN = /^[a-z][a-z0-9_$()+-]*$/
const SYSTEM_DBS = new Set(['_users', '_replicator', '_global_changes'])

interface CouchSession {
  userCtx?: { name?: string | null; roles?: string[] }
}

type SessionRequest = Request & { couchSession?: CouchSession }

function isServerAdmin(req: SessionRequest): boolean {
  return req.couchSession?.userCtx?.roles?.includes('_admin') === true
}

/** A design document of a database of this server; undefined if the database or document is missing. */
export type DesignDocLookup = (db: string, id: string) => Promise<Record<string, unknown> | undefined>

interface Problem {
  status: number
  body: Record<string, unknown>
}

const notFound = (reason: string): Problem => ({ status: 404, body: { error: 'not_found', reason } })

/** PouchDB's parseDdocFunctionName, which returns null (and then crashes) for `a/b/c`. */
function ddocFunctionName(value: string): [string, string] | undefined {
  const parts = value.split('/')
  if (parts.length === 1) return [value, value]
  if (parts.length === 2 && parts[0] && parts[1]) return [parts[0], parts[1]]
  return undefined
}

/** The filter (or view) compiled in the sandbox (design-functions.ts), which PouchDB then calls instead of compiling its own. */
function compiledFilter(kind: 'filter' | 'view', name: string, source: string): Problem | { filter: (doc: unknown, req: unknown) => boolean } {
  try {
    return { filter: kind === 'filter' ? sandboxedFilter(name, source) : sandboxedViewFilter(name, source) }
  } catch (error) {
    if (error instanceof FunctionTimeoutError) return { status: 500, body: { error: error.name, reason: error.message } }
    const message = error instanceof Error ? error.message : String(error)
    return { status: 400, body: { error: 'compilation_error', reason: `The ${kind} function ${name} does not compile: ${message}` } }
  }
}

async function changesFilter(db: string, query: Request['query'], lookup: DesignDocLookup): Promise<Problem | { filter: (doc: unknown, req: unknown) => boolean } | undefined> {
  const filter = String(query.filter)
  // The built-in filters go to PouchDB (their ids or selector may be in a POST body, not parsed
  // yet). Without them, and for `_design`, PouchDB looks for a design doc of that name and answers
  // 404, which guardChangesFeed keeps from crashing.
  if (filter === '_doc_ids' || filter === '_selector' || filter === '_design') return undefined
  const isView = filter === '_view'
  const target = isView ? (query.view === undefined ? '' : String(query.view)) : filter
  if (isView && !target) return { status: 400, body: { error: 'bad_request', reason: '`view` filter parameter not found or invalid.' } }
  const parsed = ddocFunctionName(target)
  if (!parsed) {
    return { status: 400, body: { error: 'bad_request', reason: `Invalid ${isView ? 'view' : 'filter'} name '${target}': use designname/functionname.` } }
  }
  const [ddocName, functionName] = parsed
  const ddoc = await lookup(db, `_design/${ddocName}`)
  if (!ddoc) return notFound('missing')
  const section = ddoc[isView ? 'views' : 'filters'] as Record<string, unknown> | undefined
  const member = section?.[functionName]
  const source = isView ? (member as { map?: unknown } | undefined)?.map : member
  if (typeof source !== 'string') return notFound(`missing json key: ${section ? functionName : isView ? 'views' : 'filters'}`)
  return compiledFilter(isView ? 'view' : 'filter', `${ddocName}/${functionName}`, source)
}

/**
 * Runs after express-pouchdb's authentication (so `req.couchSession` is known) and before its routes.
 */
export function couchGuard(lookup: DesignDocLookup): RequestHandler {
  return (req: SessionRequest, res, next) => {
    let segments: string[]
    try {
      segments = req.path.split('/').slice(1).map((part) => decodeURIComponent(part))
    } catch {
      return sendCouchJson(res, 400, { error: 'bad_request', reason: 'The path is not valid percent-encoding.' })
    }
    if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop()
    const [first = ''] = segments

    // Creating and deleting databases: server admins only, as in CouchDB (DELETE /_session is the
    // logout; PUT /_session would reach the create-database route).
    const isLogout = first === '_session' && req.method === 'DELETE'
    if (segments.length === 1 && first !== '' && !isLogout && (req.method === 'PUT' || req.method === 'DELETE')) {
      if (!isServerAdmin(req)) {
        return sendCouchJson(res, 401, { error: 'unauthorized', reason: 'You are not a server admin.' })
      }
      if (req.method === 'PUT' && !SYSTEM_DBS.has(first) && !DB_NAME_PATTERN.test(first)) {
        return sendCouchJson(res, 400, {
          error: 'illegal_database_name',
          reason:
            `Name: '${first}'. Only lowercase characters (a-z), digits (0-9), and any of the characters ` +
            '_, $, (, ), +, and - are allowed. Must begin with a letter.'
        })
      }
    }
    if (first === '_replicate' && !isServerAdmin(req)) {
      return sendCouchJson(res, 401, { error: 'unauthorized', reason: 'You are not a server admin.' })
    }
    if (segments.length === 2 && segments[1] === '_changes' && req.query.filter !== undefined && !first.startsWith('_')) {
      changesFilter(first, req.query, lookup).then(
        (found) => {
          if (found && 'status' in found) return sendCouchJson(res, found.status, found.body)
          if (found) {
            // PouchDB calls a filter given as a function as it is (no compiling, no design-doc lookup).
            const query = req.query as Record<string, unknown>
            query.filter = found.filter
            delete query.view
          }
          next()
        },
        () => next() // could not look: let express-pouchdb answer
      )
      return
    }
    next()
  }
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * The server listens on 127.0.0.1 only; refusing other Host names as well keeps web pages from
 * reaching it through DNS rebinding (a page's own host name resolving to 127.0.0.1).
 */
export function localHostOnly(): RequestHandler {
  return (req, res, next) => {
    const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '')
    if (host === '' || LOCAL_HOSTS.has(host)) return next()
    sendCouchJson(res, 403, { error: 'forbidden', reason: `The embedded store only answers requests for 127.0.0.1, not '${host}'.` })
  }
}

interface ChangesLike {
  on?: (event: string, listener: (...args: unknown[]) => void) => unknown
}
interface ChangesOwner {
  changes?: ((...args: unknown[]) => ChangesLike) & { stats2Guarded?: boolean }
}

const ignore = (): void => undefined

/**
 * Installed last on every database express-pouchdb wraps: gives each changes feed an 'error'
 * listener, so a failing feed only rejects its promise (which the route turns into a JSON error)
 * instead of throwing "Unhandled 'error' event".
 */
export function guardChangesFeed(db: ChangesOwner): void {
  const inner = db.changes
  if (typeof inner !== 'function' || inner.stats2Guarded) return
  const guarded = function (this: unknown, ...args: unknown[]): ChangesLike {
    const feed = inner.apply(this, args)
    if (feed && typeof feed.on === 'function') feed.on('error', ignore)
    return feed
  } as NonNullable<ChangesOwner['changes']>
  guarded.stats2Guarded = true
  db.changes = guarded
}

/** Errors thrown inside routes: CouchDB-style JSON instead of Express's HTML page. */
export function couchErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const err = (error ?? {}) as { status?: unknown; statusCode?: unknown; message?: unknown; name?: unknown }
    const raw = typeof err.status === 'number' ? err.status : typeof err.statusCode === 'number' ? err.statusCode : 500
    const status = raw >= 400 && raw < 600 ? raw : 500
    const message = typeof err.message === 'string' && err.message ? err.message : String(error)
    log.debug(`${req.method} ${req.originalUrl} failed (${status}): ${message}`)
    if (res.headersSent) {
      res.end()
      return
    }
    // JavaScript's own messages (a TypeError in a route) are not for callers.
    if (isInternalMessage(message)) return sendCouchJson(res, 400, SAFE_BAD_REQUEST)
    sendCouchJson(res, status, { error: status < 500 ? 'bad_request' : 'unknown_error', reason: message })
  }
}

/**
 * Map and reduce functions that throw are reported by PouchDB as an 'error' event on the database,
 * or on the console when nobody listens. This listener logs each distinct failure once.
 */
export function viewErrorReporter(log: Logger): (dbName: string, error: unknown) => void {
  const seen = new Set<string>()
  return (dbName, error) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    const key = `${dbName}\u0000${message}`
    if (seen.has(key)) return
    if (seen.size > 200) seen.clear()
    seen.add(key)
    log.warn(`A map/reduce function of database ${dbName} failed: ${message.split('\n')[0]}`)
  }
}
