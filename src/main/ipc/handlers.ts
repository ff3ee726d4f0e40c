/**
 * The contract's handlers, Electron-free: each validates its argument with the contract's schema
 * and answers a Result. Registered on ipcMain by the Electron shell and served over HTTP by the
 * browser-mode bridge — the same code either way.
 */
import { CHANNELS, CHANNEL_NAMES, type ChannelName, type ParsedRequestOf, type ResponseOf } from '../../shared/ipc-contract'
import { fail, ok, type Result } from '../../shared/result'
import { allowedExternalUrl } from '../../shared/rules/links'
import { createLogger } from '../log/logger'
import type { AppCore } from '../desktop/app-core'
import { ForbiddenError } from '../core/errors'
import { errorCodeOf } from '../core/error-codes'

const log = createLogger('ipc')

export type Handlers = { [C in ChannelName]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> }

export { ForbiddenError } from '../core/errors'
export { errorCodeOf } from '../core/error-codes'

export interface HandlerOptions {
  /** Opens an allowed URL in the operator's browser (Electron's shell.openExternal, or refused in browser mode). */
  openExternal: (url: string) => Promise<void>
}

export function createHandlers(core: AppCore, options: HandlerOptions): Handlers {
  return {
    search: (request) => core.search(request),
    getWorkflow: ({ name }) => core.workflowView(name),
    getWorkflowChart: ({ name }) => core.workflowChart(name),
    getSearchHistory: ({ text, field }) => core.searchHistory(text, field),
    updateSelected: async ({ names, triggerProd, triggerDev }) => core.startUpdate({ kind: 'names', names }, { triggerProd, triggerDev }),
    updateAll: async ({ triggerProd, triggerDev }) => core.startUpdate({ kind: 'all' }, { triggerProd, triggerDev }),
    cancelUpdate: async () => core.job.cancel(),
    getUpdaterState: async () => core.job.state(),
    getStatus: () => core.status(),
    getSettings: async () => core.settingsView(),
    setSettings: (patch) => core.setSettings(patch),
    testConnection: () => core.testConnection(),
    exportSearch: ({ text, field, format }) => core.exportSearch(text, field, format),
    exportWorkflow: ({ name }) => core.exportWorkflow(name),
    openExternal: async ({ url }) => {
      // Open exactly what was checked: the parsed URL's href, not the string as sent.
      const href = allowedExternalUrl(url)
      if (href === undefined) throw new ForbiddenError(`Not opening ${url.slice(0, 200)}: only https links to CMS services are allowed`)
      await options.openExternal(href)
      return null
    },
    startDemo: ({ workflows }) => core.startDemo(workflows),
    stopDemo: () => core.stopDemo(),
    getWatchlist: () => core.watch.view(),
    watchlistAdd: async ({ item }) => {
      await core.watch.add(item)
      return core.watch.view()
    },
    watchlistRemove: async ({ item }) => {
      await core.watch.remove(item)
      return core.watch.view()
    },
    setWatchlistOptions: async ({ stallHours }) => {
      await core.watch.setStallHours(stallHours)
      return core.watch.view()
    },
    updateWatchlist: ({ triggerProd, triggerDev }) => core.updateWatchlist({ triggerProd, triggerDev }),
    pullReplica: () => core.startReplication(),
    stopReplica: async () => core.stopReplication(),
    getReplicaState: async () => core.replica.state(),
    getOverview: ({ selection, since }) => core.overview(selection, since),
    getOverviewList: ({ selection, drill, page, pageSize }) => core.overviewList(selection, drill, page, pageSize),
    markOverviewLook: () => core.markOverviewLook()
  }
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ')
}

/** Validates and runs one call; never throws. */
export async function dispatch(handlers: Handlers, channel: string, request: unknown): Promise<Result<unknown>> {
  if (!(CHANNEL_NAMES as readonly string[]).includes(channel)) return fail('invalid-argument', `Unknown channel ${channel.slice(0, 80)}`)
  const name = channel as ChannelName
  const parsed = CHANNELS[name].request.safeParse(request ?? {})
  if (!parsed.success) return fail('invalid-argument', describeIssues(parsed.error.issues))
  try {
    const handler = handlers[name] as (request: unknown) => Promise<unknown>
    return ok(await handler(parsed.data))
  } catch (error) {
    const code = errorCodeOf(error)
    const message = error instanceof Error ? error.message : String(error)
    if (code === 'internal') log.error(`${name} failed: ${error instanceof Error ? error.stack : message}`)
    return fail(code, message)
  }
}
