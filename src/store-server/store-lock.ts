/**
 * One process per store folder: `<dataDir>/stats2.lock` holds the pid of the process that serves the
 * store, the pid of the Stats2 process it serves (`ownerPid`, when the store runs in a process of its
 * own: store-process.ts), host, boot time and (once it listens) url. It is created with the `wx` flag, so two processes never both create it;
 * a lock whose owner is gone (kill -9, crash, reboot) is taken over. LevelDB's own LOCK files stay
 * the real guard against two writers: this file exists to give the operator a clear message (who
 * holds the folder, which url to share) instead of LevelDB's "Resource temporarily unavailable".
 */
import { randomUUID } from 'node:crypto'
import { promises as fs, unlinkSync, readFileSync } from 'node:fs'
import { hostname, uptime } from 'node:os'
import { join } from 'node:path'
import { type Logger } from '../main/log/logger'

export const LOCK_FILE = 'stats2.lock'

/**
 * A second process on the same folder. `pid` is the process serving the store (0 when the holder
 * could not be identified), `ownerPid` the Stats2 process it serves when the store runs in a
 * process of its own: the one an operator stops.
 */
export class StoreInUseError extends Error {
  override name = 'StoreInUseError'
  readonly pid: number
  readonly ownerPid?: number
  readonly url?: string
  readonly dataDir: string
  readonly lockPath: string
  readonly host?: string

  constructor(info: { dataDir: string; pid: number; ownerPid?: number; url?: string; host?: string; detail?: string }) {
    const lockPath = join(info.dataDir, LOCK_FILE)
    const otherHost = info.host !== undefined && info.host !== hostname()
    const on = otherHost ? ` on ${info.host}` : ''
    const owned = info.ownerPid !== undefined && info.ownerPid > 0 && info.ownerPid !== info.pid
    const who =
      info.pid <= 0 ? 'another process' : owned ? `process ${info.ownerPid}${on} (its store process is ${info.pid})` : `process ${info.pid}${on}`
    const where = info.url ? ` (${info.url})` : ''
    let message = `The Stats2 store in ${info.dataDir} is in use by ${who}${where}. Stop it`
    message += info.url && !otherHost ? `, or set DB_URL=${info.url} to share it.` : ', or use another data folder.'
    if (info.pid > 0) message += ` If that process is not Stats2, delete ${lockPath}.`
    if (info.detail) message += ` (${info.detail})`
    super(message)
    this.pid = info.pid
    if (owned) this.ownerPid = info.ownerPid
    this.url = info.url
    this.dataDir = info.dataDir
    this.lockPath = lockPath
    this.host = info.host
  }
}

export interface LockInfo {
  /** The process that opened the databases. */
  pid: number
  /** The Stats2 process that started it, when the store runs in a process of its own. */
  ownerPid?: number
  host: string
  /** Wall-clock boot time of the machine (ms), to spot locks that survived a reboot. */
  bootTime: number
  startedAt: string
  token: string
  url?: string
}

/** The holder of a lock file, or undefined if there is none or it cannot be read. */
export async function readLock(dataDir: string): Promise<LockInfo | undefined> {
  try {
    return parseLock(await fs.readFile(join(dataDir, LOCK_FILE), 'utf8'))
  } catch {
    return undefined
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined
    return {
      pid: value.pid,
      host: typeof value.host === 'string' ? value.host : hostname(),
      bootTime: typeof value.bootTime === 'number' ? value.bootTime : 0,
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : '',
      token: typeof value.token === 'string' ? value.token : '',
      url: typeof value.url === 'string' && value.url ? value.url : undefined,
      ...(typeof value.ownerPid === 'number' && Number.isInteger(value.ownerPid) && value.ownerPid > 0 ? { ownerPid: value.ownerPid } : {})
    }
  } catch {
    return undefined
  }
}

function currentBootTime(): number {
  return Date.now() - uptime() * 1000
}

/** Is the process alive? EPERM means it exists but belongs to someone else. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Why a lock is stale, or undefined if its holder may still be running. */
function staleReason(lock: LockInfo): string | undefined {
  if (lock.host !== hostname()) return undefined // cannot check another machine's processes
  if (lock.bootTime > 0 && Math.abs(lock.bootTime - currentBootTime()) > 5 * 60_000) {
    return `left by process ${lock.pid} before the machine restarted`
  }
  if (lock.pid === process.pid) {
    // Ours if this process holds that token; otherwise an earlier process had the same pid (pid 1
    // in a container, say).
    return heldTokens.has(lock.token) ? undefined : `left by an earlier process with the same pid ${lock.pid}`
  }
  if (!processAlive(lock.pid)) return `left by process ${lock.pid}, which is no longer running`
  return undefined
}

export interface StoreLock {
  readonly path: string
  readonly info: LockInfo
  /** Records the url the store is served on (for the next process's message). */
  setUrl(url: string): Promise<void>
  /** Removes the lock if it is still ours; idempotent. */
  release(): Promise<void>
}

/** Tokens of the locks this process holds. */
const heldTokens = new Set<string>()

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * How long a start waits for a store process whose owner is gone (killed, crashed) to close its
 * databases and exit, as it does on its own at once (src/store-server/main.ts): a run resumed right
 * after a kill -9 then opens the folder instead of being told it is in use.
 */
export const ORPHAN_WAIT_MS = 15_000

/** A live store process whose owner is gone: it is closing (see ORPHAN_WAIT_MS). */
function isClosingOrphan(lock: LockInfo): boolean {
  return lock.ownerPid !== undefined && lock.host === hostname() && lock.ownerPid !== lock.pid && !processAlive(lock.ownerPid)
}

/**
 * Takes the lock of `dataDir` (which must exist) or throws StoreInUseError. Filesystem errors
 * (EACCES, EROFS, ENOTDIR, …) are thrown as they are, for the caller to word. `ownerPid`: the
 * Stats2 process this store serves, when it runs in a process of its own.
 */
export async function acquireStoreLock(dataDir: string, log: Logger, options: { ownerPid?: number } = {}): Promise<StoreLock> {
  const path = join(dataDir, LOCK_FILE)
  const info: LockInfo = {
    pid: process.pid,
    ...(options.ownerPid !== undefined && options.ownerPid !== process.pid ? { ownerPid: options.ownerPid } : {}),
    host: hostname(),
    bootTime: currentBootTime(),
    startedAt: new Date().toISOString(),
    token: randomUUID()
  }

  const started = Date.now()
  let waitedForOrphan = false
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(path, JSON.stringify(info) + '\n', { flag: 'wx', mode: 0o600 })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (attempt >= 40) throw new StoreInUseError({ dataDir, pid: 0, detail: `could not take over ${path}` })

    let text: string
    try {
      text = await fs.readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue // released meanwhile: retry
      throw error
    }
    const holder = parseLock(text)
    if (!holder) {
      // Empty or torn: another process is between creating and writing it. Give it a moment,
      // then consider it garbage.
      const age = await fs.stat(path).then((s) => Date.now() - s.mtimeMs, () => 0)
      if (age < 2_000) {
        await sleep(50)
        continue
      }
      log.warn(`Taking over the unreadable lock file ${path}`)
    } else {
      const reason = staleReason(holder)
      if (!reason && isClosingOrphan(holder) && Date.now() - started < ORPHAN_WAIT_MS) {
        if (!waitedForOrphan) log.info(`Waiting for store process ${holder.pid} to close: the process it served (${holder.ownerPid}) is gone`)
        waitedForOrphan = true
        await sleep(100)
        attempt-- // waiting for it is not a failed attempt
        continue
      }
      if (!reason) throw new StoreInUseError({ dataDir, pid: holder.pid, ownerPid: holder.ownerPid, url: holder.url, host: holder.host })
      log.info(`Taking over the stale store lock ${path} (${reason})`)
    }
    await removeIfUnchanged(path, text)
  }

  heldTokens.add(info.token)
  let released = false
  const onExit = (): void => {
    // Last chance on a normal exit (not on kill -9: the next start takes the stale lock over).
    try {
      if (parseLock(readFileSync(path, 'utf8'))?.token === info.token) unlinkSync(path)
    } catch {
      /* gone already */
    }
  }
  process.on('exit', onExit)

  return {
    path,
    info,
    async setUrl(url: string) {
      if (released) return
      info.url = url
      const temp = `${path}.${info.token}.tmp`
      await fs.writeFile(temp, JSON.stringify(info) + '\n', { mode: 0o600 })
      await fs.rename(temp, path)
    },
    async release() {
      if (released) return
      released = true
      heldTokens.delete(info.token)
      process.removeListener('exit', onExit)
      const current = await readLock(dataDir)
      if (current?.token === info.token) await fs.rm(path, { force: true })
    }
  }
}

/**
 * Deletes a stale lock file only if it still holds `expected`: it is renamed away first (atomic, so
 * only one of several racing processes gets it), then checked; a lock that turns out to be fresh
 * (written by a process that won a race meanwhile) is linked back.
 */
async function removeIfUnchanged(path: string, expected: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`
  try {
    await fs.rename(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => expected)
  if (moved !== expected) {
    await fs.link(aside, path).catch(() => undefined) // EEXIST: someone else holds it now; fine
  }
  await fs.rm(aside, { force: true })
}

/**
 * The pid holding an fcntl lock on `file` according to /proc/locks (Linux only), or 0. Used to name
 * the holder when LevelDB refuses to open a database that our own lock file did not protect.
 */
export async function lockHolderPid(file: string): Promise<number> {
  try {
    const [stat, locks] = await Promise.all([fs.stat(file), fs.readFile('/proc/locks', 'utf8')])
    for (const line of locks.split('\n')) {
      // "1: POSIX  ADVISORY  WRITE 23472 fe:00:2146408 0 EOF"
      const match = /^\d+:\s+\S+\s+\S+\s+\S+\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/i.exec(line)
      if (match && Number(match[2]) === stat.ino) return Number(match[1])
    }
  } catch {
    /* not Linux, or no such file */
  }
  return 0
}
