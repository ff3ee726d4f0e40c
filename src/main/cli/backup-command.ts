/**
 * `stats2 dump [--backup]` and `stats2 load FILE|-`: print the stored workflows, back up both
 * databases, and restore a backup (store/backup.ts has the format and the rules).
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import type { Readable } from 'node:stream'
import type { Stats2Config } from '../config/config'
import { openStore } from '../core/runtime'
import { BackupFormatError, checkBackup, loadBackup, writeBackup, type LoadReport } from '../store/backup'
import { UsageError, type CliIo } from './io'

export interface BackupIo extends Omit<CliIo, 'env'> {
  /** Standard input for `load -`. */
  stdin?: Readable
}

export async function runDumpCommand(args: string[], config: Stats2Config, io: BackupIo): Promise<number> {
  const { values } = parseArgs({ args, options: { backup: { type: 'boolean' } }, strict: true })
  const store = await openStore(config)
  try {
    if (values.backup) {
      const counts = await writeBackup(store, async (text) => {
        io.out(text)
        await io.drain?.()
      })
      io.err(`backup of ${store.url}: ${counts.requests} documents of requests, ${counts.settings} of settings\n`)
      return 0
    }
    // Streamed page by page: a production store holds hundreds of thousands of documents.
    let first = true
    io.out('[')
    for await (const page of store.allWorkflows()) {
      let text = ''
      for (const doc of page) {
        text += (first ? '\n' : ',\n') + JSON.stringify(doc)
        first = false
      }
      io.out(text)
      await io.drain?.()
    }
    io.out(first ? ']\n' : '\n]\n')
    return 0
  } finally {
    await store.close()
  }
}

function lines(source: Readable): AsyncIterable<string> {
  return createInterface({ input: source, crlfDelay: Infinity })
}

function describe(report: LoadReport): string {
  const read = report.read.requests + report.read.settings
  const out = [
    `read ${read} documents (${report.read.requests} requests, ${report.read.settings} settings): ` +
      `${report.written} written, ${report.replaced} replaced, ${report.unchanged} unchanged, ` +
      `${report.conflicts.length} differ from the stored ones, ${report.failed.length} refused`
  ]
  if (report.conflicts.length > 0) {
    out.push(`left as stored (run again with --replace to overwrite them with the backup's):`)
    for (const { db, id } of report.conflicts.slice(0, 20)) out.push(`  ${db}/${id}`)
    if (report.conflicts.length > 20) out.push(`  … and ${report.conflicts.length - 20} more`)
  }
  for (const { db, id, reason } of report.failed.slice(0, 20)) out.push(`  refused: ${db}/${id}: ${reason}`)
  if (report.failed.length > 20) out.push(`  … and ${report.failed.length - 20} more refused`)
  if (!report.complete) out.push('the file ends without the end line of a backup: it may be truncated (what it held is loaded)')
  return out.join('\n') + '\n'
}

export async function runLoadCommand(args: string[], config: Stats2Config, io: BackupIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { replace: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'allow-design-docs': { type: 'boolean' } },
    strict: true
  })
  const file = positionals[0]
  if (!file || positionals.length > 1) throw new UsageError('load needs one backup file (or - for standard input)')
  const fromStdin = file === '-'
  if (!fromStdin) {
    try {
      await access(file)
    } catch {
      throw new UsageError(`load: cannot read ${file}`)
    }
  }
  const store = await openStore(config)
  try {
    // A store that cannot be written says so at once, before standard input is read.
    if (!values['dry-run']) store.assertWritable('loading a backup')
    // Standard input is read once: it is kept in a private temporary file, so that it too is checked
    // to its end (its shape, its end line, no foreign design document) before anything is written.
    const allowDesignDocs = values['allow-design-docs'] === true
    const spool = fromStdin ? await spoolInput(io.stdin ?? process.stdin) : undefined
    const path = spool?.path ?? file
    try {
      try {
        await checkBackup(lines(createReadStream(path)), { allowDesignDocs })
      } catch (error) {
        if (error instanceof BackupFormatError) throw new BackupFormatError(error.line, `${error.message.replace(/^line \d+: /, '')}; nothing was written`)
        throw error
      }
      const report = await loadBackup(store, lines(createReadStream(path)), { replace: values.replace, dryRun: values['dry-run'], allowDesignDocs })
      io.err(`${values['dry-run'] ? 'checked (nothing written)' : `loaded into ${store.url}`}: ${describe(report)}`)
      return report.conflicts.length > 0 || report.failed.length > 0 || !report.complete ? 1 : 0
    } finally {
      await spool?.remove()
    }
  } finally {
    await store.close()
  }
}

/** Copies `input` into a new private temporary file (mode 0600); `remove` deletes it. */
async function spoolInput(input: Readable): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'stats2-load-'))
  const path = join(dir, 'stdin.ndjson')
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true })
  try {
    await pipeline(input, createWriteStream(path, { mode: 0o600 }))
  } catch (error) {
    await remove()
    throw error
  }
  return { path, remove }
}
