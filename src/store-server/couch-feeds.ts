/**
 * `_changes?feed=longpoll|continuous`, served here instead of by express-pouchdb, whose route never
 * cancels a continuous feed when the client goes away, ignores `timeout`, and leaves a longpoll
 * feed's listeners behind: 900 aborted anonymous feeds grew the process from 113 to 320 MB and kept
 * `stats2 ui` from exiting on SIGTERM.
 *
 * Every feed here ends, whichever comes first: the client disconnects; the first change (longpoll);
 * `limit` changes (continuous); `timeout` (default 60 s, as CouchDB's `changes_timeout`) with no
 * `heartbeat`; the server's maximum FEED_MAX_MS even with a heartbeat (a client reconnects with
 * `since=<last_seq>`, which CouchDB clients do anyway); the server closing. An ending feed sends what
 * CouchDB sends: longpoll `{"results":[],"last_seq":…}`, continuous a last `{"last_seq":…}` line.
 *
 * A normal (one-shot) feed asked for with POST is answered here too: express-pouchdb's route takes
 * only `doc_ids` from the body, so `POST _changes?filter=_selector` with `{"selector": …}` — the form
 * CouchDB 3 documents, and what a filtered pull replication sends — answered 404 there.
 */
import { type Request, type RequestHandler, type Response } from 'express'
import { sendCouchJson } from './couch-json'
import { isInternalMessage, SAFE_BAD_REQUEST } from './couch-answers'

export const FEED_DEFAULT_TIMEOUT_MS = 60_000
export const FEED_MAX_MS = 10 * 60_000

interface ChangeEvent {
  seq: unknown
  [key: string]: unknown
}

interface ChangesFeed extends PromiseLike<{ results: ChangeEvent[]; last_seq: unknown }> {
  on(event: string, listener: (...args: unknown[]) => void): ChangesFeed
  cancel(): void
}

/** The members of a PouchDB database used here. */
export interface FeedDb {
  changes(options: Record<string, unknown>): ChangesFeed
  info(): Promise<Record<string, unknown>>
}

export interface FeedOptions {
  lookup: (name: string) => Promise<FeedDb | undefined>
  /** Parses a POST body (doc_ids, selector) when no earlier middleware has. */
  parseBody: RequestHandler
  maxMs?: number
}

export interface Feeds {
  handler: RequestHandler
  /** Feeds open now (for tests and the status of a long-running process). */
  count(): number
  /** Ends every open feed as a timeout would. */
  closeAll(): void
}

const OWN_PARAMS = new Set(['feed', 'heartbeat', 'timeout', 'query_params'])

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
}

function couchError(error: unknown): { status: number; body: Record<string, unknown> } {
  const err = error as { status?: unknown; name?: unknown; message?: unknown; reason?: unknown }
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500
  const name = typeof err?.name === 'string' && err.name !== 'Error' && err.name !== 'TypeError' ? err.name : status < 500 ? 'bad_request' : 'unknown_error'
  const reason = typeof err?.reason === 'string' ? err.reason : typeof err?.message === 'string' ? err.message : 'The feed failed.'
  return { status, body: { error: name, reason } }
}

export function couchFeeds(options: FeedOptions): Feeds {
  const maxMs = options.maxMs ?? FEED_MAX_MS
  const open = new Set<() => void>()

  const serve = async (req: Request, res: Response, dbName: string): Promise<void> => {
    // The client may go away while the database is looked up: noticed from here on.
    let gone = res.destroyed || req.socket.destroyed
    const onEarlyClose = (): void => {
      gone = true
    }
    res.once('close', onEarlyClose)
    try {
      await start(req, res, dbName, () => gone)
    } finally {
      res.removeListener('close', onEarlyClose)
    }
  }

  const start = async (req: Request, res: Response, dbName: string, gone: () => boolean): Promise<void> => {
    const db = await options.lookup(dbName)
    if (!db) return sendCouchJson(res, 404, { error: 'not_found', reason: 'Database does not exist.' })
    const query = req.query as Record<string, unknown>
    const continuous = query.feed === 'continuous'
    const normal = query.feed === undefined || query.feed === 'normal'
    for (const key of ['timeout', 'heartbeat'] as const) {
      const value = query[key]
      if (value !== undefined && !(isCount(value) || (key === 'heartbeat' && value === true))) {
        return sendCouchJson(res, 400, { error: 'query_parse_error', reason: `Invalid value for integer: ${JSON.stringify(String(value))}` })
      }
    }
    const heartbeat = query.heartbeat === true ? FEED_DEFAULT_TIMEOUT_MS : (query.heartbeat as number | undefined)
    const timeout = heartbeat ? maxMs : Math.min((query.timeout as number | undefined) ?? FEED_DEFAULT_TIMEOUT_MS, maxMs)

    const changesOptions: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(query)) if (!OWN_PARAMS.has(key)) changesOptions[key] = value
    const body = req.body as { doc_ids?: unknown; selector?: unknown } | undefined
    if (req.method === 'POST' && body && typeof body === 'object') {
      if (body.doc_ids !== undefined) changesOptions.doc_ids = body.doc_ids
      if (body.selector !== undefined) changesOptions.selector = body.selector
    }
    // `since=now` (or none) as a number, so that a feed that ends without changes can say where it was.
    let since = changesOptions.since
    if (since === undefined || since === 'now') {
      since = since === 'now' ? (await db.info()).update_seq : 0
      changesOptions.since = since
    }

    let feed: ChangesFeed | undefined = undefined
    let timer: NodeJS.Timeout | undefined = undefined
    let beat: NodeJS.Timeout | undefined
    let done = false
    let lastSeq: unknown = since
    /** Stops the feed and its timers once; false when it had already stopped. */
    const stop = (): boolean => {
      if (done) return false
      done = true
      open.delete(end)
      clearTimeout(timer)
      clearInterval(beat)
      res.removeListener('close', onClose)
      feed?.cancel()
      return true
    }
    const finish = (tail?: string): void => {
      if (!stop()) return
      if (!res.writableEnded && !res.destroyed) {
        if (tail !== undefined) res.write(tail)
        res.end()
      }
    }
    /** The feed's normal end: what CouchDB writes when the timeout passes. */
    const end = (): void => finish(continuous ? `${JSON.stringify({ last_seq: lastSeq })}\n` : `${JSON.stringify({ results: [], last_seq: lastSeq })}\n`)
    const onClose = (): void => finish()
    const fail = (error: unknown): void => {
      if (done) return
      if (!res.headersSent) {
        const problem = couchError(error)
        stop()
        return sendCouchJson(res, problem.status, problem.body)
      }
      finish()
    }
    if (gone()) return
    if (normal) {
      const selector = changesOptions.selector
      if (typeof selector !== 'object' || selector === null || Array.isArray(selector)) {
        return sendCouchJson(res, 400, { error: 'bad_request', reason: 'The selector must be a JSON object.' })
      }
      let answer: Awaited<ReturnType<FeedDb['changes']>>
      try {
        answer = await db.changes({ ...changesOptions, live: false })
      } catch (error) {
        // PouchDB's own messages for a selector it cannot use are not for callers.
        const problem = couchError(error)
        return sendCouchJson(res, problem.status >= 500 || isInternalMessage(problem.body.reason) ? 400 : problem.status, problem.status >= 500 || isInternalMessage(problem.body.reason) ? SAFE_BAD_REQUEST : problem.body)
      }
      if (gone()) return
      return sendCouchJson(res, 200, { results: answer.results, last_seq: answer.last_seq })
    }
    res.on('close', onClose)
    open.add(end)

    if (!continuous) {
      // Longpoll: what is there already comes back at once.
      try {
        const first = await db.changes({ ...changesOptions, live: false })
        if (done) return
        if (first.results.length > 0) {
          res.status(200).setHeader('Content-Type', 'application/json')
          return finish(`${JSON.stringify({ results: first.results, last_seq: first.last_seq })}\n`)
        }
        lastSeq = first.last_seq ?? since
        changesOptions.since = lastSeq
      } catch (error) {
        return fail(error)
      }
    }
    if (done) return
    res.status(200)
    res.setHeader('Content-Type', 'application/json')
    res.setHeader('Cache-Control', 'must-revalidate')
    res.flushHeaders()
    timer = setTimeout(end, timeout)
    if (heartbeat) beat = setInterval(() => res.write('\n'), Math.max(heartbeat, 100))

    // `limit` is counted here: a live PouchDB feed does not stop at it.
    const limit = isCount(changesOptions.limit) && changesOptions.limit > 0 ? changesOptions.limit : Infinity
    let sent = 0
    feed = db.changes({ ...changesOptions, live: true })
    feed.on('change', (...args: unknown[]) => {
      const change = args[0] as ChangeEvent
      if (done) return
      lastSeq = change.seq
      if (!continuous) return finish(`${JSON.stringify({ results: [change], last_seq: change.seq })}\n`)
      res.write(`${JSON.stringify(change)}\n`)
      if (++sent >= limit) end()
    })
    feed.on('complete', () => end()) // `limit` reached (continuous), or cancelled
    feed.on('error', (error: unknown) => fail(error))
  }

  const handler: RequestHandler = (req, res, next) => {
    const feed = (req.query as Record<string, unknown>).feed
    const normalPost = (feed === undefined || feed === 'normal') && req.method === 'POST'
    if (feed !== 'longpoll' && feed !== 'continuous' && !normalPost) return next()
    let segments: string[]
    try {
      segments = req.path.split('/').slice(1).map((part) => decodeURIComponent(part))
    } catch {
      return next()
    }
    if (segments.length !== 2 || segments[1] !== '_changes' || (req.method !== 'GET' && req.method !== 'POST')) return next()
    const run = (): void => {
      serve(req, res, segments[0] as string).catch((error: unknown) => {
        if (!res.headersSent) {
          const problem = couchError(error)
          sendCouchJson(res, problem.status, problem.body)
        } else {
          res.end()
        }
      })
    }
    // A normal feed is served here only with a selector in its body (express-pouchdb's own route
    // ignores it); anything else goes on to that route once the body is read.
    const dispatchRun = (): void => {
      const body = req.body as { selector?: unknown } | undefined
      if (normalPost && (typeof body !== 'object' || body === null || body.selector === undefined)) return next()
      run()
    }
    if (req.method === 'POST' && !(req as Request & { _body?: boolean })._body) options.parseBody(req, res, dispatchRun)
    else dispatchRun()
  }

  return {
    handler,
    count: () => open.size,
    closeAll: () => {
      for (const end of [...open]) end()
    }
  }
}
