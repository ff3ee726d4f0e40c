/**
 * Who may do what on the embedded server. express-pouchdb on its own lets anonymous callers create
 * design documents (`POST /<db>/_index`, which rewrote `_design/validate_write`), write `_local`
 * documents, sign up in `_users` and send bodies of any size. Here, before any route runs:
 *
 * - the server admin may do everything (bodies up to ADMIN_BODY_LIMIT);
 * - everyone else may only read, and only the Stats2 databases (`requests`, `settings`): GET/HEAD,
 *   and the POSTs that only read (`_all_docs`, `_bulk_get`, `_find`, `_explain`, `_changes`,
 *   `_revs_diff`, `_missing_revs`, view queries with `keys`), bodies up to READER_BODY_LIMIT;
 *   with `anonymous: 'none'` an anonymous caller may not even read (a logged-in user still may);
 * - `/`, `/_up`, `/_uuids` and `/_session` (log in, log out) stay open, as in CouchDB.
 *
 * Refusals have CouchDB's shapes: 401 `unauthorized` for anonymous callers and server-admin
 * routes, 403 `forbidden` for a logged-in user without the right, 403 `forbidden` "Only admins can
 * modify the database." for a document write (what Stats2's `validate_write` answers on a real
 * CouchDB), 413 `too_large`, 415 `bad_content_type`, 400 `bad_request` for JSON that is not.
 */
import { type Request, type RequestHandler } from 'express'
import { parse as parseQueryString } from 'node:querystring'
import { sendCouchJson } from './couch-guards'

export type AnonymousAccess = 'read' | 'none'

export interface AccessOptions {
  anonymous: AnonymousAccess
  /** Databases that non-admins may read. */
  readable: string[]
  adminBodyLimit?: number
  readerBodyLimit?: number
}

/** 64 MiB: a bulk write of 500 workflows is about 2 MiB; `stats2 load` batches stay well below. */
export const ADMIN_BODY_LIMIT = 64 * 1024 * 1024
/** 1 MiB: `keys` lists of a few thousand workflow names; nothing a reader sends is larger. */
export const READER_BODY_LIMIT = 1024 * 1024

interface SessionRequest extends Request {
  couchSession?: { userCtx?: { name?: string | null; roles?: string[] } }
  _body?: boolean
}

/** The POST routes of a database that only read. */
const READ_POSTS = new Set(['_all_docs', '_bulk_get', '_find', '_explain', '_changes', '_revs_diff', '_missing_revs'])
/** Server routes anyone may use. */
const OPEN_ROUTES = new Set(['', '_up', '_uuids', '_session'])

type Verdict = 'allow' | 'read-post' | 'bulk-refused' | { status: number; error: string; reason: string }

const ONLY_ADMINS = 'Only admins can modify the database.'

const NOT_ADMIN = { status: 401, error: 'unauthorized', reason: 'You are not a server admin.' }

function segmentsOf(path: string): string[] | undefined {
  try {
    const parts = path.split('/').slice(1).map((part) => decodeURIComponent(part))
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
    return parts
  } catch {
    return undefined
  }
}

/** A write of documents (as opposed to a database-admin operation). */
function isDocumentWrite(rest: string[]): boolean {
  const [first = ''] = rest
  if (rest.length === 0) return true // POST /<db>: a new document
  if (first === '_bulk_docs') return true
  if (first === '_design' || first === '_local') return rest.length >= 2
  return !first.startsWith('_')
}

function decide(req: SessionRequest, options: AccessOptions): Verdict {
  const segments = segmentsOf(req.path)
  if (!segments) return 'allow' // couchGuard answers the bad encoding
  const [first = '', ...rest] = segments
  const method = req.method.toUpperCase()
  const reading = method === 'GET' || method === 'HEAD'
  const name = req.couchSession?.userCtx?.name
  const anonymous = typeof name !== 'string' || name === ''

  if (segments.length <= 1 && OPEN_ROUTES.has(first)) {
    // `_session`: GET who am I, POST log in, DELETE log out.
    if (first === '_session') return method === 'POST' ? 'read-post' : reading || method === 'DELETE' ? 'allow' : NOT_ADMIN
    return reading ? 'allow' : NOT_ADMIN
  }
  if (first.startsWith('_') && !options.readable.includes(first)) {
    // A user may read their own `_users` document (as in CouchDB).
    if (!anonymous && reading && first === '_users' && rest.length === 1 && rest[0] === `org.couchdb.user:${name}`) return 'allow'
    return NOT_ADMIN
  }
  if (!options.readable.includes(first)) {
    return anonymous
      ? { status: 401, error: 'unauthorized', reason: 'You are not authorized to access this db.' }
      : { status: 403, error: 'forbidden', reason: 'You are not allowed to access this db.' }
  }
  if (anonymous && options.anonymous === 'none') {
    return { status: 401, error: 'unauthorized', reason: 'Authentication required.' }
  }
  if (reading) return 'allow'
  if (rest.length === 0 && method !== 'POST') return NOT_ADMIN // creating or deleting the database
  const isView = rest.length === 4 && rest[0] === '_design' && rest[2] === '_view'
  if (method === 'POST' && ((rest.length === 1 && READ_POSTS.has(rest[0] as string)) || isView)) return 'read-post'
  // A real Stats2 CouchDB refuses each document of a bulk write (validate_write), in a 201 answer.
  if (method === 'POST' && rest.length === 1 && rest[0] === '_bulk_docs') return 'bulk-refused'
  if (isDocumentWrite(rest)) return { status: 403, error: 'forbidden', reason: ONLY_ADMINS }
  return anonymous
    ? { status: 401, error: 'unauthorized', reason: 'You are not a db or server admin.' }
    : { status: 403, error: 'forbidden', reason: 'You are not a db or server admin.' }
}

const tooLarge = { error: 'too_large', reason: 'the request entity is too large' }

/**
 * Reads a non-admin's body up to `limit` bytes and parses it the way the route expects, so that
 * express-pouchdb's own parser (4 GiB limit) never reads it: body-parser skips a request whose
 * `_body` is set.
 */
function readSmallBody(req: SessionRequest, limit: number): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  return new Promise((done) => {
    const chunks: Buffer[] = []
    let size = 0
    let finished = false
    const finish = (result: { status: number; body: Record<string, unknown> } | undefined): void => {
      if (finished) return
      finished = true
      req.removeListener('data', onData)
      done(result)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        req.pause()
        finish({ status: 413, body: tooLarge })
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('error', () => finish({ status: 400, body: { error: 'bad_request', reason: 'The request body could not be read.' } }))
    req.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
      if (text.trim() === '') {
        req.body = {}
      } else if (type === 'application/json' || type.endsWith('+json')) {
        try {
          req.body = JSON.parse(text) as unknown
        } catch {
          finish({ status: 400, body: { error: 'bad_request', reason: 'invalid UTF-8 JSON' } })
          return
        }
      } else if (type === 'application/x-www-form-urlencoded' && req.path === '/_session') {
        req.body = { ...parseQueryString(text) }
      } else {
        finish({ status: 415, body: { error: 'bad_content_type', reason: 'Content-Type must be application/json' } })
        return
      }
      req._body = true
      finish(undefined)
    })
  })
}

function contentLength(req: Request): number | undefined {
  const header = req.headers['content-length']
  if (header === undefined) return undefined
  const value = Number(header)
  return Number.isFinite(value) ? value : undefined
}

/** Installed after express-pouchdb's authentication (req.couchSession is known), before its routes. */
export function couchAccess(options: AccessOptions): RequestHandler {
  const adminLimit = options.adminBodyLimit ?? ADMIN_BODY_LIMIT
  const readerLimit = options.readerBodyLimit ?? READER_BODY_LIMIT
  return (req: SessionRequest, res, next) => {
    const isAdmin = req.couchSession?.userCtx?.roles?.includes('_admin') === true
    if (isAdmin) {
      if ((contentLength(req) ?? 0) > adminLimit) return sendCouchJson(res, 413, tooLarge)
      return next()
    }
    const verdict = decide(req, options)
    if (typeof verdict === 'object') {
      // The body (if any) is not read: close the connection after the answer instead.
      if ((contentLength(req) ?? 0) > 0 || req.headers['transfer-encoding']) res.setHeader('Connection', 'close')
      return sendCouchJson(res, verdict.status, { error: verdict.error, reason: verdict.reason })
    }
    if ((contentLength(req) ?? 0) > readerLimit) {
      res.setHeader('Connection', 'close')
      return sendCouchJson(res, 413, tooLarge)
    }
    const hasBody = (contentLength(req) ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
    const proceed = (): void => {
      if (verdict !== 'bulk-refused') return next()
      const docs = (req.body as { docs?: unknown } | undefined)?.docs
      if (!Array.isArray(docs)) return sendCouchJson(res, 400, { error: 'bad_request', reason: 'POST body must include `docs` parameter.' })
      const refused = docs.map((doc: unknown) => {
        const id = (doc as { _id?: unknown } | null)?._id
        return { id: typeof id === 'string' ? id : null, error: 'forbidden', reason: ONLY_ADMINS }
      })
      sendCouchJson(res, 201, refused)
    }
    if (!hasBody || req._body) return proceed()
    readSmallBody(req, readerLimit).then(
      (problem) => {
        if (!problem) return proceed()
        res.setHeader('Connection', 'close')
        sendCouchJson(res, problem.status, problem.body)
      },
      (error: unknown) => next(error)
    )
  }
}
