/**
 * `stats2` — the Stats2 core without a window (cron, systemd, a terminal). Reads the same
 * environment as the old Stats2 (USERCRT, USERKEY, DB_URL, STATS_DB_AUTH_HEADER, …).
 */
import { setMaxListeners } from 'node:events'
import { parseArgs } from 'node:util'
import { loadConfig, type Stats2Config } from '../config/config'
import { createLogger } from '../log/logger'
import { createNotifier, openCmsweb, openStore, updaterOptions } from '../core/runtime'
import { runUpdate } from '../updater/update-run'
import { maintainStore } from '../store/maintenance'
import { WorkflowSearch } from '../search/search'
import { SEARCH_FIELDS, SEARCH_FIELD_LABELS, type SearchField } from '../../shared/search-types'
import type { UpdateReport } from '../../shared/update-types'
import { runSimCommand } from './sim-command'
import { promptHidden } from './prompt'
import { CredentialError } from '../cmsweb/credentials'
import { runUiCommand } from './ui-command'
import { BackupUsageError, runDumpCommand, runLoadCommand } from './backup-command'
import { buildScope } from '../config/scope-config'
import type { SyncScope } from '../../shared/sync-scope'
import { runStoreCommand } from './store-command'
import { runServeCommand } from './serve-command'
import { asksForHelp, commandHelp } from './help'
import { OverviewUsageError, runOverviewCommand } from './overview-command'

const log = createLogger('cli')

export const USAGE = `Usage: stats2 <command> [options]

Commands:
  update [--name NAME …] [--trigger-prod] [--trigger-dev] [--json]
         [--campaign C …] [--prepid P …] [--status S …] [--requested-from YYYY-MM-DD]
         [--requested-to YYYY-MM-DD] [--workflow NAME …] [--no-scope]
                      Update every workflow ReqMgr2 changed since the last run (update all),
                      or only the named ones; optionally notify McM/RelVal/ReReco.
                      The scope flags limit update-all to those workflows (sync scope; they
                      replace STATS2_SCOPE_*); --no-scope follows everything.
  see NAME            Print the stored document of a workflow (JSON).
  dump [--backup]     Print every stored workflow document as one JSON array (one per line);
                      with --backup, both databases as a backup for load (NDJSON).
  load FILE|- [--replace] [--dry-run]
                      Write a backup (or dump output) into the store; never deletes. Stored
                      documents that differ are reported and kept unless --replace.
  search TEXT [--page N] [--field FIELD]
                      Search as the Stats2 page does (PrepID, dataset, campaign, type,
                      processing string, task request, else workflow name; then by prefix)
                      and print the matching documents (JSON, 100 a page, first page 1).
  sim --scenario DIR | --generate N [--steps S] [--seed X]
      [--port P] [--tls-dir DIR] [--latency-ms N] [--fail-rate F] [--auto-advance-ms N]
                      Serve a cmsweb simulator (ReqMgr2, DBS, WMStats, Keycloak, PdmV)
                      over HTTPS with client certificates; prints one JSON line.
  ui [--port P] [--demo]
                      Serve the dashboard on 127.0.0.1 for a browser (no Electron needed).
  store check|repair [--json]
                      Check each database of the embedded store (STATS2_DATA_DIR): ok with its
                      document count, or damaged and why (exit 1). repair copies each damaged
                      folder aside, then runs LevelDB's repair.
  overview [--campaign C | --prepid P | --processing-string S | --type T | --search TEXT | --scope]
         [--stall-hours H] [--json]
                      The operator overview of every stored workflow or of one selection:
                      workflows and events per status, campaign and McM priority block, time
                      in each status, what needs attention (stalled, past their ETA, an output
                      INVALID, a failed update) and ACDC families; --json prints the object
                      GET <base>/api/overview answers.
  serve [--host H] [--port P] [--base-path /stats]
                      Serve the old Stats2 web service's URLs (HTML page, api/get_json,
                      api/fetch, md, api/update) and a read-only dashboard; see README.

Environment (old Stats2 names first): USERCRT, USERKEY, X509_USER_PROXY, STATS2_USER_P12,
STATS2_KEY_PASSPHRASE(_FILE), DB_URL, STATS_DB_AUTH_HEADER, STATS2_DB_TIMEOUT_MS,
STATS2_DATA_DIR, CMSWEB_URL, CMSWEB_PROD_URL, CMSWEB_CA, X509_CERT_DIR, STATS2_CONCURRENCY,
CALLBACK_CLIENT_ID, CALLBACK_CLIENT_SECRET, APPLICATION_CLIENT_ID, DEV_APPLICATION_CLIENT_ID;
for serve: STATS2_SERVE_TOKENS_FILE, STATS2_SERVE_TRUSTED_HEADER, STATS2_SERVE_TRUSTED_PROXIES.
See README.md.
`

export class UsageError extends Error {
  override name = 'UsageError'
}

type Out = (text: string) => void

export interface CliIo {
  out: Out
  err: Out
  env: Record<string, string | undefined>
  /** Resolves when `out` has room again (long outputs wait for a slow pipe instead of buffering). */
  drain?: () => Promise<void>
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  drain: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', resolve)) : Promise.resolve())
}

function summary(report: UpdateReport): string {
  const seconds = ((report.finishedAt - report.startedAt) / 1000).toFixed(1)
  const parts = [
    `${report.changed} changed`,
    `${report.written} written`,
    `${report.unchanged} unchanged`,
    `${report.deleted} deleted`,
    `${report.recalculated} recalculated`,
    `${report.historyAdded} new history entries`,
    `${report.failed.length} failed`
  ]
  if (report.notifications.sent + report.notifications.failed > 0) {
    parts.push(`${report.notifications.sent} notifications sent, ${report.notifications.failed} failed`)
  }
  const lines = [`${report.cancelled ? 'Update cancelled' : 'Update finished'} in ${seconds}s: ${parts.join(', ')}.`]
  for (const failure of report.failed.slice(0, 20)) lines.push(`  failed: ${failure.name}: ${failure.reason}`)
  if (report.failed.length > 20) lines.push(`  … and ${report.failed.length - 20} more (they are retried by the next run)`)
  for (const warning of report.warnings) lines.push(`  warning: ${warning}`)
  return lines.join('\n') + '\n'
}

async function update(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string', multiple: true },
      'trigger-prod': { type: 'boolean' },
      'trigger-dev': { type: 'boolean' },
      json: { type: 'boolean' },
      campaign: { type: 'string', multiple: true },
      prepid: { type: 'string', multiple: true },
      status: { type: 'string', multiple: true },
      'requested-from': { type: 'string' },
      'requested-to': { type: 'string' },
      workflow: { type: 'string', multiple: true },
      'no-scope': { type: 'boolean' }
    },
    strict: true
  })
  const syncScope = scopeFromFlags(values, config)
  const store = await openStore(config)
  try {
    store.assertWritable('updating')
  } catch (error) {
    await store.close()
    throw error
  }
  const abort = new AbortController()
  // Every in-flight cmsweb request listens on this one signal.
  setMaxListeners(0, abort.signal)
  const stop = (): void => {
    log.warn('stopping: finishing the current step (Ctrl-C again to quit at once)')
    if (abort.signal.aborted) process.exit(130)
    abort.abort()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  let cmsweb: Awaited<ReturnType<typeof openCmsweb>> | undefined
  const notifier = values['trigger-prod'] || values['trigger-dev'] ? await createNotifier(config) : undefined
  try {
    cmsweb = await openCmswebAsking(config)
    const names = values.name ?? []
    const report = await runUpdate(
      names.length > 0 ? { kind: 'names', names } : { kind: 'all' },
      { triggerProd: values['trigger-prod'], triggerDev: values['trigger-dev'] },
      {
        services: cmsweb.services(abort.signal),
        store,
        notifier,
        options: updaterOptions(config),
        signal: abort.signal,
        syncScope
      }
    )
    io.out(values.json ? JSON.stringify(report, null, 1) + '\n' : summary(report))
    if (report.scope === 'all' && !report.cancelled) await maintainQuietly(store)
    log.info(`workflows in the store: ${await store.countWorkflows()}`)
    return report.cancelled ? 130 : 0
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await notifier?.close()
    await cmsweb?.close()
    await store.close()
  }
}

const SCOPE_FLAGS: Record<keyof SyncScope, string> = {
  campaigns: '--campaign',
  prepIds: '--prepid',
  statuses: '--status',
  requestedFrom: '--requested-from',
  requestedTo: '--requested-to',
  workflows: '--workflow'
}

/** The sync scope of this run: the flags when any is given (they replace STATS2_SCOPE_*), else the environment's. */
function scopeFromFlags(values: {
  campaign?: string[]; prepid?: string[]; status?: string[]; 'requested-from'?: string; 'requested-to'?: string; workflow?: string[]; 'no-scope'?: boolean
}, config: Stats2Config): SyncScope | undefined {
  const input = {
    campaigns: values.campaign,
    prepIds: values.prepid,
    statuses: values.status,
    requestedFrom: values['requested-from'],
    requestedTo: values['requested-to'],
    workflows: values.workflow
  }
  const given = Object.values(input).some((value) => value !== undefined)
  if (values['no-scope']) {
    if (given) throw new UsageError('--no-scope cannot be combined with scope flags')
    return undefined
  }
  if (!given) return config.scope
  try {
    return buildScope(input, (field) => SCOPE_FLAGS[field])
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** Opens cmsweb; an encrypted key without a configured passphrase is asked for on a terminal. */
async function openCmswebAsking(config: Stats2Config): Promise<Awaited<ReturnType<typeof openCmsweb>>> {
  try {
    return await openCmsweb(config)
  } catch (error) {
    if (!(error instanceof CredentialError) || error.code !== 'passphrase-required' || !process.stdin.isTTY) throw error
    const passphrase = await promptHidden('Passphrase of your grid key: ')
    return openCmsweb({ ...config, credentials: { ...config.credentials, passphrase } })
  }
}

/** After an update-all: compact when fragmented and warm the views (the old Stats2 needed a cron for this). */
async function maintainQuietly(store: Awaited<ReturnType<typeof openStore>>): Promise<void> {
  try {
    const { compacted, warmedMs } = await maintainStore(store)
    log.info(`store maintenance: ${compacted.length > 0 ? `compacted ${compacted.join(', ')}, ` : ''}views warmed in ${warmedMs} ms`)
  } catch (error) {
    log.warn(`store maintenance skipped: ${(error as Error).message}`)
  }
}

async function see(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true })
  const name = positionals[0]
  if (!name || positionals.length > 1) throw new UsageError('see needs exactly one workflow name')
  const store = await openStore(config)
  try {
    const doc = await store.getWorkflow(name)
    if (!doc) {
      io.err(`No workflow named ${name} in the store (${store.url}).\n`)
      return 1
    }
    io.out(JSON.stringify(doc, null, 2) + '\n')
    return 0
  } finally {
    await store.close()
  }
}

async function search(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { page: { type: 'string' }, field: { type: 'string' } },
    strict: true
  })
  const text = positionals.join(' ')
  const page = values.page === undefined ? 1 : Number(values.page)
  if (!Number.isInteger(page) || page < 1) throw new UsageError(`--page must be a page number from 1, got "${values.page}"`)
  const field = (values.field ?? 'any') as SearchField
  if (!SEARCH_FIELDS.includes(field)) throw new UsageError(`--field must be one of ${SEARCH_FIELDS.join(', ')}`)
  const store = await openStore(config)
  try {
    const result = await new WorkflowSearch(store).search({ text, field, page: page - 1 })
    const pages = Math.max(1, Math.ceil(result.total / result.pageSize))
    io.err(
      `${result.total} workflow${result.total === 1 ? '' : 's'} ${result.prefix ? 'starting with' : 'matching'} ` +
        `${SEARCH_FIELD_LABELS[result.field]} "${result.text}" (page ${page} of ${pages})\n`
    )
    io.out(JSON.stringify(result.workflows, null, 1) + '\n')
    return 0
  } finally {
    await store.close()
  }
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...args] = argv
  try {
    if (!command || command === '--help' || command === '-h' || (command === 'help' && args.length === 0)) {
      io.out(USAGE)
      return command ? 0 : 2
    }
    if (command === 'help' || asksForHelp(args)) {
      const topic = command === 'help' ? args[0]! : command
      const help = commandHelp(topic, USAGE)
      if (!help) throw new UsageError(`Unknown command "${topic}"`)
      io.out(help)
      return 0
    }
    if (command === 'sim') return await runSimCommand(args, io)
    const config = loadConfig(io.env)
    switch (command) {
      case 'update':
        return await update(args, config, io)
      case 'see':
        return await see(args, config, io)
      case 'dump':
        return await runDumpCommand(args, config, io)
      case 'load':
        return await runLoadCommand(args, config, io)
      case 'search':
        return await search(args, config, io)
      case 'ui':
        return await runUiCommand(args, config, io)
      case 'store':
        return await runStoreCommand(args, config, io)
      case 'serve':
        return await runServeCommand(args, config, io)
      case 'overview':
        return await runOverviewCommand(args, config, io)
      default:
        throw new UsageError(`Unknown command "${command}"`)
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (error instanceof UsageError || error instanceof BackupUsageError || error instanceof OverviewUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`stats2: ${message}\n\n${USAGE}`)
      return 2
    }
    io.err(`stats2 ${command}: ${message}\n`)
    if (process.env.STATS2_DEBUG) io.err(`${(error as Error).stack ?? ''}\n`)
    return 1
  }
}
