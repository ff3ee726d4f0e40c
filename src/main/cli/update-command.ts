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
import type { SyncScope } from '../../shared/sync-scope'
import { UsageError, type CliIo } from './io'
import { SCOPE_OPTIONS, scopeFromFlags } from './scope-flags'
import { assertUpdateAllAllowed } from '../replica/marker'
import { updateMetrics, writeMetricsFile, type UpdateMetrics } from '../metrics/update-metrics'
import { recordUpdateAll } from '../metrics/last-update'
import type { CallObserver } from '../cmsweb/client'
import { access } from 'node:fs/promises'
import { constants as fsConstants } from 'node:fs'
import { dirname, resolve as resolvePath } from 'node:path'

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
      force: { type: 'boolean' },
      'metrics-file': { type: 'string' },
      ...SCOPE_OPTIONS
    },
    strict: true
  })
  const syncScope = scopeFromFlags(values, config.scope)
  const metricsFile = values['metrics-file'] === undefined ? undefined : await checkMetricsFile(values['metrics-file'])
  if (metricsFile === undefined) return updateRun(values, syncScope, config, io)
  // Written whatever happened, a store that cannot be opened included (an alert watches
  // stats2_update_success); a write failure fails the command unless the run failed first.
  const metrics = updateMetrics()
  const startedAt = Date.now()
  let failure: unknown
  try {
    return await updateRun(values, syncScope, config, io, metrics)
  } catch (error) {
    failure = error
    metrics.finish({ error, startedAt })
    throw error
  } finally {
    await writeMetricsFile(metricsFile, await metrics.registry.metrics()).catch((error: unknown) => {
      if (failure === undefined) throw error
      log.error((error as Error).message)
    })
  }
}

async function updateRun(
  values: { name?: string[]; 'trigger-prod'?: boolean; 'trigger-dev'?: boolean; json?: boolean; force?: boolean },
  syncScope: SyncScope | undefined,
  config: Stats2Config,
  io: CliIo,
  metrics?: UpdateMetrics
): Promise<number> {
  const store = await openStore(config)
  try {
    store.assertWritable('updating')
    // A replica pulls from the shared Stats2; an update-all would make it a second updater.
    if ((values.name ?? []).length === 0) await assertUpdateAllAllowed(store, values.force === true)
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
    cmsweb = await openCmswebAsking(config, metrics?.cmsweb)
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
    const services = cmsweb.services()
    const behind = report.scope === 'all' ? await recordUpdateAll(store, report, (since, options) => services.changes(since, options), (m) => log.warn(m)) : undefined
    metrics?.finish({ report, behind })
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

/** `--metrics-file`: its folder must exist and be writable before the run starts, not after. */
async function checkMetricsFile(path: string): Promise<string> {
  if (path.trim() === '') throw new UsageError('--metrics-file needs a path (e.g. /var/lib/node_exporter/textfile/stats2.prom)')
  const absolute = resolvePath(path)
  try {
    await access(dirname(absolute), fsConstants.W_OK)
  } catch (error) {
    throw new UsageError(`--metrics-file ${path}: the folder ${dirname(absolute)} ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not writable'}`)
  }
  return absolute
}

/** Opens cmsweb; an encrypted key without a configured passphrase is asked for on a terminal. */
async function openCmswebAsking(config: Stats2Config, onCall?: CallObserver): Promise<Awaited<ReturnType<typeof openCmsweb>>> {
  try {
    return await openCmsweb(config, { onCall })
  } catch (error) {
    if (!(error instanceof CredentialError) || error.code !== 'passphrase-required' || !process.stdin.isTTY) throw error
    const passphrase = await promptHidden('Passphrase of your grid key: ')
    return openCmsweb({ ...config, credentials: { ...config.credentials, passphrase } }, { onCall })
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

