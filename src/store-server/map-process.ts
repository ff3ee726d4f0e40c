/**
 * Child processes that run design-document map functions for the native index build
 * (native-view-index.ts), one per index (design document), as CouchDB runs its query servers
 * (`couchjs`, os_process): a map that never returns, or that allocates without end, holds its own
 * process only, never the store's event loop or memory, nor the build of another design document.
 *
 * - The child compiles each map as the sandbox does (sandbox.ts: same prelude, same page caller,
 *   one VM context per function) and maps a page with all the maps of the index in one round trip,
 *   JSON in and out over the IPC channel. Its environment is empty (no credentials reach it).
 * - Each map runs under the deadline (sandbox.ts' function deadline, a `vm` timeout in the child):
 *   past it the page fails with FunctionTimeoutError naming that map. A child that does not answer
 *   at all is killed after every map's deadline and a second; the call fails the same way, and the
 *   next call starts a fresh child. The index writes nothing of a page whose call failed.
 * - A child may use MAP_PROCESS_HEAP_MB of heap: past it V8 ends the child, and the page fails with
 *   `os_process_error` "ran out of memory". (A worker thread with `resourceLimits` was tried first:
 *   one large allocation past its limit aborted the whole process.)
 * - An idle child exits after MAP_PROCESS_IDLE_MS; none keeps the store's process alive, and each
 *   exits when the store's process goes away (its IPC channel closes).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { setPriority } from 'node:os'
import { BATCH_SCRIPT, functionScript, FunctionTimeoutError, functionTimeout } from './sandbox'

export const MAP_PROCESS_HEAP_MB = 256
/** The nice value of map processes (0 normal, 19 lowest): below the store and the service. */
export const MAP_PROCESS_NICE = 10
export const MAP_PROCESS_IDLE_MS = 60_000
/** The tail of a child's stderr kept to tell why it died. */
const STDERR_TAIL = 4_096

/**
 * The child's program (run with `-e`: no file to find in a bundle). A message holds a page per map
 * (`source`, its `script` from functionScript, the page's `json`) and the deadline; the answer holds
 * each map's results, or which map failed and how.
 */
const CHILD_SOURCE = `'use strict'
const vm = require('node:vm')
const BATCH_SCRIPT = ${JSON.stringify(BATCH_SCRIPT)}
const ENTER = new vm.Script('__stats2_enter(__stats2_json)', { filename: 'design-document-call.js' })
const contexts = new Map()
function contextOf(source, script, deadline) {
  let context = contexts.get(source)
  if (!context) {
    context = vm.createContext(Object.create(null))
    new vm.Script(script, { filename: 'design-document-function.js' }).runInContext(context, { timeout: deadline })
    context.__stats2_enter = new vm.Script(BATCH_SCRIPT, { filename: 'design-document-function.js' }).runInContext(context)
    contexts.set(source, context)
  }
  return context
}
process.on('disconnect', () => process.exit(0))
process.on('message', ({ id, maps, deadline }) => {
  const results = []
  for (let m = 0; m < maps.length; m++) {
    try {
      const context = contextOf(maps[m].source, maps[m].script, deadline)
      context.__stats2_json = maps[m].json
      results.push(ENTER.runInContext(context, { timeout: deadline }))
      context.__stats2_json = undefined
    } catch (error) {
      const timeout = Boolean(error && error.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
      process.send({ id, failed: m, timeout, error: String(error && error.message !== undefined ? error.message : error) })
      return
    }
  }
  process.send({ id, results })
})
`

/** A map failed outside any one document: it did not compile there, or its process ran out of memory or died. */
export class MapProcessError extends Error {
  override name = 'os_process_error'
  readonly status = 500
}

export interface PageMap {
  source: string
  /** The page as this map reads it (JSON). */
  json: string
  /** Its name in errors: "the map function _design/x/_view/y". */
  what: string
}

interface Pending {
  resolve: (results: string[]) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
  maps: readonly PageMap[]
}

interface Answer {
  id: number
  results?: string[]
  failed?: number
  timeout?: boolean
  error?: string
}

class MapProcess {
  private child: ChildProcess | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private idle: NodeJS.Timeout | undefined
  private stderr = ''

  run(maps: readonly PageMap[]): Promise<string[]> {
    clearTimeout(this.idle)
    const child = this.start()
    const id = this.nextId++
    const deadline = functionTimeout()
    return new Promise<string[]>((resolve, reject) => {
      // The child stops each map itself; this only ends a child that does not answer at all.
      const backstop = deadline * maps.length + 1_000
      const timer = setTimeout(() => this.stop(new FunctionTimeoutError(`mapping a page with ${maps.map((map) => map.what).join(', ')}`, backstop)), backstop)
      this.pending.set(id, { resolve, reject, timer, maps })
      child.send({ id, deadline, maps: maps.map((map) => ({ source: map.source, script: functionScript(map.source), json: map.json })) }, (error) => {
        if (error) this.stop(new MapProcessError(`could not hand a page to the map process: ${error.message}`))
      })
    })
  }

  private start(): ChildProcess {
    if (this.child) return this.child
    // Electron's binary acts as Node with ELECTRON_RUN_AS_NODE; plain Node ignores it.
    const child = spawn(process.execPath, [`--max-old-space-size=${MAP_PROCESS_HEAP_MB}`, '-e', CHILD_SOURCE], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ELECTRON_RUN_AS_NODE: '1' }
    })
    // Untrusted work at a lower CPU priority: a function that spins until its deadline slows the
    // store and the service (other processes) as little as the operating system allows.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, MAP_PROCESS_NICE)
      } catch {
        // Not permitted here: the deadline still bounds it.
      }
    }
    this.stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL)
    })
    child.on('message', (answer: Answer) => {
      const call = this.pending.get(answer.id)
      if (!call) return
      this.pending.delete(answer.id)
      clearTimeout(call.timer)
      if (answer.results) {
        call.resolve(answer.results)
      } else {
        const what = call.maps[answer.failed ?? 0]?.what ?? 'a map function'
        call.reject(answer.timeout ? new FunctionTimeoutError(what, functionTimeout()) : new MapProcessError(`${what} failed: ${answer.error ?? 'unknown error'}`))
      }
      if (this.pending.size === 0) this.idle = setTimeout(() => this.stop(), MAP_PROCESS_IDLE_MS).unref()
    })
    child.on('error', (error) => this.stop(new MapProcessError(`the map process failed: ${error.message}`), child))
    child.on('exit', (code, signal) => {
      const what = [...this.pending.values()][0]?.maps.map((map) => map.what).join(', ') ?? 'a map function'
      const outOfMemory = /heap out of memory|Allocation failed/i.test(this.stderr)
      this.stop(
        outOfMemory
          ? new MapProcessError(`${what} ran out of memory (its process may use ${MAP_PROCESS_HEAP_MB} MB) and was stopped`)
          : new MapProcessError(`the process running ${what} ended (${signal ?? `exit code ${String(code)}`})`),
        child
      )
    })
    child.unref()
    ;(child.channel as { unref?: () => void } | undefined)?.unref?.()
    this.child = child
    return child
  }

  /** Ends the child (only `which`, when given: an old child's exit must not stop its successor); calls still waiting fail with `error`. */
  stop(error?: Error, which?: ChildProcess): void {
    if (which && which !== this.child) return
    clearTimeout(this.idle)
    const child = this.child
    this.child = undefined
    for (const call of this.pending.values()) {
      clearTimeout(call.timer)
      call.reject(error ?? new MapProcessError('the map process stopped'))
    }
    this.pending.clear()
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

const processes = new Map<string, MapProcess>()

/** The runner of the index `key` (its design document's signature): a process of its own. */
export function mapRunner(key: string): (maps: readonly PageMap[]) => Promise<string[]> {
  let runner = processes.get(key)
  if (!runner) {
    runner = new MapProcess()
    processes.set(key, runner)
  }
  const chosen = runner
  return (maps) => chosen.run(maps)
}

/** Ends every map process (the store closing); a later build starts new ones. */
export function stopMapProcesses(): void {
  for (const runner of processes.values()) runner.stop()
}
