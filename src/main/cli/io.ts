/**
 * What every `stats2` command shares: its input/output and the usage error (exit 2).
 */

type Out = (text: string) => void

export interface CliIo {
  out: Out
  err: Out
  env: Record<string, string | undefined>
  /** Resolves when `out` has room again (long outputs wait for a slow pipe instead of buffering). */
  drain?: () => Promise<void>
}

export const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  drain: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', resolve)) : Promise.resolve())
}

/** A command line that cannot be run as given: printed with the usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
