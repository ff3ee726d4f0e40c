/**
 * Who may do what on the embedded server. express-pouchdb on its own lets anonymous callers create
 * design documents (`POST /<db>/_index`, which rewrote `_design/validate_write`), write `_local`
 * documents, sign up in `_users`, run any design document's functions and send bodies of any size.
 * Here, before any route runs:
 *
 * - the server admin may do everything (bodies up to ADMIN_BODY_LIMIT), except what is gone for
 *   everyone: temporary views (410 `gone`, CouchDB 2+'s answer) and `_show`/`_list`/`_update`/
 *   `_rewrite` functions (404: Stats2 has none, and PouchDB would run them unsandboxed);
 * - everyone else gets what Stats2's readers (McM, RelVal, pMp, browsers, the product's own
 *   read-only paths, a replication reading this store) use, and only on the Stats2 databases
 *   (`requests`, `settings`): `GET /<db>` (its info), document GETs (design documents and
 *   `_local` documents — replication checkpoints — included, as CouchDB lets readers), `_all_docs`
 *   (GET, POST keys), the app's own views (`readerViews`: GET, POST keys), `_changes` (GET, POST),
 *   `_bulk_get` and `_find` (POST); bodies up to READER_BODY_LIMIT. Everything else — other design
 *   documents' views, `_explain`, `_index`, `_revs_diff`, `_missing_revs`, `_design_docs`,
 *   `_security`, attachments, `/_uuids`, `/_all_dbs`, `/_config`, … — is refused;
 *   with `anonymous: 'none'` an anonymous caller may not even read (a logged-in user still may);
 * - `/`, `/_up` and `/_session` (log in, log out) stay open, as in CouchDB.
 *
 * Refusals have CouchDB's shapes: 401 `unauthorized` for anonymous callers and server-admin
 * routes, 403 `forbidden` for a logged-in user without the right, 403 `forbidden` "Only admins can
 * modify the database." for a document write (what Stats2's `validate_write` answers on a real
 * CouchDB), 413 `too_large`, 415 `bad_content_type`, 400 `bad_request` for JSON that is not.
 */
import { type Request, type RequestHandler } from 'express'
import { parse as parseQueryString } from 'node:querystring'
import { sendCouchJson } from './couch-json'

export type AnonymousAccess = 'read' | 'none'

export interface AccessOptions {
  anonymous: AnonymousAccess
  /** Databases that non-admins may read. */
  readable: string[]
  /** The design-document views non-admins may query, as `<ddoc name>/<view>` (the app's own). */
  readerViews: string[]
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

/** The POST routes of a database that readers may use (they only read). */
const READ_POSTS = new Set(['_all_docs', '_bulk_get', '_find', '_changes'])
/** The GET routes of a database that readers may use. */
const READ_GETS = new Set(['_all_docs', '_changes'])
/** Server routes anyone may use. */
const OPEN_ROUTES = new Set(['', '_up', '_session'])
/** Design-document functions the embedded store does not run for anyone. */
const GONE_FUNCTIONS = new Set(['_show', '_list', '_update', '_rewrite'])

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
  // `_design/<name>/_view/…`, `_info`: routes of the design document, not writes (an attachment is)
  if (first === '_design' && (rest[2] ?? '').startsWith('_')) return false
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
  if (reading && isReaderGet(rest, options.readerViews)) return 'allow'
  if (rest.length === 0 && method !== 'POST') return NOT_ADMIN // creating or deleting the database
  if (method === 'POST' && ((rest.length === 1 && READ_POSTS.has(rest[0] as string)) || isReaderView(rest, options.readerViews))) return 'read-post'
  // A real Stats2 CouchDB refuses each document of a bulk write (validate_write), in a 201 answer.
  if (method === 'POST' && rest.length === 1 && rest[0] === '_bulk_docs') return 'bulk-refused'
  if (!reading && isDocumentWrite(rest)) return { status: 403, error: 'forbidden', reason: ONLY_ADMINS }
  const reason = reading ? `This route is for the server admin only: readers may read documents, _all_docs, ${options.readerViews.length > 0 ? "the app's views, " : ''}_changes, _bulk_get and _find.` : 'You are not a db or server admin.'
  return anonymous ? { status: 401, error: 'unauthorized', reason } : { status: 403, error: 'forbidden', reason }
}

/** `_design/<ddoc>/_view/<view>` of one of the views readers may query. */
function isReaderView(rest: string[], readerViews: string[]): boolean {
  return rest.length === 4 && rest[0] === '_design' && rest[2] === '_view' && readerViews.includes(`${rest[1]}/${rest[3]}`)
}

/** The GETs (and HEADs) of a database open to readers. */
function isReaderGet(rest: string[], readerViews: string[]): boolean {
  const [first = ''] = rest
  if (rest.length === 0) return true // the database's info
  if (rest.length === 1) return !first.startsWith('_') || READ_GETS.has(first) // a document, or a read route
  if (rest.length === 2) return first === '_design' || first === '_local' // a design or local document
  return isReaderView(rest, readerViews)
}

/** Routes gone for everyone, admin included: `/<db>/_temp_view`, `/<db>/_design/<name>/_show|_list|_update|_rewrite/…`. */
function goneRoute(path: string): { status: number; error: string; reason: string } | undefined {
  const segments = segmentsOf(path)
  if (!segments || segments.length < 2 || segments[0]!.startsWith('_')) return undefined
  if (segments.length === 2 && segments[1] === '_temp_view') return { status: 410, error: 'gone', reason: 'Temporary views are not supported in CouchDB' }
  if (segments.length >= 4 && segments[1] === '_design' && GONE_FUNCTIONS.has(segments[3]!)) {
    return { status: 404, error: 'not_found', reason: `${segments[3]} functions are not supported by the embedded store.` }
  }
  return undefined
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
    const gone = goneRoute(req.path)
    if (gone) {
      if ((contentLength(req) ?? 0) > 0 || req.headers['transfer-encoding']) res.setHeader('Connection', 'close')
      return sendCouchJson(res, gone.status, { error: gone.error, reason: gone.reason })
    }
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
