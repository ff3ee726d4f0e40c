/**
 * The React dashboard served by `stats2 serve` under `<base>/dashboard/`: the built renderer plus its
 * contract over HTTP (`POST <base>/dashboard/api/<channel>`, as the browser-mode bridge answers it),
 * read-only — reading channels answer from the service's store, every channel that would write,
 * update, change settings or open things on the server is refused. No token: anonymous callers may read.
 */
import { readFile, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { dispatch, type Handlers } from '../ipc/handlers'
import { RENDERER_CSP } from '../../shared/csp'
import type { AppStatus, UpdaterState } from '../../shared/ipc-contract'
import type { CouchStore } from '../store/couch-store'
import { WorkflowSearch } from '../search/search'
import { aggregateTracks } from '../../shared/rules/series'
import { RowCache } from '../search/row-cache'
import { ChartCache } from '../search/chart-cache'
import { detailView } from '../core/workflow-boundary'
import { BusyError, ForbiddenError, NotFoundError } from '../core/errors'
import { searchExportFile, workflowExportFile } from '../../shared/rules/exports'
import { BadRequestError, MethodNotAllowedError } from './errors'
import { DEFAULT_STALL_HOURS } from '../../shared/watchlist'
import { OverviewService, listRows } from '../overview/service'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2'
}

const MAX_BODY = 64 * 1024

/** Why the dashboard's update and settings buttons do nothing here. */
export const READ_ONLY_MESSAGE =
  'This Stats2 service is read-only in the browser: updates go through its api/update with an authorised token, or through the desktop app or `stats2 update`.'


/** Searches over every match (charts, exports) read up to 20 000 documents: a few at a time per instance. */
export const HEAVY_AT_ONCE = 2


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

export function readOnlyHandlers(store: CouchStore, overview = new OverviewService(store)): Handlers {
  const refuse = async (): Promise<never> => {
    throw new ForbiddenError(READ_ONLY_MESSAGE)
  }
  const search = (): WorkflowSearch => new WorkflowSearch(store)
  const rows = new RowCache(store)
  const charts = new ChartCache(store)
  const getWorkflow = async (name: string) => {
    const doc = await store.getWorkflow(name)
    if (!doc) throw new NotFoundError(`No workflow named ${name} in the store`)
    return doc
  }
  const idle: UpdaterState = { state: 'idle', jobId: 0 }
  return {
    // Result rows and summed-chart tracks from the bounded row cache, as the desktop answers them.
    search: async (query) => {
      await rows.fresh()
      const { names, ...found } = await new WorkflowSearch(store, rows.memo).findNames(query)
      const digests = await rows.digests(names)
      return { ...found, rows: names.flatMap((name) => (digests.has(name) ? [digests.get(name)!.row] : [])) }
    },
    getWorkflow: async ({ name }) => detailView(await getWorkflow(name)),
    getWorkflowChart: async ({ name }) => {
      const answer = await charts.answer(name)
      if (!answer) throw new NotFoundError(`No workflow named ${name} in the store`)
      return answer
    },
    getSearchHistory: limited(HEAVY_AT_ONCE, async ({ text, field }) => {
      await rows.fresh()
      const { names } = await new WorkflowSearch(store, rows.memo).findAllNames({ text, field })
      return aggregateTracks([...(await rows.digests(names)).values()].map((digest) => digest.track))
    }),
    exportSearch: limited(HEAVY_AT_ONCE, async ({ text, field, format }) => {
      const { workflows } = await search().searchAll({ text, field })
      return searchExportFile(text, workflows, format)
    }),
    exportWorkflow: async ({ name }) => workflowExportFile(name, await getWorkflow(name)),
    getStatus: async () => {
      const status: AppStatus = {
        mode: 'live',
        store: { url: store.url, embedded: store.isEmbedded, workflows: 0 },
        failed: [],
        schedule: { everyMinutes: 0 },
        readOnlyService: true
      }
      try {
        const [workflows, settings] = await Promise.all([store.countWorkflows(), store.getSettings()])
        status.store.workflows = workflows
        status.lastUpdate = settings.last_dbs_update_date
        status.lastSequence = settings.last_reqmgr_sequence
        status.failed = (settings.failed_workflows ?? []).map((name) => ({ name, reason: settings.failed_reasons?.[name] ?? 'failed in an earlier run' }))
      } catch (error) {
        status.store.error = (error as Error).message
      }
      return status
    },
    getUpdaterState: async () => idle,
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
    getOverviewList: limited(HEAVY_AT_ONCE, async ({ selection, drill, page = 0, pageSize = 100 }) =>
      listRows(rows, page, pageSize, await overview.list(selection, drill, page, pageSize))),
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

  async handle(req: IncomingMessage, res: ServerResponse, rest: string, headers: Record<string, string>): Promise<void> {
    if (rest === '/api/events') return this.events(req, res, headers)
    if (rest.startsWith('/api/')) {
      if (req.method !== 'POST') throw new MethodNotAllowedError(['POST'])
      const body = await readBody(req)
      const result = await dispatch(this.options.handlers, rest.slice('/api/'.length), body)
      res.writeHead(200, { ...headers, 'content-type': 'application/json' })
      res.end(JSON.stringify(result))
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError(['GET'])
    return this.staticFile(res, rest, headers)
  }

  private async staticFile(res: ServerResponse, rest: string, headers: Record<string, string>): Promise<void> {
    let relative: string
    try {
      relative = normalize(decodeURIComponent(rest)).replace(/^([/\\])+/, '')
    } catch {
      throw new BadRequestError('The path is not valid percent-encoding.')
    }
    const file = resolve(this.root, relative === '' ? 'index.html' : relative)
    if (file !== this.root && !file.startsWith(this.root + sep)) throw new NotFoundError('Not found')
    let content: Buffer
    try {
      content = await readFile((await stat(file)).isDirectory() ? join(file, 'index.html') : file)
    } catch {
      throw new NotFoundError(
        relative === '' ? 'The dashboard is not built on this server (run "npm run build").' : 'Not found'
      )
    }
    res.writeHead(200, {
      ...headers,
      'content-type': MIME[extname(file === this.root ? 'index.html' : file)] ?? 'application/octet-stream',
      'content-security-policy': RENDERER_CSP,
      'cache-control': 'no-cache'
    })
    res.end(content)
  }

  /** The event stream the dashboard follows: a read-only service never changes the updater state. */
  private events(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    res.write(': stats2 read-only service\n\n')
    this.streams.add(res)
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
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
