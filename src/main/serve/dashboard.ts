/**
 * The React dashboard served by `stats2 serve` under `<base>/dashboard/`: the built renderer plus its
 * contract over HTTP (`POST <base>/dashboard/api/<channel>`, as the browser-mode bridge answers it),
 * read-only — reading channels answer from the service's store, every channel that would write,
 * update, change settings or open things on the server is refused. No token: anonymous callers may read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { resolve } from 'node:path'
import { dispatch, type Handlers } from '../ipc/handlers'
import { RENDERER_CSP } from '../../shared/csp'
import type { AppStatus, UpdaterState } from '../../shared/ipc-contract'
import type { ReadModel } from '../read-model/read-model'
import { BusyError, ForbiddenError, NotFoundError } from '../core/errors'
import { sendStaticFile } from '../http/static-files'
import { StaticFileError } from '../http/errors'
import { BadRequestError, HttpError, MethodNotAllowedError } from './errors'
import { DEFAULT_STALL_HOURS } from '../../shared/watchlist'
import { OverviewService } from '../overview/service'

const MAX_BODY = 64 * 1024

/** Why the dashboard's update and settings buttons do nothing here. */
export const READ_ONLY_MESSAGE =
  'This Stats2 service is read-only in the browser: updates go through its api/update with an authorised token, or through the desktop app or `stats2 update`.'


/** Searches over every match (charts, exports) read up to 20 000 documents: a few at a time per instance. */
export const HEAVY_AT_ONCE = 2

/** An export of a search is refused past this many characters (the desktop app and `stats2 dump` have no such limit). */
export const SERVE_EXPORT_MAX_CHARS = 64 * 1024 * 1024

/** Seconds between the comments that keep an idle event stream (and the proxies on its way) open. */
export const KEEP_ALIVE_SECONDS = 15


export function limited<A, R>(limit: number, run: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let running = 0
  return async (arg) => {
    if (running >= limit) throw new BusyError('The service is busy with other charts and exports; try again in a moment.')
    running++
    try {
      return await run(arg)
    } finally {
      running--
    }
  }
}

/**
 * The contract's reading channels from the read model (and the overview's from its engine); every
 * channel that would write or act is refused.
 */
export function readOnlyHandlers(model: ReadModel, overview = new OverviewService(model.store)): Handlers {
  const refuse = async (): Promise<never> => {
    throw new ForbiddenError(READ_ONLY_MESSAGE)
  }
  const store = model.store
  const idle: UpdaterState = { state: 'idle', jobId: 0 }
  return {
    search: (query) => model.search(query),
    getWorkflow: ({ name }) => model.workflowView(name),
    getWorkflowChart: ({ name }) => model.workflowChart(name),
    getSearchHistory: limited(HEAVY_AT_ONCE, ({ text, field }) => model.searchHistory(text, field)),
    exportSearch: limited(HEAVY_AT_ONCE, ({ text, field, format }) => model.exportSearch(text, field, format)),
    exportWorkflow: ({ name }) => model.exportWorkflow(name),
    getStatus: async () => {
      const status: AppStatus = {
        mode: 'live',
        store: { url: store.url, embedded: store.isEmbedded, workflows: 0 },
        failed: [],
        schedule: { everyMinutes: 0 },
        readOnlyService: true
      }
      try {
        const [workflows, figures] = await Promise.all([store.countWorkflows(), model.settingsFigures()])
        status.store.workflows = workflows
        status.lastUpdate = figures.lastUpdate
        status.lastSequence = figures.lastSequence
        status.failed = figures.failed
      } catch (error) {
        status.store.error = (error as Error).message
      }
      return status
    },
    getUpdaterState: async () => idle,
    pullReplica: refuse,
    stopReplica: refuse,
    getReplicaState: async () => ({ state: 'idle' }),
    updateSelected: refuse,
    updateAll: refuse,
    cancelUpdate: refuse,
    getSettings: refuse,
    setSettings: refuse,
    testConnection: refuse,
    openExternal: refuse,
    startDemo: refuse,
    stopDemo: refuse,
    // The watchlist belongs to an operator's desktop: the shared read-only dashboard has none.
    getWatchlist: async () => ({ items: [], stallHours: DEFAULT_STALL_HOURS, recent: [] }),
    watchlistAdd: refuse,
    watchlistRemove: refuse,
    setWatchlistOptions: refuse,
    updateWatchlist: refuse,
    // The overview reads only; "since my last look" is kept by each operator's browser here.
    getOverview: limited(HEAVY_AT_ONCE, ({ selection, since }) => overview.overview(selection, since ? { look: since } : {})),
    getOverviewList: limited(HEAVY_AT_ONCE, async ({ selection, drill, page = 0, pageSize = 100 }) => {
      const found = await overview.list(selection, drill, page, pageSize)
      return { total: found.total, page, pageSize, rows: await model.rowsOf(found.names) }
    }),
    markOverviewLook: async () => ({ where: 'browser' })
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new BadRequestError(`The request body is over ${MAX_BODY} bytes.`)
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new BadRequestError('The request body is not JSON.')
  }
}

export interface DashboardOptions {
  rendererDir: string
  handlers: Handlers
}

/** Serves `rest` (the path under `<base>/dashboard`); resolves when answered. */
export class Dashboard {
  private readonly root: string
  private readonly streams = new Set<ServerResponse>()

  constructor(private readonly options: DashboardOptions) {
    this.root = resolve(options.rendererDir)
  }

  /** `requestPath`: the whole path asked for (for the redirect of a folder without its slash). */
  async handle(req: IncomingMessage, res: ServerResponse, rest: string, headers: Record<string, string>, requestPath: string): Promise<void> {
    if (rest.startsWith('/api/')) {
      if (req.method !== 'POST') throw new MethodNotAllowedError(['POST'])
      const body = await readBody(req)
      const result = await dispatch(this.options.handlers, rest.slice('/api/'.length), body)
      res.writeHead(200, { ...headers, 'content-type': 'application/json' })
      res.end(JSON.stringify(result))
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError(['GET'])
    try {
      await sendStaticFile(req, res, rest, {
        root: this.root,
        headers: { ...headers, 'content-security-policy': RENDERER_CSP, 'cache-control': 'no-cache' },
        requestPath
      })
    } catch (error) {
      if (!(error instanceof StaticFileError)) throw error
      if (error.status === 400) throw new BadRequestError(error.message)
      if (error.status === 404 && (rest === '/' || rest === '')) throw new NotFoundError('The dashboard is not built on this server (run "npm run build").')
      // `..` (403) and anything missing: nothing of the server's outside the renderer is named.
      if (error.status === 403 || error.status === 404) throw new NotFoundError('Not found')
      throw new HttpError(error.status, error.message, 'static')
    }
  }

  /**
   * The event stream the dashboard follows (its slot is taken by the caller): a read-only service
   * never changes the updater state, so it carries only keep-alive comments.
   */
  events(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    res.flushHeaders()
    res.write(': stats2 read-only service\n\n')
    this.streams.add(res)
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_SECONDS * 1000)
    const done = (): void => {
      clearInterval(keepAlive)
      this.streams.delete(res)
    }
    req.on('close', done)
    res.on('close', done)
  }

  /** Ends the event streams (they never finish by themselves). */
  close(): void {
    for (const stream of this.streams) stream.end()
    this.streams.clear()
  }
}
