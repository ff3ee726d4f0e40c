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

/** Standard output was closed by its reader (`stats2 dump | head`): the command stops, quietly when the reader simply left (EPIPE). */
export class OutputClosedError extends Error {
  override name = 'OutputClosedError'
  constructor(override readonly cause: NodeJS.ErrnoException) {
    super(`standard output is closed (${cause.code ?? cause.message})`)
  }
}

/** Writes to stdout; once the reader has gone, every further write or wait throws OutputClosedError instead of crashing the process. */
function stdoutIo(): Pick<CliIo, 'out' | 'drain'> {
  let closed: NodeJS.ErrnoException | undefined
  let listening = false
  const listen = (): void => {
    if (listening) return
    listening = true
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      closed ??= error
    })
  }
  return {
    out: (text) => {
      listen()
      if (closed) throw new OutputClosedError(closed)
      process.stdout.write(text)
    },
    drain: () => {
      listen()
      if (closed) return Promise.reject(new OutputClosedError(closed))
      if (!process.stdout.writableNeedDrain) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const settle = (error?: NodeJS.ErrnoException): void => {
          process.stdout.off('drain', onDrain)
          process.stdout.off('error', onError)
          if (error) reject(new OutputClosedError(error))
          else resolve()
        }
        const onDrain = (): void => settle()
        const onError = (error: NodeJS.ErrnoException): void => settle(error)
        process.stdout.once('drain', onDrain)
        process.stdout.once('error', onError)
      })
    }
  }
}

export const defaultIo: CliIo = {
  ...stdoutIo(),
  err: (text) => process.stderr.write(text),
  env: process.env
}

/** A command line that cannot be run as given: printed with the usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
