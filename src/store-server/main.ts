/**
 * The store process: the embedded CouchDB-protocol server (its HTTP server, LevelDB and view index)
 * in a process of its own, as CouchDB runs its query servers, so that nothing a caller of the store
 * sends can stop the process that owns the desktop UI, `stats2 ui` or `stats2 serve`, and so that a
 * store that hangs can be killed and started again (store-process.ts, the launcher and supervisor).
 *
 * Started with an IPC channel by the launcher, which sends everything it needs (it never reads the
 * operator's environment itself): `start` with the resolved options, `ping` (answered at once: the
 * launcher's liveness probe of this event loop), `usage`, `close`. It answers `started` with the
 * url and admin, or `failed` with the error (StoreInUseError, StoreDamagedError and
 * EmbeddedCouchError arrive in the launcher as the same classes).
 *
 * It closes cleanly (feeds ended, databases closed, lock released) and exits:
 * - on `close`;
 * - when the launcher goes away (its IPC channel disconnects: it exited, crashed or was killed
 *   with SIGKILL), at once, so that a run resumed after a kill can open the folder;
 * - on SIGTERM, SIGINT or SIGHUP only once the launcher says so, or after SIGNAL_GRACE_MS: a Ctrl-C
 *   or a closed terminal, or a service manager's SIGTERM, reach every process of the group, and the
 *   launcher may still need the store to finish (`stats2 update` writes its checkpoint, `serve`
 *   drains requests); without a launcher any of them closes the store at once (never killed
 *   half-way by a hangup: a clean close writes the store manifest).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createLogger, setLogLevel } from '../main/log/logger'
import { startEmbeddedCouch, type EmbeddedCouch } from './embedded-couch'
import { scrubTables } from './check/scrub'
import { encodeError, EXIT_DAMAGE_FOUND, parseToStore, type FromStore, type StoreProcessOptions } from './process/protocol'

const log = createLogger('store-process')

/** After SIGTERM/SIGINT, how long the store waits for its launcher's `close` before closing anyway. */
const SIGNAL_GRACE_MS = 30_000
/** Closing longer than this (a database that never closes): exit anyway; LevelDB is crash-safe. */
const CLOSE_DEADLINE_MS = 20_000
/** A store process that gets no `start` this long after it began is an orphan: it exits. */
const START_MESSAGE_MS = 60_000

let couch: EmbeddedCouch | undefined
let starting: Promise<unknown> | undefined
let closing: Promise<void> | undefined
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()

function send(message: FromStore): void {
  if (!process.connected || !process.send) return
  process.send(message, (error: Error | null) => {
    if (error) log.debug(`message to the launcher lost: ${error.message}`)
  })
}

/** Closes the store (once), then exits with `code`. */
function shutdown(why: string, code = 0): Promise<void> {
  closing ??= (async () => {
    log.debug(`closing: ${why}`)
    const force = setTimeout(() => {
      log.warn(`The store did not close within ${CLOSE_DEADLINE_MS / 1000} s (${why}); exiting without waiting`)
      process.exit(1)
    }, CLOSE_DEADLINE_MS)
    try {
      await starting?.catch(() => undefined)
      await couch?.close()
    } catch (error) {
      log.warn(`Closing the store: ${(error as Error).message}`)
    }
    clearTimeout(force)
    process.exit(code)
  })()
  return closing
}

async function start(options: StoreProcessOptions): Promise<void> {
  setLogLevel(options.logLevel)
  try {
    couch = await startEmbeddedCouch({
      dataDir: options.dataDir,
      inMemory: options.inMemory,
      port: options.port,
      anonymous: options.anonymous,
      ...(options.functionTimeoutMs !== undefined ? { functionTimeoutMs: options.functionTimeoutMs } : {}),
      ownerPid: options.ownerPid,
      ...(options.admin ? { admin: options.admin } : {})
    })
    const { url, adminUser, adminPassword, authHeader, dataDir } = couch
    send({ type: 'started', info: { url, adminUser, adminPassword, authHeader, dataDir, pid: process.pid } })
    if (options.scrubEveryMs && !options.inMemory) scheduleScrub(dataDir, options.scrubEveryMs)
  } catch (error) {
    send({ type: 'failed', error: encodeError(error) })
    await shutdown('the store did not start', 0)
  }
}

/**
 * Every `everyMs`, the tables are verified again (check/scrub.ts). Damage found: the process exits
 * at once without closing its databases (a clean close may compact the damaged block into a new
 * table with a fresh, valid checksum: the damage would become invisible); LevelDB is crash-safe.
 * The supervisor starts a new store process, whose check before opening refuses the damaged
 * database with the reason (a damaged view index is set aside and rebuilt).
 */
function scheduleScrub(dataDir: string, everyMs: number): void {
  let running = false
  const timer = setInterval(() => {
    if (running || closing) return
    running = true
    const started = performance.now()
    scrubTables(dataDir)
      .then((report) => {
        if (report.problems.length === 0) {
          log.debug(`Verified ${report.tables} tables (${Math.round(report.bytes / 1e6)} MB) again in ${Math.round(performance.now() - started)} ms: sound`)
          return
        }
        if (closing) return
        const shown = report.problems.slice(0, 5).join('; ')
        log.error(
          `Damage found while serving, verifying the tables' checksums again: ${shown}${report.problems.length > 5 ? ` (and ${report.problems.length - 5} more)` : ''}. ` +
            'The store process stops without closing its databases; the next start refuses the damaged database (run `stats2 store check`)'
        )
        process.exit(EXIT_DAMAGE_FOUND)
      })
      .catch((error: unknown) => log.warn(`Verifying the tables again: ${(error as Error).message}`))
      .finally(() => {
        running = false
      })
  }, everyMs)
  timer.unref()
}

function onMessage(raw: unknown): void {
  const message = parseToStore(raw)
  if (!message) {
    log.warn('Ignored a message from the launcher that is not one of the protocol')
    return
  }
  switch (message.type) {
    case 'start':
      if (starting) return log.warn('Ignored a second start message')
      clearTimeout(orphanTimer)
      starting = start(message.options)
      return
    case 'ping':
      return send({ type: 'pong', id: message.id })
    case 'usage': {
      const memory = process.memoryUsage()
      const cpu = process.cpuUsage()
      send({
        type: 'usage',
        id: message.id,
        usage: {
          rssBytes: memory.rss,
          heapUsedBytes: memory.heapUsed,
          cpuUserMicros: cpu.user,
          cpuSystemMicros: cpu.system,
          loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
          loopDelayMaxMs: loopDelay.max / 1e6
        }
      })
      if (message.reset) loopDelay.reset()
      return
    }
    case 'close':
      void shutdown('asked to by the launcher')
      return
  }
}

const orphanTimer = setTimeout(() => {
  log.error(`No start message within ${START_MESSAGE_MS / 1000} s: this process is not a launcher's store process; exiting`)
  process.exit(2)
}, START_MESSAGE_MS)

if (!process.send) {
  process.stderr.write('The Stats2 store process is started by Stats2 itself (with an IPC channel), not by hand.\n')
  process.exit(2)
}

process.on('message', onMessage)
process.on('disconnect', () => {
  if (!closing) log.info('The process this store served is gone: closing the store')
  void shutdown('the launcher went away')
})
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (!process.connected) return void shutdown(signal)
    send({ type: 'signal', signal })
    setTimeout(() => void shutdown(`${signal}, and no close from the launcher within ${SIGNAL_GRACE_MS / 1000} s`), SIGNAL_GRACE_MS).unref()
  })
}
process.on('uncaughtException', (error) => {
  // The launcher sees the exit and starts a new store process; LevelDB is crash-safe.
  log.error(`The store process failed: ${error.stack ?? error.message}`)
  process.exit(70)
})
