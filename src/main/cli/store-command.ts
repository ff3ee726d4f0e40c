/**
 * `stats2 store check|repair [--json]`: the embedded store's data folder (STATS2_DATA_DIR), database
 * by database. Exit codes: 0 all ok (or repaired), 1 something is (still) damaged or the folder
 * cannot be used, 2 usage.
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

function line(folder: FolderReport): string {
  const what = folder.kind === 'index' ? `${folder.name} (view index of ${folder.database})` : folder.name
  const parts: string[] = []
  if (folder.repair) {
    if (folder.kind === 'index') parts.push(folder.repair.message)
    else if (folder.state === 'ok') parts.push(`repaired; now ${documents(folder)} (was: ${folder.problems.join('; ')})`)
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
  const damaged = report.folders.filter((f) => f.state === 'damaged' && !(f.kind === 'index' && f.copiedTo)).map((f) => f.name)
  if (action === 'check') {
    io.out(
      damaged.length === 0
        ? 'Everything is readable.\n'
        : `Damaged: ${damaged.join(', ')}. Nothing was changed. Run \`stats2 store repair\` to copy the damaged folders aside and attempt LevelDB's repair.\n`
    )
  } else {
    io.out(
      damaged.length === 0
        ? 'Repair finished: every database opens. Check the document counts against your last backup (`stats2 dump`).\n'
        : `Still damaged: ${damaged.join(', ')}. The copies made before the repair are kept; restore a backup or ask for help with them.\n`
    )
  }
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
  return report.ok ? 0 : 1
}
