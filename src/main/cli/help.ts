/**
 * Per-command help: `stats2 <command> --help` and `stats2 help <command>`. Commands with a longer
 * text have it here; any other command listed in the general usage gets its lines from there, so a
 * new command has help as soon as it is listed.
 */

const DETAILS: Record<string, string> = {
  update: `Usage: stats2 update [--name NAME …] [--trigger-prod] [--trigger-dev] [--json] [--force]
                    [--metrics-file PATH]
                    [--campaign C …] [--prepid P …] [--status S …] [--requested-from DAY]
                    [--requested-to DAY] [--workflow NAME …] [--no-scope]

Without --name: update all — every workflow ReqMgr2 changed since the last run (its changes feed,
from the checkpoint in the store), then the workflows still on the retry list.
With --name (repeatable): only these workflows.

Options:
  --name NAME       a workflow (RequestName) to update; give it once per workflow
  --trigger-prod    notify McM/RelVal/ReReco (production) of the workflows that changed
  --trigger-dev     the same for the development services
  --json            print the run's report as JSON instead of the summary
  --force           update all even on a replica of a shared Stats2 (stats2 replicate), which
                    otherwise refuses: pull it instead, or update chosen workflows with --name
  --metrics-file PATH
                    write the run's metrics (Prometheus text format) to PATH atomically, for
                    node_exporter's textfile collector; written also when the run fails

Sync scope (update all only; the flags replace STATS2_SCOPE_*; lists may be comma-separated):
  --campaign C      workflows of campaign C
  --prepid P        workflows with PrepID P (top level or of a task); globs: HIG-*, *Summer23?
  --status S        only workflows in status S; named sets ACTIVE, RUNNING, ARCHIVED
  --requested-from DAY, --requested-to DAY
                    only workflows requested in this window (YYYY-MM-DD, UTC, inclusive)
  --workflow NAME   a workflow always followed (e.g. a pinned one)
  --no-scope        follow every workflow, whatever STATS2_SCOPE_* say
A first scoped run fetches just the scope; widening fetches just the new part; narrowing deletes
nothing (stored workflows outside the scope are kept and no longer updated). See README.md.

Exits 0 when the run completed (failed workflows are listed and retried next time), 130 when
stopped with Ctrl-C (the next run resumes), 1 when the run could not proceed (no certificate,
cmsweb or CouchDB unreachable or read-only), 2 on a usage error.
`,
  replicate: `Usage: stats2 replicate --from URL [--campaign C …] [--prepid P …] [--status S …]
                       [--requested-from DAY] [--requested-to DAY] [--workflow NAME …]
                       [--no-scope] [--continuous] [--json] [--detach]

Pulls the requests database of a shared Stats2 CouchDB (URL: the CouchDB server, e.g.
https://host:6984) into the embedded store by CouchDB's replication protocol, checkpointed in the
store: stopped or killed, the next pull resumes where it was. The store is marked as a replica, so
an update-all on it asks for --force; updates of named workflows run here and the next pull merges
them (history union, newer ReqMgr2 fields). Workflows deleted upstream are deleted here.

Options:
  --from URL        the source server; credentials as https://user:password@host or in
                    STATS2_REPLICA_AUTH_HEADER ("Basic <base64 user:password>"); default
                    STATS2_REPLICA_SOURCE, else the source this replica was pulled from
  --continuous      keep following the source's changes until stopped (SIGTERM, Ctrl-C)
  --json            print the summary as JSON
  --detach          make this replica an ordinary store again (nothing is deleted)
Sync scope (as for update; without flags a replica keeps its scope, a first pull takes
STATS2_SCOPE_*): --campaign, --prepid (globs), --status, --requested-from/--requested-to (the day
of the "new" transition), --workflow, --no-scope.

Progress lines go to stderr. Exits 0 when caught up, 130 when stopped, 1 when the source or the
store failed (the replica stays at its last checkpoint), 2 on a usage error.
`,
  see: `Usage: stats2 see NAME

Prints the stored document of one workflow (JSON), as McM, RelVal, ReReco and pMp read it.
Exits 1 when the store has no workflow of that name.
`,
  dump: `Usage: stats2 dump [--backup]

Prints every stored workflow document as one JSON array (one document per line), streamed page
by page.

Options:
  --backup          print a backup of both databases instead (requests and settings, design
                    documents included, without _rev), newline-delimited JSON for stats2 load:
                    stats2 dump --backup > backup.ndjson
`,
  load: `Usage: stats2 load FILE|- [--replace] [--dry-run] [--allow-design-docs]

Writes a backup (stats2 dump --backup) or stats2 dump output into the store (an empty or an
existing one). Never deletes: a missing document is written, an equal one left alone, one that
differs is reported and kept. A file is checked to its end before anything is written.

Options:
  --replace         overwrite stored documents that differ with the backup's
  --dry-run         only check the file; write nothing
  --allow-design-docs  write design documents other than Stats2's own too (refused by default,
                    nothing written: their functions run inside the store)

Exits 0 when everything loaded, 1 when documents differed, were refused or the file was
truncated (what it held is loaded), or the store is read-only; 2 on a usage error.
`,
  search: `Usage: stats2 search TEXT [--page N] [--field FIELD]

Searches as the Stats2 page does — PrepID, dataset, campaign, type, processing string, task
request, else workflow name; then by prefix — and prints the matching documents (JSON, 100 a
page). The number of matches goes to stderr.

Options:
  --page N          page number, from 1
  --field FIELD     search only this attribute: any, prepid, output_dataset, input_dataset,
                    campaign, type, processing_string, request, workflow
`,
  sim: `Usage: stats2 sim --scenario DIR | --generate N [--steps S] [--seed X]
                 [--port P] [--tls-dir DIR] [--latency-ms N] [--fail-rate F] [--auto-advance-ms N]

Serves a cmsweb simulator (ReqMgr2, DBS, WMStats, Keycloak, PdmV) over HTTPS that requires a
client certificate, and prints one JSON line: {"url", "ca", "cert", "key", "step"}. POST
<url>/_sim/step advances the scenario. Runs until stopped (Ctrl-C).

Options:
  --scenario DIR        serve a scenario folder (e.g. ../shared/conformance/stats2-public)
  --generate N          serve N generated workflows instead
  --steps S, --seed X   steps and random seed of the generated scenario (6, 1)
  --port P              port on 127.0.0.1 (default: a free one)
  --tls-dir DIR         where the CA, server and client certificates are created or reused
  --latency-ms N        delay every answer by N ms
  --fail-rate F         fraction of requests that fail (5xx, resets, cut bodies), 0–1
  --auto-advance-ms N   advance the scenario every N ms
`,
  ui: `Usage: stats2 ui [--port P] [--demo]

Serves the dashboard on 127.0.0.1 for a browser on this machine (no Electron needed) and prints
the URL to open, with its access token. Runs until stopped (Ctrl-C).

Options:
  --port P          port (default: a free one)
  --demo            start the demo: a built-in simulator with generated workflows
`,
  overview: `Usage: stats2 overview [--campaign C | --prepid P | --processing-string S | --type T |
                       --search TEXT | --scope] [--stall-hours H] [--json]

The operator overview of every stored workflow, or of one selection: per ReqMgr2 status the
workflows and the events of their final output datasets (done, expected, ETA), by campaign and by
McM priority block; the time between consecutive statuses (median, 90th percentile, maximum);
what needs attention (stalled, past its ETA, an output dataset INVALID or DELETED, a failed
update) and the ACDC families. See docs/overview.md.

Options (one selection at most; none: every stored workflow):
  --campaign C            workflows of campaign C
  --prepid P              workflows with PrepID P
  --processing-string S   workflows with processing string S
  --type T                workflows of request type T (ReReco, TaskChain, …)
  --search TEXT           what the search box finds for TEXT
  --scope                 the workflows the sync scope follows
  --stall-hours H         running with no new events for H hours counts as stalled (24)
  --json                  print the JSON object GET <base>/api/overview answers

Exits 0 (also when nothing matches: it says so), 1 when the store cannot be read, 2 on a usage
error (an unknown option, two selections, an empty value).
`,
  help: `Usage: stats2 help [COMMAND]

Prints the list of commands, or the help of one command (the same as stats2 COMMAND --help).
`
}

/** The lines of `command` in the general usage's command list, if it is listed there. */
function usageEntry(command: string, usage: string): string | undefined {
  const lines = usage.split('\n')
  const start = lines.findIndex((line) => line.startsWith(`  ${command} `) || line === `  ${command}`)
  if (start < 0) return undefined
  const entry = [lines[start]!.trim()]
  for (const line of lines.slice(start + 1)) {
    if (!/^ {4,}\S/.test(line)) break
    entry.push(line.trim())
  }
  const [synopsis, ...rest] = entry
  // A one-line entry holds the synopsis and its description side by side, two or more spaces apart.
  const [head, ...inline] = synopsis!.split(/\s{2,}/)
  return `Usage: stats2 ${head}\n\n${[...inline, ...rest].join('\n')}\n`
}

/** The help of one command, or undefined when there is no such command. */
export function commandHelp(command: string, usage: string): string | undefined {
  return DETAILS[command] ?? usageEntry(command, usage)
}

/** True when the arguments ask for help (before any `--`). */
export function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--')
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h')
}
