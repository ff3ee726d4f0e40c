/**
 * The messages between the launcher (the product's process) and the store process
 * (src/store-server/main.ts) over Node's IPC channel, and the errors that cross it. Both ends are
 * this project's code, but a message is still checked before it is used: a damaged or unexpected
 * one is dropped with a log line, never trusted.
 */
import { z } from 'zod'
import type { AnonymousAccess } from '../couch-access'
import { EmbeddedCouchError } from '../errors'
import { StoreInUseError } from '../store-lock'
import { StoreDamagedError, type FolderCheck } from '../check/damage'
import type { LogLevel } from '../../main/log/logger'

/** What the launcher resolved for the store process: it never reads the operator's environment itself. */
/** The store process's exit code when verifying its tables again found damage (main.ts). */
export const EXIT_DAMAGE_FOUND = 75

export interface StoreProcessOptions {
  /** '' with inMemory. */
  dataDir: string
  inMemory: boolean
  /** 0: any free port. A restarted store asks for its previous port first. */
  port: number
  anonymous: AnonymousAccess
  /** Deadline of each design-document function call and `_find`; absent: the server's default. */
  functionTimeoutMs?: number
  /** Every this many ms, the tables' checksums are verified again while the store serves (check/scrub.ts); 0 or absent: never. */
  scrubEveryMs?: number
  /** The launcher's pid, recorded in the folder's lock: the process an operator knows. */
  ownerPid: number
  logLevel: LogLevel
  /** In memory only: the admin to keep across restarts (a folder keeps its own in admin.json). */
  admin?: { user: string; password: string }
}

/** The running store, as the store process reports it. */
export interface StartedInfo {
  url: string
  adminUser: string
  adminPassword: string
  authHeader: string
  dataDir: string
  pid: number
}

/** What the store process measures of itself (benchmarks, diagnostics). */
export interface StoreUsage {
  rssBytes: number
  heapUsedBytes: number
  cpuUserMicros: number
  cpuSystemMicros: number
  /** Its own event loop's delay since the last reset (perf_hooks), milliseconds. */
  loopDelayP99Ms: number
  loopDelayMaxMs: number
}

/** An error as it crosses the channel: its class by name, its message and the fields its class needs. */
export interface WireError {
  name: string
  message: string
  inUse?: { dataDir: string; pid: number; url?: string; host?: string; ownerPid?: number }
  damaged?: { dataDir: string; folders: FolderCheck[] }
}

export type ToStore =
  | { type: 'start'; options: StoreProcessOptions }
  | { type: 'ping'; id: number }
  | { type: 'usage'; id: number; reset?: boolean }
  | { type: 'close' }

export type FromStore =
  | { type: 'started'; info: StartedInfo }
  | { type: 'failed'; error: WireError }
  | { type: 'pong'; id: number }
  | { type: 'usage'; id: number; usage: StoreUsage }
  /** The store process got SIGTERM or SIGINT: it closes when the launcher says so (or after a grace period). */
  | { type: 'signal'; signal: string }

const folderCheck = z.object({ name: z.string(), path: z.string(), kind: z.enum(['database', 'index']), problems: z.array(z.string()) }).passthrough()

const wireError = z.object({
  name: z.string(),
  message: z.string(),
  inUse: z.object({ dataDir: z.string(), pid: z.number(), url: z.string().optional(), host: z.string().optional(), ownerPid: z.number().optional() }).optional(),
  damaged: z.object({ dataDir: z.string(), folders: z.array(folderCheck) }).optional()
})

const storeOptions = z.object({
  dataDir: z.string(),
  inMemory: z.boolean(),
  port: z.number().int().min(0).max(65535),
  anonymous: z.enum(['read', 'none']),
  functionTimeoutMs: z.number().int().positive().optional(),
  scrubEveryMs: z.number().int().min(0).optional(),
  ownerPid: z.number().int().positive(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']),
  admin: z.object({ user: z.string(), password: z.string() }).optional()
})

const toStore = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), options: storeOptions }),
  z.object({ type: z.literal('ping'), id: z.number() }),
  z.object({ type: z.literal('usage'), id: z.number(), reset: z.boolean().optional() }),
  z.object({ type: z.literal('close') })
])

const fromStore = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('started'),
    info: z.object({ url: z.string(), adminUser: z.string(), adminPassword: z.string(), authHeader: z.string(), dataDir: z.string(), pid: z.number() })
  }),
  z.object({ type: z.literal('failed'), error: wireError }),
  z.object({ type: z.literal('pong'), id: z.number() }),
  z.object({
    type: z.literal('usage'),
    id: z.number(),
    usage: z.object({
      rssBytes: z.number(), heapUsedBytes: z.number(), cpuUserMicros: z.number(), cpuSystemMicros: z.number(), loopDelayP99Ms: z.number(), loopDelayMaxMs: z.number()
    })
  }),
  z.object({ type: z.literal('signal'), signal: z.string() })
])

export function parseToStore(message: unknown): ToStore | undefined {
  const parsed = toStore.safeParse(message)
  return parsed.success ? (parsed.data as ToStore) : undefined
}

export function parseFromStore(message: unknown): FromStore | undefined {
  const parsed = fromStore.safeParse(message)
  return parsed.success ? (parsed.data as FromStore) : undefined
}

/** The store process's side: any error of a failed start, as it crosses the channel. */
export function encodeError(error: unknown): WireError {
  if (error instanceof StoreInUseError) {
    return { name: error.name, message: error.message, inUse: { dataDir: error.dataDir, pid: error.pid, url: error.url, host: error.host, ownerPid: error.ownerPid } }
  }
  if (error instanceof StoreDamagedError) {
    return { name: error.name, message: error.message, damaged: { dataDir: error.dataDir, folders: error.damaged } }
  }
  if (error instanceof Error) return { name: error.name, message: error.message }
  return { name: 'Error', message: String(error) }
}

/**
 * The launcher's side: the same class with the same message (the IPC layer and the CLI tell the
 * store's errors apart by class). Anything else becomes an EmbeddedCouchError: the store did not start.
 */
export function decodeError(wire: WireError): Error {
  let error: Error
  if (wire.name === 'StoreInUseError' && wire.inUse) error = new StoreInUseError(wire.inUse)
  else if (wire.name === 'StoreDamagedError' && wire.damaged) error = new StoreDamagedError(wire.damaged.dataDir, wire.damaged.folders as FolderCheck[])
  else error = new EmbeddedCouchError(wire.message)
  // Built from the same fields the message is the same, but the one the operator would have seen wins.
  error.message = wire.message
  return error
}
