/**
 * `stats2 update`: update all (ReqMgr2's changes feed since the last run, within the sync scope) or
 * the named workflows; optionally notify McM/RelVal/ReReco.
 */
import { setMaxListeners } from 'node:events'
import { parseArgs } from 'node:util'
import type { Stats2Config } from '../config/config'
import { createLogger } from '../log/logger'
import { createNotifier, openCmsweb, openStore, updaterOptions } from '../core/runtime'
import { runUpdate } from '../updater/update-run'
import { maintainStore } from '../store/maintenance'
import type { UpdateReport } from '../../shared/update-types'
import { promptHidden } from './prompt'
import { CredentialError } from '../cmsweb/credentials'
import { buildScope } from '../config/scope-config'
import type { SyncScope } from '../../shared/sync-scope'
import { UsageError, type CliIo } from './io'

const log = createLogger('cli')

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

export async function runUpdateCommand(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
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

