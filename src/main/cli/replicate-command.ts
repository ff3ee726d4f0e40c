/**
 * `stats2 replicate --from URL [scope flags] [--continuous] [--json]`: pulls the shared Stats2's
 * `requests` database into the embedded store (src/main/replica), printing progress lines on stderr
 * and a summary (or `--json`) on stdout. `--detach` makes a replica an ordinary store again.
 */
import { setMaxListeners } from 'node:events'
import { parseArgs } from 'node:util'
import type { Stats2Config } from '../config/config'
import { openStore } from '../core/runtime'
import { loadTrustedCAs } from '../cmsweb/trust'
import { describeScope, sameScope } from '../../shared/sync-scope'
import { SourceCouch } from '../replica/source'
import { pullReplica, type ReplicaProgress, type PullSummary } from '../replica/pull'
import { readReplicaMarker, removeReplicaMarker } from '../replica/marker'
import { SCOPE_OPTIONS, scopeFromFlags } from './scope-flags'
import { UsageError, type CliIo } from './io'


const PROGRESS_EVERY_MS = 1000

function count(n: number): string {
  return n.toLocaleString('en-US').replace(/,/g, ' ')
}

function seqText(seq: unknown): string {
  const text = typeof seq === 'string' ? seq : JSON.stringify(seq)
  return text.length > 24 ? `${text.slice(0, 21)}…` : text
}

/** One progress line: documents pulled, the checkpoint, the rate. */
export function progressLine(p: ReplicaProgress): string {
  const parts = [
    `${count(p.fetched)} documents pulled`,
    `${count(p.written)} written`,
    ...(p.skipped > 0 ? [`${count(p.skipped)} outside the scope`] : []),
    ...(p.merged > 0 ? [`${count(p.merged)} merged with local updates`] : []),
    ...(p.deleted > 0 ? [`${count(p.deleted)} deleted`] : []),
    `seq ${seqText(p.seq)}`,
    ...(p.pending !== undefined ? [`${count(p.pending)} changes pending`] : []),
    `${p.rate} docs/s`
  ]
  const phase = p.phase === 'waiting' ? ' (up to date, waiting for changes)' : p.phase === 'retrying' ? ` (${p.message ?? 'retrying'})` : ''
  return `replicate: ${parts.join(', ')}${phase}\n`
}

function summaryText(summary: PullSummary): string {
  const seconds = ((summary.finishedAt - summary.startedAt) / 1000).toFixed(1)
  const how = summary.cancelled ? 'Pull stopped' : 'Pull finished'
  return (
    `${how} in ${seconds}s from ${summary.source}${summary.resumed ? ' (from the last checkpoint)' : ''}: ` +
    `${count(summary.changes)} changes read, ${count(summary.fetched)} documents pulled, ${count(summary.written)} written, ` +
    `${count(summary.skipped)} outside the scope, ${count(summary.merged)} merged with local updates, ${count(summary.deleted)} deleted; ` +
    `checkpoint ${seqText(summary.seq)}.\n`
  )
}

export async function runReplicateCommand(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      continuous: { type: 'boolean' },
      json: { type: 'boolean' },
      detach: { type: 'boolean' },
      ...SCOPE_OPTIONS
    },
    strict: true
  })
  if (config.db.url) {
    throw new UsageError(
      'stats2 replicate pulls into the embedded store; DB_URL names a CouchDB, which replicates with its own _replicator database (see docs/replica.md)'
    )
  }
  const store = await openStore(config)
  try {
    const marker = await readReplicaMarker(store)
    if (values.detach) {
      const had = await removeReplicaMarker(store)
      io.err(had ? `The store in ${config.db.dataDir} is no longer marked as a replica of ${marker?.source}; its documents stay.\n` : 'The store is not a replica; nothing to do.\n')
      return 0
    }
    const from = values.from ?? config.replica.source ?? marker?.source
    if (!from) throw new UsageError('replicate needs --from <the shared Stats2 CouchDB server URL> (or STATS2_REPLICA_SOURCE)')
    const source = new SourceCouch({
      url: from,
      authHeader: config.replica.authHeader,
      ca: from.startsWith('https:') ? await loadTrustedCAs(config.cmsweb) : undefined
    })
    // Without scope flags a replica keeps the scope it was pulled with; a first pull takes STATS2_SCOPE_*.
    const sameSource = marker !== undefined && marker.source === source.url
    const scope = scopeFromFlags(values, sameSource ? (marker.scope ?? undefined) : config.scope)
    if (marker && !sameSource) io.err(`stats2 replicate: the store was a replica of ${marker.source}; it now follows ${source.url}\n`)
    else if (marker && !sameScope(marker.scope ?? undefined, scope)) io.err(`stats2 replicate: the scope changes from ${describeScope(marker.scope ?? undefined)} to ${describeScope(scope)}; documents outside the new scope are kept\n`)

    const abort = new AbortController()
    setMaxListeners(0, abort.signal)
    const stop = (): void => {
      if (abort.signal.aborted) process.exit(130)
      io.err('stats2 replicate: stopping after the current step (the next pull resumes from the checkpoint)\n')
      abort.abort()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    let lastLine = 0
    try {
      const summary = await pullReplica({
        source,
        target: store,
        scope,
        continuous: values.continuous,
        signal: abort.signal,
        onProgress: (progress) => {
          const now = Date.now()
          const changedPhase = progress.phase === 'waiting' || progress.phase === 'retrying'
          // Nothing read yet, or the end of a pull that failed (its reason follows): no line.
          if (progress.phase === 'connecting' || (progress.phase === 'pulling' && progress.changes === 0) || (progress.message !== undefined && progress.phase === 'done')) return
          if (!changedPhase && progress.phase !== 'done' && now - lastLine < PROGRESS_EVERY_MS) return
          lastLine = now
          io.err(progressLine(progress))
        }
      })
      io.out(values.json ? JSON.stringify(summary, null, 1) + '\n' : summaryText(summary))
      return summary.cancelled ? 130 : 0
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await source.close()
    }
  } finally {
    await store.close()
  }
}
