/**
 * Entry of the built command, out/cli/stats2.cjs: bin/stats2.cjs loads it in a checkout, and the
 * installed app's `stats2` launcher runs it with Electron as plain Node (ELECTRON_RUN_AS_NODE).
 */
import { main } from './main'
import { logLevelFromEnv } from '../config/config'
import { envText } from '../config/env'
import { setLogLevel } from '../log/logger'

export { main }

/** Runs `stats2` with this process's arguments and sets its exit code. */
export function runFromCommandLine(argv: string[] = process.argv.slice(2)): void {
  try {
    setLogLevel(logLevelFromEnv(process.env))
  } catch (error) {
    process.stderr.write(`stats2: ${(error as Error).message}\n`)
    process.exitCode = 2
    return
  }
  main(argv).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      // main() answers every expected failure itself; this is the last resort, without a stack.
      process.stderr.write(`stats2: ${error instanceof Error ? error.message : String(error)}\n`)
      if (envText(process.env, 'STATS2_DEBUG') && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`)
      process.exitCode = 1
    }
  )
}

if (require.main === module) runFromCommandLine()
