/**
 * `stats2` — the Stats2 core without a window (cron, systemd, a terminal). Reads the same
 * environment as the old Stats2 (USERCRT, USERKEY, DB_URL, STATS_DB_AUTH_HEADER, …; `stats2 env`
 * lists them). One file per command; this one only dispatches.
 */
import { loadConfig } from '../config/config'
import { envText } from '../config/env'
import { runSimCommand } from './sim-command'
import { runUiCommand } from './ui-command'
import { runDumpCommand, runLoadCommand } from './backup-command'
import { runStoreCommand } from './store-command'
import { runServeCommand } from './serve-command'
import { runUpdateCommand } from './update-command'
import { runSeeCommand } from './see-command'
import { runSearchCommand } from './search-command'
import { runEnvCommand } from './env-command'
import { runReplicateCommand } from './replicate-command'
import { asksForHelp, commandHelp } from './help'
import { defaultIo, OutputClosedError, UsageError, type CliIo } from './io'
import { runOverviewCommand } from './overview-command'

export { UsageError, type CliIo } from './io'

export const USAGE = `Usage: stats2 <command> [options]

Commands:
  update [--name NAME …] [--trigger-prod] [--trigger-dev] [--json] [--force]
         [--metrics-file PATH] [--campaign C …] [--prepid P …] [--status S …] [--requested-from YYYY-MM-DD]
         [--requested-to YYYY-MM-DD] [--workflow NAME …] [--no-scope]
                      Update every workflow ReqMgr2 changed since the last run (update all),
                      or only the named ones; optionally notify McM/RelVal/ReReco.
                      The scope flags limit update-all to those workflows (sync scope; they
                      replace STATS2_SCOPE_*); --no-scope follows everything. On a replica
                      update-all needs --force. --metrics-file writes the run's metrics for
                      node_exporter's textfile collector.
  see NAME            Print the stored document of a workflow (JSON).
  dump [--backup]     Print every stored workflow document as one JSON array (one per line);
                      with --backup, both databases as a backup for load (NDJSON).
  load FILE|- [--replace] [--dry-run] [--allow-design-docs]
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
  env [--json]        List the configuration: every environment variable, its value here (secrets
                      only as set/unset), its default and meaning.
  serve [--host H] [--port P] [--base-path /stats]
                      Serve the old Stats2 web service's URLs (HTML page, api/get_json,
                      api/fetch, md, api/update) and a read-only dashboard; see README.
  replicate --from URL [--campaign C …] [--prepid P …] [--status S …] [--no-scope]
            [--continuous] [--json] [--detach]
                      Pull the shared Stats2 CouchDB's requests database (or the scope's part
                      of it) into the embedded store by CouchDB replication; resumable. See
                      docs/replica.md.

Environment: stats2 env lists every variable (old Stats2 names such as USERCRT, USERKEY,
DB_URL and STATS_DB_AUTH_HEADER included), its value here, default and meaning. See docs/.
`

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
    if (command === 'env') return runEnvCommand(args, io)
    const config = loadConfig(io.env)
    switch (command) {
      case 'update':
        return await runUpdateCommand(args, config, io)
      case 'see':
        return await runSeeCommand(args, config, io)
      case 'dump':
        return await runDumpCommand(args, config, io)
      case 'load':
        return await runLoadCommand(args, config, io)
      case 'search':
        return await runSearchCommand(args, config, io)
      case 'ui':
        return await runUiCommand(args, config, io)
      case 'store':
        return await runStoreCommand(args, config, io)
      case 'serve':
        return await runServeCommand(args, config, io)
      case 'replicate':
        return await runReplicateCommand(args, config, io)
      case 'overview':
        return await runOverviewCommand(args, config, io)
      default:
        throw new UsageError(`Unknown command "${command}"`)
    }
  } catch (error) {
    // `stats2 dump | head`: the reader took what it wanted; nothing went wrong here.
    if (error instanceof OutputClosedError) {
      if (error.cause.code === 'EPIPE') return 0
      io.err(`stats2 ${command}: ${error.message}\n`)
      return 1
    }
    const message = error instanceof Error ? error.message : String(error)
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`stats2: ${message}\n\n${USAGE}`)
      return 2
    }
    io.err(`stats2 ${command}: ${message}\n`)
    if (envText(io.env, 'STATS2_DEBUG')) io.err(`${(error as Error).stack ?? ''}\n`)
    return 1
  }
}
