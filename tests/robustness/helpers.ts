/**
 * Shared by the robustness tests of the updater: temporary folders, the environment of a run against
 * a simulator, the CLI in-process or as a real child process, reading a store, and the comparison of
 * two stores (the conformance rule: `_rev`, `LastUpdate` and history `Time` values do not count).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { main } from '../../src/main/cli/main'
import { CouchStore } from '../../src/main/store/couch-store'
import { type Simulator } from '../../src/sim'
import { createRng } from '../../src/sim/faults'
import type { HistoryEntry, SettingsDoc, WorkflowDoc } from '../../src/shared/stats2-doc'
import { comparable } from '../helpers/conformance'

export const REPO = resolve(__dirname, '..', '..')
export const BIN = join(REPO, 'bin', 'stats2.cjs')

export type Env = Record<string, string>
export type Docs = Map<string, WorkflowDoc>

// ---------------------------------------------------------------------------------------------
// Temporary folders and child processes, cleaned up by `cleanup()` (call it in afterAll).

const tempDirs: string[] = []
const children = new Set<ChildProcess>()

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

export async function cleanup(): Promise<void> {
  for (const child of children) killGroup(child)
  children.clear()
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true })
}

/** SIGKILL to the child's process group (it is started detached, so it leads its own group). */
export function killGroup(child: ChildProcess): boolean {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false
  try {
    process.kill(-child.pid, 'SIGKILL')
    return true
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Environment and the CLI

/** The environment of a run against `sim`, built from scratch (nothing leaks from the developer's shell). */
export function simEnv(sim: Simulator, home: string, extra: Env = {}): Env {
  const env: Env = {
    HOME: home,
    CMSWEB_URL: sim.url,
    CMSWEB_PROD_URL: sim.url,
    CMSWEB_CA: sim.tls.caCert,
    USERCRT: sim.tls.clientCert,
    USERKEY: sim.tls.clientKey,
    // The update runs in the spawned process itself, not in a sized child (bin/heap.cjs, tested in
    // tests/cli/heap-launch.test.ts): the kills and the lock's holder are that process.
    STATS2_HEAP_MB: '0'
  }
  for (const name of ['PATH', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return { ...env, ...extra }
}

export interface CliResult {
  code: number
  out: string
  err: string
}

/** `stats2 …` in this process (the conformance test's way). */
export async function cli(args: string[], env: Env): Promise<CliResult> {
  let out = ''
  let err = ''
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), env })
  return { code, out, err }
}

export interface ChildRun {
  child: ChildProcess
  /** Resolves when the process has exited, with its stderr and stdout so far. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>
  /** Calls `listener` for every stderr line (log lines), including those already received. */
  onLine(listener: (line: string) => void): void
  /** Milliseconds since the spawn. */
  elapsed(): number
}

/** `node bin/stats2.cjs …` as a real child process, leading its own process group. */
export function spawnCli(args: string[], env: Env): ChildRun {
  const started = Date.now()
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  children.add(child)
  let out = ''
  let err = ''
  let partial = ''
  const lines: string[] = []
  const listeners: Array<(line: string) => void> = []
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (out += text))
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    err += text
    partial += text
    for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
      const line = partial.slice(0, i)
      partial = partial.slice(i + 1)
      lines.push(line)
      for (const listener of listeners) listener(line)
    }
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((done, fail) => {
    child.once('error', fail)
    child.once('close', (code, signal) => {
      children.delete(child)
      done({ code, signal, out, err })
    })
  })
  return {
    child,
    exit,
    onLine(listener) {
      for (const line of lines) listener(line)
      listeners.push(listener)
    },
    elapsed: () => Date.now() - started
  }
}

// ---------------------------------------------------------------------------------------------
// Reading stores

export interface StoreContent {
  docs: Docs
  settings: SettingsDoc
}

/** Every workflow and the settings of a CouchDB (DB_URL) or of an embedded store folder. */
export async function readStore(where: { dataDir: string } | { url: string; authHeader: string }): Promise<StoreContent> {
  const store = 'url' in where
    ? CouchStore.connect(where.url, where.authHeader)
    : await CouchStore.open({ dataDir: where.dataDir })
  try {
    const docs: Docs = new Map()
    for await (const page of store.allWorkflows()) for (const doc of page) docs.set(doc._id, doc)
    return { docs, settings: await store.getSettings() }
  } finally {
    await store.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing stores

function datasetsKey(entry: HistoryEntry): string {
  return JSON.stringify(sortKeys(entry.Datasets))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]))
  }
  return value
}

function firstDifference(actual: unknown, expected: unknown, path = ''): string {
  if (JSON.stringify(sortKeys(actual)) === JSON.stringify(sortKeys(expected))) return ''
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)])
    for (const key of [...keys].sort()) {
      const a = (actual as Record<string, unknown>)[key]
      const e = (expected as Record<string, unknown>)[key]
      if (!(key in (actual as object))) return `${path}${key} missing (expected ${short(e)})`
      if (!(key in (expected as object))) return `${path}${key} unexpected (${short(a)})`
      const inner = firstDifference(a, e, `${path}${key}.`)
      if (inner) return inner
    }
  }
  return `${path.replace(/\.$/, '')}: ${short(actual)} instead of ${short(expected)}`
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/**
 * Differences between a store and the reference, one line each: missing and extra workflows, then
 * per workflow the first differing field (history compared entry by entry, `Time` values ignored).
 */
export function storeDifferences(actual: Docs, expected: Docs): string[] {
  const problems: string[] = []
  for (const name of expected.keys()) if (!actual.has(name)) problems.push(`${name}: missing`)
  for (const name of actual.keys()) if (!expected.has(name)) problems.push(`${name}: not in the reference`)
  for (const [name, want] of expected) {
    const got = actual.get(name)
    if (!got) continue
    const a = comparable(got as unknown as Record<string, unknown>)
    const e = comparable(want as unknown as Record<string, unknown>)
    const difference = firstDifference(a, e)
    if (difference) problems.push(`${name}: ${difference}`)
  }
  return problems
}

/**
 * History problems of one workflow: two entries in a row with identical Datasets, and entries of the
 * reference (by Datasets) that are missing or present more than once.
 */
export function historyProblems(doc: WorkflowDoc, reference?: WorkflowDoc): string[] {
  const problems: string[] = []
  const history = [...(doc.EventNumberHistory ?? [])].sort((a, b) => (a.Time ?? 0) - (b.Time ?? 0))
  for (let i = 1; i < history.length; i++) {
    if (datasetsKey(history[i]!) === datasetsKey(history[i - 1]!)) {
      problems.push(`${doc._id}: entries ${i - 1} and ${i} (Time ${history[i - 1]!.Time}, ${history[i]!.Time}) hold identical Datasets`)
    }
  }
  if (reference) {
    const counts = new Map<string, number>()
    for (const entry of history) counts.set(datasetsKey(entry), (counts.get(datasetsKey(entry)) ?? 0) + 1)
    const wanted = new Map<string, number>()
    for (const entry of reference.EventNumberHistory ?? []) wanted.set(datasetsKey(entry), (wanted.get(datasetsKey(entry)) ?? 0) + 1)
    for (const [key, n] of wanted) {
      const have = counts.get(key) ?? 0
      if (have < n) problems.push(`${doc._id}: history lacks an entry of the reference: ${short(JSON.parse(key))}`)
      if (have > n) problems.push(`${doc._id}: history holds ${have} entries with the Datasets of ${n} reference entr${n === 1 ? 'y' : 'ies'}: ${short(JSON.parse(key))}`)
    }
    for (const [key] of counts) if (!wanted.has(key)) problems.push(`${doc._id}: history entry not in the reference: ${short(JSON.parse(key))}`)
  }
  return problems
}

export function historyEntries(docs: Docs): number {
  let n = 0
  for (const doc of docs.values()) n += doc.EventNumberHistory?.length ?? 0
  return n
}

/** A seeded PRNG with helpers; the seed comes from `STATS2_ROBUSTNESS_SEED` when set. */
export function seededRandom(fallback: number): { seed: number; next: () => number; int: (min: number, max: number) => number } {
  const fromEnv = Number(process.env.STATS2_ROBUSTNESS_SEED)
  const seed = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback
  const next = createRng(seed)
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) }
}

/** A bounded summary of a list of problems for an assertion message. */
export function summarize(problems: string[], max = 25): string {
  if (problems.length === 0) return ''
  const shown = problems.slice(0, max).join('\n  ')
  return `${problems.length} problem(s):\n  ${shown}${problems.length > max ? `\n  … and ${problems.length - max} more` : ''}`
}
