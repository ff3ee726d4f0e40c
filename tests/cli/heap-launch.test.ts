/**
 * The sized JavaScript heap of `stats2 update` (bin/heap.cjs): the rules, then the real launchers —
 * bin/stats2.cjs in a child process (a probe loaded through NODE_OPTIONS reports each Node process's
 * heap limit and options), and the installed app's shell launcher (resources/cli/stats2) with a
 * stand-in for the app's Electron executable, which cannot run here: it records its arguments.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/paths'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const heap = require('../../bin/heap.cjs') as {
  DEFAULT_HEAP_MB: number
  heapSizeFor(argv: string[], env: Record<string, string | undefined>, execArgv: string[]): number | undefined
  heapRelaunch(script: string, argv: string[], env: Record<string, string | undefined>, execArgv: string[]): { args: string[]; env: Record<string, string | undefined> } | undefined
}

const BIN = join(REPO_ROOT, 'bin', 'stats2.cjs')
let work: string
let probe: string

interface ProbeLine {
  pid: number
  ppid: number
  limitMb: number
  execArgv: string[]
  arenas?: string
  signal?: string
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-heap-'))
  probe = join(work, 'probe.cjs')
  // Every Node process of the run appends what it was started with; with PROBE_HOLD the sized one
  // (the worker) stays up after its command until a signal, and reports the signal it got.
  await writeFile(probe, `
const fs = require('node:fs')
const v8 = require('node:v8')
const line = (extra) => fs.appendFileSync(process.env.PROBE_OUT, JSON.stringify({ pid: process.pid, ppid: process.ppid,
  limitMb: Math.round(v8.getHeapStatistics().heap_size_limit / 1048576), execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX, ...extra }) + '\\n')
line({})
if (process.env.PROBE_HOLD && process.execArgv.some((arg) => arg.startsWith('--max-old-space-size'))) {
  const timer = setInterval(() => undefined, 1000)
  process.on('SIGTERM', () => { line({ signal: 'SIGTERM' }); clearInterval(timer); process.exit(143) })
  fs.writeFileSync(process.env.PROBE_OUT + '.ready', '')
}
`)
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

async function probeLines(file: string): Promise<ProbeLine[]> {
  return (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as ProbeLine)
}

describe('heap size rules (bin/heap.cjs)', () => {
  it('sizes the heap of `stats2 update` only', () => {
    expect(heap.heapSizeFor(['update'], {}, [])).toBe(heap.DEFAULT_HEAP_MB)
    expect(heap.heapSizeFor(['update', '--json'], {}, [])).toBe(heap.DEFAULT_HEAP_MB)
    for (const command of ['serve', 'ui', 'dump', 'see', 'sim', '--help']) expect(heap.heapSizeFor([command], {}, [])).toBeUndefined()
    expect(heap.heapSizeFor([], {}, [])).toBeUndefined()
    expect(heap.heapRelaunch('/app/stats2.cjs', ['update', '--json'], { HOME: '/h' }, ['--enable-source-maps'])).toEqual({
      args: ['--enable-source-maps', `--max-old-space-size=${heap.DEFAULT_HEAP_MB}`, '/app/stats2.cjs', 'update', '--json'],
      env: { HOME: '/h', MALLOC_ARENA_MAX: '2' }
    })
    expect(heap.heapRelaunch('/app/stats2.cjs', ['update'], { MALLOC_ARENA_MAX: '8' }, [])?.env.MALLOC_ARENA_MAX).toBe('8')
  })

  it("leaves the heap alone when the operator chose one, in NODE_OPTIONS or on Node's command line", () => {
    for (const options of ['--max-old-space-size=1024', '--require x.cjs --max_old_space_size=300', '--max-heap-size=400', '--max-old-space-size 512']) {
      expect(heap.heapSizeFor(['update'], { NODE_OPTIONS: options }, []), options).toBeUndefined()
    }
    expect(heap.heapSizeFor(['update'], {}, ['--max-old-space-size=700'])).toBeUndefined()
    expect(heap.heapSizeFor(['update'], { NODE_OPTIONS: '--require x.cjs' }, [])).toBe(heap.DEFAULT_HEAP_MB)
  })

  it('takes STATS2_HEAP_MB (0: no limit set) and refuses a bad value with a clear message', () => {
    expect(heap.heapSizeFor(['update'], { STATS2_HEAP_MB: '512' }, [])).toBe(512)
    expect(heap.heapSizeFor(['update'], { STATS2_HEAP_MB: ' 0 ' }, [])).toBeUndefined()
    expect(() => heap.heapSizeFor(['update'], { STATS2_HEAP_MB: '1g' }, [])).toThrow('STATS2_HEAP_MB must be a whole number of MB (0: no limit set), not "1g"')
    expect(() => heap.heapSizeFor(['update'], { STATS2_HEAP_MB: '20' }, [])).toThrow('STATS2_HEAP_MB must be 0 or at least 96, not 20')
  })
})

describe('bin/stats2.cjs starts `stats2 update` with the sized heap', () => {
  it('runs the update in a Node with the heap limit, passing its output and exit code on', async () => {
    const out = join(work, 'sized.jsonl')
    const run = spawnSync(process.execPath, [BIN, 'update', '--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${probe}`, PROBE_OUT: out } })
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^Usage: stats2 update/)
    const lines = await probeLines(out)
    expect(lines).toHaveLength(2)
    const [launcher, worker] = lines as [ProbeLine, ProbeLine]
    expect(worker.ppid).toBe(launcher.pid)
    expect(worker.execArgv).toContain(`--max-old-space-size=${heap.DEFAULT_HEAP_MB}`)
    // V8's limit is the old space plus the young generation's few tens of MB.
    expect(worker.limitMb).toBeGreaterThanOrEqual(heap.DEFAULT_HEAP_MB)
    expect(worker.limitMb).toBeLessThan(heap.DEFAULT_HEAP_MB + 100)
    expect(launcher.limitMb).toBeGreaterThan(1000)
    expect(worker.arenas).toBe('2')

    const bad = spawnSync(process.execPath, [BIN, 'update', '--no-such-flag'], { encoding: 'utf8', env: { ...process.env, PROBE_OUT: join(work, 'unused.jsonl') } })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('--no-such-flag')
  })

  it("lets the operator's NODE_OPTIONS heap size win: one process, their limit", async () => {
    const out = join(work, 'operator.jsonl')
    const run = spawnSync(process.execPath, [BIN, 'update', '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: `--require ${probe} --max-old-space-size=700`, PROBE_OUT: out }
    })
    expect(run.status, run.stderr).toBe(0)
    const lines = await probeLines(out)
    expect(lines).toHaveLength(1)
    expect(lines[0]!.limitMb).toBeGreaterThanOrEqual(700)
    expect(lines[0]!.limitMb).toBeLessThan(800)
  })

  it('does not start a second Node for other commands, and refuses a bad STATS2_HEAP_MB with exit 2', async () => {
    const out = join(work, 'other.jsonl')
    const run = spawnSync(process.execPath, [BIN, 'sim', '--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${probe}`, PROBE_OUT: out } })
    expect(run.status, run.stderr).toBe(0)
    expect(await probeLines(out)).toHaveLength(1)
    const bad = spawnSync(process.execPath, [BIN, 'update'], { encoding: 'utf8', env: { ...process.env, STATS2_HEAP_MB: 'lots' } })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe('stats2: STATS2_HEAP_MB must be a whole number of MB (0: no limit set), not "lots"\n')
  })

  it('passes SIGTERM on to the update and ends as it ended', async () => {
    const out = join(work, 'signal.jsonl')
    const child = spawn(process.execPath, [BIN, 'update', '--help'], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: `--require ${probe}`, PROBE_OUT: out, PROBE_HOLD: '1' } })
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])))
    // The worker says when it is up (polling a file: no timing assumption beyond the test's own timeout).
    for (;;) {
      if (spawnSync('test', ['-e', `${out}.ready`]).status === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    child.kill('SIGTERM')
    expect(await exited).toEqual([143, null])
    const lines = await probeLines(out)
    expect(lines.find((line) => line.signal === 'SIGTERM')?.ppid).toBe(child.pid)
  })
})

describe('the installed app launcher (resources/cli/stats2) sizes the heap of `stats2 update`', () => {
  let resources: string
  let calls: string

  beforeAll(async () => {
    // Stand-in for the app's Electron executable (its binary cannot run here): records its arguments.
    const app = join(work, 'app')
    resources = join(app, 'resources')
    calls = join(work, 'electron-args.txt')
    await mkdir(resources, { recursive: true })
    await copyFile(join(REPO_ROOT, 'resources', 'cli', 'stats2'), join(resources, 'stats2'))
    await writeFile(join(app, 'stats2-desktop'), `#!/bin/sh\nprintf '%s|' "$ELECTRON_RUN_AS_NODE" "$MALLOC_ARENA_MAX" "$@" >> "${calls}"\necho >> "${calls}"\n`)
    await chmod(join(app, 'stats2-desktop'), 0o755)
    await chmod(join(resources, 'stats2'), 0o755)
  })

  const launch = async (args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stderr: string; args: string }> => {
    await rm(calls, { force: true })
    const run = spawnSync(join(resources, 'stats2'), args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } })
    const recorded = run.status === 0 ? (await readFile(calls, 'utf8')).trim() : ''
    return { status: run.status, stderr: run.stderr, args: recorded }
  }

  it('adds the heap size before the script for update only, unless NODE_OPTIONS names one or STATS2_HEAP_MB is 0', async () => {
    const script = join(resources, 'app.asar', 'out', 'cli', 'stats2.cjs')
    expect((await launch(['update', '--json'])).args).toBe(`1|2|--max-old-space-size=${heap.DEFAULT_HEAP_MB}|${script}|update|--json|`)
    expect((await launch(['update'], { STATS2_HEAP_MB: '512', MALLOC_ARENA_MAX: '4' })).args).toBe(`1|4|--max-old-space-size=512|${script}|update|`)
    expect((await launch(['update'], { STATS2_HEAP_MB: '0' })).args).toBe(`1||${script}|update|`)
    expect((await launch(['update'], { NODE_OPTIONS: '--max-old-space-size=900' })).args).toBe(`1||${script}|update|`)
    expect((await launch(['dump'])).args).toBe(`1||${script}|dump|`)
    const bad = await launch(['update'], { STATS2_HEAP_MB: '1g' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe('stats2: STATS2_HEAP_MB must be a whole number of MB (0: no limit set), not "1g"\n')
  })
})
