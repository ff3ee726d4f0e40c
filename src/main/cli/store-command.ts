/**
 * `stats2 store check|repair [--json]`: the embedded store's data folder (STATS2_DATA_DIR), database
 * by database. Exit codes: 0 all ok (or repaired without loss), 1 something is (still) damaged,
 * the repair lost documents or records, or the folder cannot be used, 2 usage.
 */
import { parseArgs } from 'node:util'
import type { Stats2Config } from '../config/config'
import { checkStore, repairStore, type FolderReport, type StoreReport } from '../../store-server'

interface Io {
  out: (text: string) => void
  err: (text: string) => void
}

function documents(folder: FolderReport): string {
  const count = folder.docCount ?? 0
  const text = `${count} document${count === 1 ? '' : 's'}`
  return folder.counterSays === undefined ? text : `${text} readable (the database's counter says ${folder.counterSays}: documents were lost)`
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`

/** Expected, recovered, dropped: what a database's repair tells. */
function outcome(folder: FolderReport): string {
  const expected = folder.expected === null || folder.expected === undefined ? 'expected: unknown' : `expected ${count(folder.expected, 'document')} (${folder.expectedFrom ?? 'store manifest'})`
  const parts = [expected, `recovered ${count(folder.recovered ?? 0, 'document')} (read back one by one)`]
  const dropped = folder.dropped
  if (dropped) {
    const ids = dropped.ids.length > 0 ? `: ${dropped.ids.join(', ')}${dropped.idsTruncated ? ', …' : ''}` : ''
    parts.push(dropped.count === null ? `dropped: an unknown number of documents${ids}` : `dropped ${count(dropped.count, 'document')}${ids}`)
    const left: string[] = []
    if (dropped.logRecords > 0) left.push(count(dropped.logRecords, 'log record'))
    if (dropped.tableBlocks > 0) left.push(count(dropped.tableBlocks, 'table block'))
    if (dropped.tables.length > 0) left.push(`the unreadable table${dropped.tables.length === 1 ? '' : 's'} ${dropped.tables.join(', ')}`)
    if (left.length > 0) parts.push(`left out because their checksum failed: ${left.join(', ')}`)
  }
  return parts.join('; ')
}

function line(folder: FolderReport): string {
  const what = folder.kind === 'index' ? `${folder.name} (view index of ${folder.database})` : folder.name
  const parts: string[] = []
  if (folder.repair) {
    if (folder.kind === 'index') parts.push(folder.repair.message)
    else if (folder.repair.ok && folder.recovered !== undefined) parts.push(`${folder.state === 'empty' ? 'LOST' : 'repaired'} (was: ${folder.problems.join('; ')}); ${outcome(folder)}`)
    else parts.push(`STILL DAMAGED: ${folder.problems.join('; ')} (${folder.repair.message})`)
    if (folder.copiedTo) parts.push(`the damaged folder is kept in ${folder.copiedTo}`)
  } else if (folder.state === 'ok') {
    parts.push(folder.docCount === undefined ? 'ok' : `ok, ${documents(folder)}`)
  } else if (folder.state === 'empty') {
    parts.push('empty (no data yet)')
  } else {
    parts.push(`DAMAGED: ${folder.problems.join('; ')}`)
  }
  return `  ${what}: ${parts.join('; ')}\n`
}

function print(report: StoreReport, action: 'check' | 'repair', io: Io): void {
  if (!report.exists) {
    io.out(`No store in ${report.dataDir} yet (the folder does not exist): nothing to ${action}.\n`)
    return
  }
  io.out(`Store in ${report.dataDir}:\n`)
  for (const folder of report.folders) io.out(line(folder))
  if (report.folders.length === 0) io.out('  (no databases yet)\n')
  if (report.manifestProblem) io.out(`Note: ${report.manifestProblem}\n`)
  const damaged = report.folders.filter((f) => f.state === 'damaged' && !f.copiedTo && !f.repair).map((f) => f.name)
  if (action === 'check') {
    io.out(
      damaged.length === 0
        ? 'Everything is readable.\n'
        : `Damaged: ${damaged.join(', ')}. Nothing was changed. Run \`stats2 store repair\` to copy the damaged folders aside and keep what can be read, or restore a backup (\`stats2 load\` into a new folder).\n`
    )
    return
  }
  if (report.checkpointReset) {
    io.out(`The ReqMgr2 feed checkpoint in settings went back from ${JSON.stringify(report.checkpointReset.was)} to 0: the next \`stats2 update\` fetches every workflow again (the event history of the lost ones is only in your backups).\n`)
  }
  if (!report.ok) io.out(`Still damaged: ${report.folders.filter((f) => f.state === 'damaged' && !(f.kind === 'index' && f.copiedTo)).map((f) => f.name).join(', ')}. The copies made before the repair are kept; restore a backup or ask for help with them.\n`)
  else if (report.lost) io.out('Repair finished, with LOSSES (above): every database opens again. Restore what was lost from a backup (`stats2 load`), or let `stats2 update` fetch it again.\n')
  else io.out('Repair finished: every database opens and nothing was lost.\n')
}

export async function runStoreCommand(args: string[], config: Stats2Config, io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } }, strict: true })
  const action = positionals[0]
  if ((action !== 'check' && action !== 'repair') || positionals.length > 1) {
    throw Object.assign(new Error('store needs one of: check, repair'), { code: 'ERR_PARSE_ARGS_INVALID' })
  }
  if (config.db.url) {
    io.err(`Note: DB_URL is set; \`stats2 store ${action}\` works on the embedded store's folder ${config.db.dataDir}, not on ${config.db.url}.\n`)
  }
  const report = action === 'check' ? await checkStore(config.db.dataDir) : await repairStore(config.db.dataDir)
  if (values.json) io.out(JSON.stringify(report, null, 1) + '\n')
  else print(report, action, io)
  return report.ok && !report.lost ? 0 : 1
}
