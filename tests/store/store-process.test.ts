/**
 * The embedded store in a process of its own (src/store-server/process, src/store-server/main.ts):
 * real store processes over real LevelDB folders, killed, stopped and signalled for real. Its start
 * errors arrive as the in-process server's classes and messages; the folder's lock names the Stats2
 * process and its store process; the supervisor restarts a store process that exits or hangs (within
 * a budget) while callers get a clear StoreError instead of a wait; a store process whose owner is
 * killed closes and frees the folder; Ctrl-C does not close the store under its owner.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, promises as fs } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createInterface } from 'node:readline'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { addLogSink, type LogRecord } from '../../src/main/log/logger'
import { CouchStore, StoreError } from '../../src/main/store/couch-store'
import { EmbeddedCouchError, startStoreProcess, StoreDamagedError, StoreInUseError, type StoreProcess } from '../../src/store-server'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { LOCK_FILE, processAlive } from '../../src/store-server/store-lock'
import { MAX_RESTARTS } from '../../src/store-server/process/store-process'
import { memorySizing } from '../../src/store-server/process/launch'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

const OWNER_FIXTURE = join(__dirname, 'fixtures', 'store-owner.ts')
const TSX = pathToFileURL(createRequire(__filename).resolve('tsx')).href

const tempDirs: string[] = []
const closers: Array<() => Promise<unknown>> = []
const children: ChildProcess[] = []
const stopped: number[] = []

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'stats2-store-process-'))
  tempDirs.push(dir)
  return dir
}

async function storeProcess(dataDir: string, hangMs?: number): Promise<StoreProcess> {
  const store = await startStoreProcess({ dataDir, anonymous: 'read', hangMs })
  closers.push(() => store.close())
  return store
}

async function inProcess(dataDir: string): Promise<EmbeddedCouch> {
  const couch = await startEmbeddedCouch({ dataDir })
  closers.push(() => couch.close())
  return couch
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function captureLogs(): { records: LogRecord[]; stop: () => void } {
  const records: LogRecord[] = []
  return { records, stop: addLogSink((record) => records.push(record)) }
}

const doc = (name: string): WorkflowDoc => ({
  _id: name, RequestName: name, PrepID: `P-${name}`, Campaigns: [], EventNumberHistory: [], OutputDatasets: [],
  RequestPriority: 1, RequestTransition: [], Requests: [], TotalEvents: 1, TotalInputLumis: -1
})

async function readLockFile(dataDir: string): Promise<{ pid: number; ownerPid?: number; url?: string }> {
  return JSON.parse(await fs.readFile(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; ownerPid?: number; url?: string }
}

afterEach(async () => {
  for (const pid of stopped.splice(0)) {
    try {
      process.kill(pid, 'SIGCONT')
    } catch {
      /* gone */
    }
  }
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined)
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

afterAll(async () => {
  for (const dir of tempDirs.splice(0)) await fs.rm(dir, { recursive: true, force: true })
})

describe('the store process', () => {
  it('serves the folder from a process of its own, recorded in the lock with its owner, and frees it on close', async () => {
    const dataDir = await tempDir()
    const store = await storeProcess(dataDir)
    expect(store.state).toBe('up')
    expect(store.pid).toBeGreaterThan(0)
    expect(store.pid).not.toBe(process.pid)
    expect(processAlive(store.pid!)).toBe(true)
    expect(await readLockFile(dataDir)).toMatchObject({ pid: store.pid, ownerPid: process.pid, url: store.url })
    const root = await fetch(`${store.url}/`)
    expect(root.status).toBe(200)
    const usage = await store.usage()
    expect(usage.rssBytes).toBeGreaterThan(10e6)

    const pid = store.pid!
    await store.close()
    expect(processAlive(pid)).toBe(false)
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false)
    expect(store.unavailable()).toBe('The store is closed')
  })

  it('a second start on the folder gets the in-process server\'s StoreInUseError, naming the process an operator knows', async () => {
    // Held in this process: the store process's refusal is word for word the in-process one's.
    const heldHere = await tempDir()
    await inProcess(heldHere)
    const here = await startEmbeddedCouch({ dataDir: heldHere }).catch((error: unknown) => error)
    const there = await startStoreProcess({ dataDir: heldHere, anonymous: 'read' }).catch((error: unknown) => error)
    expect(here).toBeInstanceOf(StoreInUseError)
    expect(there).toBeInstanceOf(StoreInUseError)
    expect((there as StoreInUseError).message).toBe((here as StoreInUseError).message)
    expect((there as StoreInUseError).pid).toBe(process.pid)

    // Held by a store process: the owner is named, with its store process.
    const heldThere = await tempDir()
    const store = await storeProcess(heldThere)
    const refused = await startEmbeddedCouch({ dataDir: heldThere }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(StoreInUseError)
    expect((refused as StoreInUseError).ownerPid).toBe(process.pid)
    expect((refused as StoreInUseError).message).toContain(
      `is in use by process ${process.pid} (its store process is ${store.pid}) (${store.url}). Stop it, or set DB_URL=${store.url} to share it.`
    )
    const again = await startStoreProcess({ dataDir: heldThere, anonymous: 'read' }).catch((error: unknown) => error)
    expect(again).toBeInstanceOf(StoreInUseError)
    expect((again as StoreInUseError).message).toBe((refused as StoreInUseError).message)
  })

  it('a damaged folder and an unusable one fail with StoreDamagedError and EmbeddedCouchError, as in-process', async () => {
    const dataDir = await tempDir()
    const store = await CouchStore.open({ dataDir })
    await store.saveWorkflows([doc('kept_230101_000000_1')])
    await store.close()
    await fs.rm(join(dataDir, 'requests', 'CURRENT'))
    const here = await startEmbeddedCouch({ dataDir }).catch((error: unknown) => error)
    const there = await startStoreProcess({ dataDir, anonymous: 'read' }).catch((error: unknown) => error)
    expect(here).toBeInstanceOf(StoreDamagedError)
    expect(there).toBeInstanceOf(StoreDamagedError)
    expect((there as StoreDamagedError).message).toBe((here as StoreDamagedError).message)
    expect((there as StoreDamagedError).damaged.map((folder) => folder.name)).toEqual(['requests'])
    expect(existsSync(join(dataDir, LOCK_FILE)), 'the refused start released the lock').toBe(false)

    const file = join(await tempDir(), 'a-file')
    await fs.writeFile(file, 'x')
    const hereFile = await startEmbeddedCouch({ dataDir: join(file, 'store') }).catch((error: unknown) => error)
    const thereFile = await startStoreProcess({ dataDir: join(file, 'store'), anonymous: 'read' }).catch((error: unknown) => error)
    expect(thereFile).toBeInstanceOf(EmbeddedCouchError)
    expect((thereFile as Error).message).toBe((hereFile as Error).message)
  })

  it('Ctrl-C (SIGINT) or SIGTERM reaching the store process leave the store to its owner, which closes it', async () => {
    const dataDir = await tempDir()
    const store = await storeProcess(dataDir)
    const pid = store.pid!
    process.kill(pid, 'SIGINT')
    process.kill(pid, 'SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect((await fetch(`${store.url}/`)).status).toBe(200)
    expect(store.state).toBe('up')
    await store.close()
    expect(processAlive(pid)).toBe(false)
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false)
  })
})

describe('the supervisor', () => {
  it('a store process killed with SIGKILL: calls fail with the reason, then a new one serves the same folder on the same port', async () => {
    const dataDir = await tempDir()
    const store = await CouchStore.open({ dataDir })
    closers.push(() => store.close())
    await store.saveWorkflows([doc('kept_230101_000000_1')])
    const proc = store.embeddedServer!
    const first = proc.pid!
    const url = store.url
    const logs = captureLogs()
    try {
      // A call made as soon as the supervisor knows (its signal aborts calls in flight), before a new
      // store process serves: it fails at once with the reason (not retried into a wait).
      const signal = proc.signal
      const meanwhile = new Promise<unknown>((resolve) => {
        signal.addEventListener('abort', () => resolve(store.countWorkflows().then(() => 'answered', (error: unknown) => error)))
      })
      process.kill(first, 'SIGKILL')
      const failed = await meanwhile
      expect(failed).toBeInstanceOf(StoreError)
      expect((failed as Error).message).toMatch(new RegExp(`^The store process ${first} exited unexpectedly \\(signal SIGKILL\\); a new store process is starting$`))
      await waitUntil(() => proc.pid !== undefined, 'a new store process serves')
      expect(proc.pid).not.toBe(first)
      expect(store.url).toBe(url)
      expect(await store.countWorkflows()).toBe(1)
      expect((await store.getWorkflow('kept_230101_000000_1'))?.PrepID).toBe('P-kept_230101_000000_1')
      expect(await readLockFile(dataDir)).toMatchObject({ pid: proc.pid, ownerPid: process.pid })
      const lines = logs.records.filter((record) => record.component === 'store-process').map((record) => record.message)
      expect(lines.filter((line) => line.includes(`The store process ${first} exited unexpectedly (signal SIGKILL); starting a new one`))).toHaveLength(1)
      expect(lines.filter((line) => line.startsWith('The store serves again'))).toHaveLength(1)
    } finally {
      logs.stop()
    }
  })

  it('a store process that stops answering: calls in flight fail with the reason, then it is killed and replaced', async () => {
    const dataDir = await tempDir()
    const hangMs = 2000
    const store = await CouchStore.open({ dataDir, storeHangMs: hangMs })
    closers.push(() => store.close())
    await store.saveWorkflows([doc('kept_230101_000000_1')])
    const proc = store.embeddedServer!
    const hung = proc.pid!
    // SIGSTOP: the store process's event loop runs no more, as in a map function that never returns.
    process.kill(hung, 'SIGSTOP')
    stopped.push(hung)
    const inFlight = await store.countWorkflows().then(() => undefined, (error: unknown) => error)
    expect(inFlight).toBeInstanceOf(StoreError)
    expect((inFlight as Error).message).toMatch(new RegExp(`The store process ${hung} has not answered for \\d+(\\.\\d)? s \\(busy or hung\\)`))
    await waitUntil(() => proc.pid !== undefined && proc.pid !== hung, 'a new store process serves')
    expect(processAlive(hung)).toBe(false)
    expect(await store.countWorkflows()).toBe(1)
  })

  it('an owner held up itself does not take its answering store process for hung', async () => {
    const hangMs = 6000
    const store = await storeProcess(await tempDir(), hangMs)
    const pid = store.pid!
    const logs = captureLogs()
    try {
      // A ping goes out while the store process is held still (1.5 s: not yet "unavailable")…
      process.kill(pid, 'SIGSTOP')
      stopped.push(pid)
      await new Promise((resolve) => setTimeout(resolve, 1500))
      // …then it answers while this process's event loop is held up past the deadline: the answer
      // waits unread, and must be read before the silence is judged.
      process.kill(pid, 'SIGCONT')
      const until = Date.now() + hangMs + 1000
      while (Date.now() < until) {
        /* busy */
      }
      await new Promise((resolve) => setTimeout(resolve, 2500))
      expect(store.pid).toBe(pid)
      expect(store.state).toBe('up')
      expect(logs.records.filter((record) => record.component === 'store-process').map((record) => record.message)).toEqual([])
    } finally {
      logs.stop()
    }
  })

  it(`stays down, with the reason, after more than ${MAX_RESTARTS} stops within a minute`, async () => {
    const dataDir = await tempDir()
    const store = await CouchStore.open({ dataDir })
    closers.push(() => store.close())
    const proc = store.embeddedServer!
    const killed: number[] = []
    for (let stop = 0; stop <= MAX_RESTARTS; stop++) {
      await waitUntil(() => proc.pid !== undefined, 'a store process serves')
      killed.push(proc.pid!)
      process.kill(proc.pid!, 'SIGKILL')
      await waitUntil(() => proc.pid === undefined || !killed.includes(proc.pid), 'the supervisor saw the exit')
    }
    await waitUntil(() => proc.pid === undefined, 'no store process')
    const failed = await store.countWorkflows().then(() => undefined, (error: unknown) => error)
    expect(failed).toBeInstanceOf(StoreError)
    expect((failed as Error).message).toMatch(/exited unexpectedly \(signal SIGKILL\), the 4th stop within 1 minute: it is not started again/)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(proc.pid, 'no new store process').toBeUndefined()
    expect(killed.every((pid) => !processAlive(pid))).toBe(true)
  })
})

/** The fixture owner: a Stats2 process with its store process. */
async function startOwner(dataDir: string, nodeOptions: string[] = []): Promise<{ child: ChildProcess; pid: number; storePid: number; url: string }> {
  const child = spawn(process.execPath, [...nodeOptions, '--import', TSX, OWNER_FIXTURE, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the owner exited (${code})`)))
    createInterface({ input: child.stdout! }).once('line', resolve)
  })
  return { child, ...(JSON.parse(line) as { pid: number; storePid: number; url: string }) }
}

describe('when the owner dies', () => {
  it('killed with SIGKILL: its store process closes the folder and exits, and the next start opens it', async () => {
    const dataDir = await tempDir()
    // A memory-sized owner (as `stats2 update` is started: bin/heap.cjs) has a memory-sized store process.
    const owner = await startOwner(dataDir, ['--max-old-space-size=160'])
    expect(await readLockFile(dataDir)).toMatchObject({ pid: owner.storePid, ownerPid: owner.pid })
    const storeArgs = (await fs.readFile(`/proc/${owner.storePid}/cmdline`, 'utf8')).split('\0')
    expect(storeArgs).toEqual(expect.arrayContaining(['--max-old-space-size=160', '--max-semi-space-size=2']))
    expect(memorySizing([])).toEqual([])
    process.kill(owner.pid, 'SIGKILL')
    await waitUntil(() => !processAlive(owner.storePid), 'the store process exits')
    expect(existsSync(join(dataDir, LOCK_FILE)), 'it released the lock').toBe(false)
    const next = await storeProcess(dataDir)
    expect((await fetch(`${next.url}/`)).status).toBe(200)
  })

  it('a start meanwhile waits for an orphaned store process to close instead of calling the folder in use', async () => {
    const dataDir = await tempDir()
    // The lock as an orphaned store process leaves it while it closes: its owner gone, itself alive.
    const gone = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => gone.once('exit', resolve))
    const orphan = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3000)'])
    children.push(orphan)
    const orphanExited = new Promise((resolve) => orphan.once('exit', resolve))
    const { hostname, uptime } = await import('node:os')
    await fs.writeFile(join(dataDir, LOCK_FILE), JSON.stringify({ pid: orphan.pid, ownerPid: gone.pid, host: hostname(), bootTime: Date.now() - uptime() * 1000, token: 'orphan' }))
    let settled = false
    const next = startEmbeddedCouch({ dataDir }).finally(() => (settled = true))
    next.then((couch) => closers.push(() => couch.close()), () => undefined)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(processAlive(orphan.pid!), 'the orphan is still there').toBe(true)
    expect(settled, 'the start waits for the orphan (it would have been refused at once)').toBe(false)
    await orphanExited
    const couch = await next
    expect(await readLockFile(dataDir)).toMatchObject({ pid: process.pid, url: couch.url })

    // A live holder whose owner is alive too is in use: refused at once, as before.
    const held = await tempDir()
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    children.push(holder)
    await fs.writeFile(join(held, LOCK_FILE), JSON.stringify({ pid: holder.pid, ownerPid: process.pid, host: hostname(), bootTime: Date.now() - uptime() * 1000, token: 'held' }))
    const refused = await startEmbeddedCouch({ dataDir: held }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(StoreInUseError)
    expect((refused as StoreInUseError).message).toContain(`is in use by process ${process.pid} (its store process is ${holder.pid})`)
  })
})
