/**
 * Answers of the embedded server brought to what CouchDB 3 documents, for the calls McM, RelVal,
 * ReReco, pMp, PdmVWebCore and the old Stats2 maintenance scripts make (express-pouchdb differs):
 *
 * - `POST /{db}/_bulk_get`: one result per requested entry, `{"ok": doc}` or
 *   `{"error": {"id", "rev", "error": "not_found", "reason": "missing"|"deleted"}}` (express-pouchdb
 *   answered `{}` for a missing or deleted id and `{"missing": rev}` for a missing revision).
 * - `POST /{db}/_find`: `limit` defaults to 25, `bookmark` is returned and accepted (an opaque
 *   string; here it encodes how far the result went), `warning` when no index is used; run by
 *   find.ts (paged, bounded, RE2 for `$regex`, under the store's deadline).
 * - `limit`, `skip` that are not integers ≥ 0 answer 400 `query_parse_error`; `_changes` with a
 *   `since` that is not a sequence answers 400 `bad_request` (express-pouchdb ignored or echoed them).
 * - Error answers never carry JavaScript's internal messages ("x is not a function", "Cannot use
 *   'in' operator…"): express-pouchdb passes a TypeError's text on as the reason.
 *
 * Already as documented, and tested: `_all_docs` with `keys` (missing id → `{"key", "error":
 * "not_found"}`, deleted → `value.deleted: true` and `doc: null`), view queries with `keys` (no row
 * for a missing key), `_changes` with `since`/`limit` (`last_seq` is the last result's seq).
 */
import express, { type Request, type RequestHandler, type Response } from 'express'
import { type Logger } from '../main/log/logger'
import { sendCouchJson } from './couch-json'
import { type FindDb, runFind } from './find'
import { mapPool } from '../main/util/pool'

/** Documents a `_bulk_get` reads at once. */
const BULK_GET_READS = 8

/** The members of a PouchDB database used here. */
export interface AnswerDb extends FindDb {
  get(id: string, options?: Record<string, unknown>): Promise<Record<string, unknown>>
}

export type DbLookup = (name: string) => Promise<AnswerDb | undefined>

interface BodyRequest extends Request {
  _body?: boolean
}

function segmentsOf(path: string): string[] {
  try {
    return path.split('/').slice(1).map((part) => decodeURIComponent(part)).filter((part, i, all) => part !== '' || i < all.length - 1)
  } catch {
    return []
  }
}

const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 0

/** express.json for admins (readers' bodies were read by couch-access already), CouchDB's errors. */
export function parseJsonBody(limit: number): RequestHandler {
  const parser = express.json({ limit, type: () => true })
  return (req: BodyRequest, res, next) => {
    if (req._body) return next()
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    if (type !== 'application/json' && !type.endsWith('+json')) {
      return sendCouchJson(res, 415, { error: 'bad_content_type', reason: 'Content-Type must be application/json' })
    }
    parser(req, res, (error?: unknown) => {
      if (!error) return next()
      const status = (error as { status?: number }).status
      if (status === 413) return sendCouchJson(res, 413, { error: 'too_large', reason: 'the request entity is too large' })
      sendCouchJson(res, 400, { error: 'bad_request', reason: 'invalid UTF-8 JSON' })
    })
  }
}

async function bulkGet(db: AnswerDb, body: unknown, query: Request['query']): Promise<{ status: number; body: Record<string, unknown> }> {
  const docs = (body as { docs?: unknown } | undefined)?.docs
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { status: 400, body: { error: 'bad_request', reason: 'Request body must be a JSON object' } }
  }
  if (!Array.isArray(docs)) return { status: 400, body: { error: 'bad_request', reason: "Missing JSON list of 'docs'" } }
  const options: Record<string, unknown> = {}
  for (const flag of ['revs', 'latest', 'attachments'] as const) if ((query[flag] as unknown) === true) options[flag] = true
  // Read a few at a time (a replication asks for hundreds per call), answered in the order asked.
  const one = async (entry: unknown): Promise<Record<string, unknown>> => {
    const { id, rev } = (entry && typeof entry === 'object' ? entry : {}) as { id?: unknown; rev?: unknown }
    if (typeof id !== 'string' || id === '') {
      return { id: typeof id === 'string' ? id : null, docs: [{ error: { id: null, rev: null, error: 'bad_request', reason: 'document id missed' } }] }
    }
    if (rev !== undefined && typeof rev !== 'string') {
      return { id, docs: [{ error: { id, rev: null, error: 'bad_request', reason: 'Invalid rev format' } }] }
    }
    try {
      const doc = await db.get(id, rev === undefined ? options : { ...options, rev })
      return { id, docs: [{ ok: doc }] }
    } catch (error) {
      const err = error as { status?: number; reason?: string; message?: string }
      if (err.status !== 404) throw error
      const reason = rev === undefined && err.reason === 'deleted' ? 'deleted' : 'missing'
      return { id, docs: [{ error: { id, rev: rev ?? 'undefined', error: 'not_found', reason } }] }
    }
  }
  const results = await mapPool(docs as unknown[], BULK_GET_READS, one)
  return { status: 200, body: { results } }
}

const FIND_KEYS = new Set(['selector', 'limit', 'skip', 'sort', 'fields', 'use_index', 'allow_fallback', 'bookmark', 'r', 'conflicts', 'update', 'stable', 'stale', 'execution_stats'])

function encodeBookmark(position: number): string {
  return Buffer.from(JSON.stringify({ stats2: position })).toString('base64url')
}

function decodeBookmark(bookmark: string): number | undefined {
  if (bookmark === 'nil') return 0
  try {
    const value = (JSON.parse(Buffer.from(bookmark, 'base64url').toString('utf8')) as { stats2?: unknown }).stats2
    return isCount(value) ? (value as number) : undefined
  } catch {
    return undefined
  }
}

async function find(db: AnswerDb, body: unknown, deadlineMs: number): Promise<{ status: number; body: Record<string, unknown> }> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { status: 400, body: { error: 'bad_request', reason: 'Request body must be a JSON object' } }
  }
  const request = body as Record<string, unknown>
  const unknown = Object.keys(request).find((key) => !FIND_KEYS.has(key))
  if (unknown) return { status: 400, body: { error: 'invalid_argument', reason: `Invalid key ${unknown} for _find request` } }
  const { selector } = request
  if (selector === undefined) return { status: 400, body: { error: 'missing_required_key', reason: 'Missing required key: selector' } }
  if (selector === null || typeof selector !== 'object' || Array.isArray(selector)) {
    return { status: 400, body: { error: 'invalid_selector_json', reason: 'Selector must be a JSON object' } }
  }
  for (const key of ['limit', 'skip'] as const) {
    if (request[key] !== undefined && !isCount(request[key])) return { status: 400, body: { error: 'invalid_argument', reason: `${key} must be an integer ≥ 0` } }
  }
  if (request.fields !== undefined && !(Array.isArray(request.fields) && request.fields.every((f) => typeof f === 'string'))) {
    return { status: 400, body: { error: 'invalid_argument', reason: 'fields must be a list of field names' } }
  }
  if (request.sort !== undefined && !Array.isArray(request.sort)) return { status: 400, body: { error: 'invalid_sort_json', reason: 'Sort must be an array' } }
  let from = 0
  if (request.bookmark !== undefined) {
    const decoded = typeof request.bookmark === 'string' ? decodeBookmark(request.bookmark) : undefined
    if (decoded === undefined) return { status: 400, body: { error: 'invalid_bookmark', reason: `Invalid bookmark value: ${JSON.stringify(request.bookmark)}` } }
    from = decoded
  }
  const answer = await runFind(db, {
    selector,
    limit: (request.limit as number | undefined) ?? 25, // CouchDB's default
    skip: from + ((request.skip as number | undefined) ?? 0),
    fields: request.fields as string[] | undefined,
    sort: request.sort as unknown[] | undefined,
    executionStats: request.execution_stats === true
  }, deadlineMs)
  if (answer.returned === undefined) return answer
  const position = from + ((request.skip as number | undefined) ?? 0) + answer.returned
  return { status: answer.status, body: { ...answer.body, bookmark: answer.returned > 0 ? encodeBookmark(position) : 'nil' } }
}

/** `limit`/`skip`/`since` of the read routes, as CouchDB checks them (query values are JSON-parsed already). */
function queryProblem(route: string, query: Request['query']): { status: number; body: Record<string, unknown> } | undefined {
  for (const key of ['limit', 'skip'] as const) {
    const value = query[key] as unknown
    if (value !== undefined && !isCount(value)) {
      return { status: 400, body: { error: 'query_parse_error', reason: `Invalid value for integer: ${JSON.stringify(String(value))}` } }
    }
  }
  if (route === '_changes' && query.since !== undefined) {
    const since = query.since as unknown
    if (!(isCount(since) || since === 'now' || (typeof since === 'string' && /^\d+(-\S*)?$/.test(since)))) {
      return { status: 400, body: { error: 'bad_request', reason: "Malformed sequence supplied in 'since' parameter." } }
    }
  }
  return undefined
}

/** Installed after couch-access (rights and readers' bodies are settled), before express-pouchdb's routes. */
export function couchAnswers(lookup: DbLookup, adminBodyLimit: number, findDeadlineMs: number): RequestHandler {
  const parse = parseJsonBody(adminBodyLimit)
  return (req: BodyRequest, res, next) => {
    const segments = segmentsOf(req.path)
    const [db = '', route = ''] = segments
    // CouchDB 2+'s health check (express-pouchdb has none): the server is up and answering.
    if (segments.length === 1 && db === '_up' && (req.method === 'GET' || req.method === 'HEAD')) return sendCouchJson(res, 200, { status: 'ok' })
    const isView = segments.length === 5 && segments[1] === '_design' && segments[3] === '_view'
    const openRevs = req.query.open_revs as unknown
    if (segments.length === 2 && !route.startsWith('_') && openRevs !== undefined && openRevs !== 'all') {
      if (!Array.isArray(openRevs) || !openRevs.every((rev) => typeof rev === 'string')) {
        return sendCouchJson(res, 400, { error: 'bad_request', reason: 'open_revs must be "all" or a JSON list of revisions' })
      }
    }
    if (db && !db.startsWith('_') && (segments.length === 2 || isView)) {
      if (route === '_all_docs' || route === '_changes' || isView) {
        const problem = queryProblem(route, req.query)
        if (problem) return sendCouchJson(res, problem.status, problem.body)
      }
    }
    if (req.method !== 'POST' || segments.length !== 2 || (route !== '_bulk_get' && route !== '_find')) return next()
    parse(req, res, () => {
      lookup(db)
        .then(async (database) => {
          if (!database) return sendCouchJson(res, 404, { error: 'not_found', reason: 'Database does not exist.' })
          const answer = route === '_bulk_get' ? await bulkGet(database, req.body, req.query) : await find(database, req.body, findDeadlineMs)
          sendCouchJson(res, answer.status, answer.body)
        })
        .catch((error: unknown) => next(error))
    })
  }
}

/** JavaScript's own error texts: never shown to a caller. */
const INTERNAL = /is not a function|is not iterable|Cannot (read|set|use|create|convert|destructure)|of (undefined|null)\b|is not defined|is not a constructor|Maximum call stack|Unexpected token|\bat .+:\d+:\d+/

/** `reason` is one of JavaScript's own error texts. */
export function isInternalMessage(reason: unknown): boolean {
  return typeof reason === 'string' && INTERNAL.test(reason)
}

export const SAFE_BAD_REQUEST = { error: 'bad_request', reason: 'The request is not valid for this route (check the JSON body and the parameters).' }

interface ExpressPouchUtils {
  sendJSON: ((res: Response, status: number, body: unknown) => void) & { stats2Sanitized?: boolean }
  sendError: (res: Response, error: unknown, baseStatus?: number) => void
}

/** pouchdb-errors' BAD_REQUEST text: the specific one is in the error's `reason`. */
const GENERIC_BAD_REQUEST = 'Something wrong with the request'

/**
 * express-pouchdb answers every error through `utils.sendJSON` (its `sendError` turns a TypeError
 * into `{"error": "bad_request", "reason": <the TypeError's text>}`): wrapped once per process so
 * that such a reason goes out as a plain CouchDB 400; the original is logged at debug level.
 */
export function sanitizeExpressPouchErrors(log: Logger): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const utils = require('express-pouchdb/lib/utils') as ExpressPouchUtils
  const original = utils.sendJSON
  if (original.stats2Sanitized) return
  const sanitized: ExpressPouchUtils['sendJSON'] = (res, status, body) => {
    const reason = (body as { reason?: unknown } | null)?.reason
    if (status >= 400 && isInternalMessage(reason)) {
      const req = (res as Response & { req?: Request }).req
      log.debug(`${req?.method ?? ''} ${req?.originalUrl ?? ''}: answered 400 instead of ${status} "${String(reason)}"`)
      return original(res, 400, SAFE_BAD_REQUEST)
    }
    return original(res, status, body)
  }
  sanitized.stats2Sanitized = true
  utils.sendJSON = sanitized
  // express-pouchdb answers an error's `message`; a PouchDB 400 keeps its reason apart ("Filter
  // function threw: …", the deadline of a `_changes` filter): CouchDB answers that reason.
  const sendError = utils.sendError
  utils.sendError = (res, error, baseStatus) => {
    const err = error as { status?: unknown; name?: unknown; message?: unknown; reason?: unknown } | null
    if (err && err.message === GENERIC_BAD_REQUEST && typeof err.reason === 'string' && err.reason !== '' && typeof err.name === 'string') {
      return sendError(res, { status: err.status, name: err.name, message: err.reason }, baseStatus)
    }
    return sendError(res, error, baseStatus)
  }
}
