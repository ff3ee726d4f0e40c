/**
 * Starts one store process (src/store-server/main.ts) and waits until it serves: the program to run
 * (the built sibling of the running bundle, or the TypeScript source under tsx/vitest), the fork,
 * the `start` handshake. The supervisor (store-process.ts) decides when to start one.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { helperProgram } from '../../main/util/helper-program'
import { EmbeddedCouchError } from '../errors'
import { decodeError, EXIT_DAMAGE_FOUND, parseFromStore, type FromStore, type StartedInfo, type StoreProcessOptions } from './protocol'

export interface StoreProgram {
  path: string
  execArgv: string[]
}

/** The store program for this process: the built sibling of the running bundle, or the TypeScript entry with tsx's loader. */
export function storeProgram(file = __filename): StoreProgram {
  let program
  try {
    program = helperProgram('store-server', join(dirname(file), '..', 'main.ts'), file)
  } catch (error) {
    throw new EmbeddedCouchError(`The store program ${(error as Error).message}`)
  }
  return program.kind === 'built' ? { path: program.path, execArgv: [] } : { path: program.path, execArgv: ['--import', program.loader] }
}

/**
 * A memory-sized owner (`stats2 update` is started with a heap limit: bin/heap.cjs, STATS2_HEAP_MB)
 * gets a memory-sized store process: the same limit, and a young generation of 2 MB semi-spaces
 * instead of V8's 16 (the store's resident memory during a 2 000-workflow update over 20 000
 * stored: 137 MB instead of 162–168; the limit alone changed nothing: docs/store-process.md). A
 * limit given in NODE_OPTIONS reaches it through the environment anyway.
 */
export function memorySizing(execArgv: readonly string[] = process.execArgv): string[] {
  const limits = execArgv.filter((arg) => /^--max[-_](old[-_]space|heap)[-_]size=\d+$/.test(arg))
  return limits.length > 0 ? [...limits, '--max-semi-space-size=2'] : []
}

/** "code 1" or "signal SIGKILL" (or what the store process's own codes mean). */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`
  if (code === EXIT_DAMAGE_FOUND) return `code ${code}: it found damage in its tables while serving; see the log`
  return `code ${code ?? '?'}`
}

export interface Launched {
  child: ChildProcess
  /** Resolves once the store serves; rejects with the store's own error class when it cannot start. */
  started: Promise<StartedInfo>
}

/**
 * Forks a store process and sends it `options`. Messages other than the start's answer go to
 * `onMessage`. The process's stdout is passed to this process's stderr (stdout stays the
 * command's: `stats2 dump` output is JSON); its stderr is this process's.
 */
export function launchStore(options: StoreProcessOptions, onMessage: (message: FromStore) => void, startTimeoutMs: number): Launched {
  const program = storeProgram()
  const child = fork(program.path, [], {
    execArgv: [...program.execArgv, ...memorySizing()],
    // Electron's own binary runs the store as plain Node (the desktop app, the installed `stats2`).
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    serialization: 'json'
  })
  child.stdout?.pipe(process.stderr, { end: false })
  const started = new Promise<StartedInfo>((resolve, reject) => {
    let settled = false
    const settle = (error: Error | undefined, info?: StartedInfo): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error) reject(error)
      else resolve(info as StartedInfo)
    }
    const timer = setTimeout(() => {
      settle(new EmbeddedCouchError(`The store process ${child.pid ?? ''} did not start within ${Math.round(startTimeoutMs / 1000)} s; it was stopped`))
      child.kill('SIGKILL')
    }, startTimeoutMs)
    child.on('message', (raw: unknown) => {
      const message = parseFromStore(raw)
      if (!message) return
      if (message.type === 'started') settle(undefined, message.info)
      else if (message.type === 'failed') settle(decodeError(message.error))
      else onMessage(message)
    })
    child.once('error', (error) => settle(new EmbeddedCouchError(`Cannot start the store process: ${error.message}`)))
    child.once('exit', (code, signal) => settle(new EmbeddedCouchError(`The store process exited (${describeExit(code, signal)}) before the store started`)))
  })
  child.send({ type: 'start', options }, (error: Error | null) => {
    if (error) child.kill('SIGKILL') // its exit rejects `started`
  })
  return { child, started }
}
