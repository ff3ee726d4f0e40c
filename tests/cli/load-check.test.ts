/**
 * Issue 14, reproduction 10 (backups and pipes), with the real `stats2` in a child process and a
 * real embedded store: `load` checks the whole input — standard input included — before writing
 * anything (a truncated backup, a wrongly typed `all_settings`, a dump without its closing bracket
 * write nothing), and `stats2 dump | head` ends quietly when the reader leaves.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/paths'
import { runCli } from '../helpers/cli'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-load-check-'))
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

const envFor = (store: string): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: work, STATS2_DATA_DIR: join(work, store) })

/** `stats2 ARGS` in a child process with `input` on its standard input. */
function stats2(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.once('exit', (code) => resolve({ code, out, err }))
    child.stdin.end(input ?? '')
  })
}

const workflow = (index: number): Record<string, unknown> => ({
  _id: `load_${String(index).padStart(4, '0')}_230101_000000_1`, RequestName: `load_${String(index).padStart(4, '0')}_230101_000000_1`,
  Campaigns: ['Load'], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 1, RequestTransition: [], Requests: [], TotalEvents: 1, TotalInputLumis: -1
})

/** A backup of `count` workflows and `settings`, as `stats2 dump --backup` writes it. */
function backupText(count: number, settings: Record<string, unknown> = { _id: 'all_settings', last_reqmgr_sequence: '12-abc', failed_workflows: [] }): string {
  const lines = [JSON.stringify({ stats2_backup: 1, databases: ['requests', 'settings'] })]
  for (let index = 0; index < count; index++) lines.push(JSON.stringify({ db: 'requests', doc: workflow(index) }))
  lines.push(JSON.stringify({ db: 'settings', doc: settings }))
  lines.push(JSON.stringify({ end: { requests: count, settings: 1 } }))
  return lines.join('\n') + '\n'
}

async function storedCount(store: string): Promise<number> {
  const dump = await runCli(['dump'], envFor(store))
  expect(dump.code).toBe(0)
  return (JSON.parse(dump.out) as unknown[]).length
}

describe('stats2 load checks everything before writing', () => {
  it('refuses a truncated backup on standard input and writes nothing', async () => {
    const lines = backupText(1000).split('\n')
    // Cut in the middle of line 700, as a copy that stopped half-way leaves it.
    const truncated = [...lines.slice(0, 700), lines[700]!.slice(0, 25)].join('\n')
    const result = await stats2(['load', '-'], envFor('stdin-truncated'), truncated)
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/line 701: not valid JSON .*nothing was written/)
    expect(result.err).not.toMatch(/\n\s+at /)
    expect(await storedCount('stdin-truncated')).toBe(0)

    // Cut at a line end: the end line is missing.
    const withoutEnd = lines.slice(0, 800).join('\n') + '\n'
    const missing = await stats2(['load', '-'], envFor('stdin-no-end'), withoutEnd)
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/line 800: the file ends without the end line of a backup .*may be truncated; nothing was written/)
    expect(await storedCount('stdin-no-end')).toBe(0)

    // The whole file loads.
    const whole = await stats2(['load', '-'], envFor('stdin-whole'), lines.join('\n'))
    expect(whole.code).toBe(0)
    expect(await storedCount('stdin-whole')).toBe(1000)
  })

  it('refuses an all_settings whose fields have the wrong types, naming the line and the field', async () => {
    const file = join(work, 'bad-settings.ndjson')
    await writeFile(file, backupText(3, { _id: 'all_settings', last_reqmgr_sequence: { seq: 5 }, failed_workflows: 'x' }))
    const result = await runCli(['load', file], envFor('bad-settings'))
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/line 5: all_settings does not have the Stats2 shape: last_reqmgr_sequence: .*; failed_workflows: .*nothing was written/)
    expect(await storedCount('bad-settings')).toBe(0)
  })

  it('refuses `stats2 dump` output without its closing bracket', async () => {
    const file = join(work, 'dump.json')
    await writeFile(file, `[\n${[0, 1, 2].map((index) => JSON.stringify(workflow(index))).join(',\n')}\n`)
    const result = await runCli(['load', file], envFor('dump-truncated'))
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/the file ends without the closing "\]" of `stats2 dump` output: it may be truncated; nothing was written/)
    expect(await storedCount('dump-truncated')).toBe(0)
  })
})

describe('stats2 dump | head', () => {
  it('ends quietly with status 0 when the reader leaves', async () => {
    const file = join(work, 'many.ndjson')
    await writeFile(file, backupText(2000))
    expect((await runCli(['load', file], envFor('many'))).code).toBe(0)
    const result = await new Promise<{ code: number | null; err: string; got: number }>((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'dump'], { env: envFor('many'), stdio: ['ignore', 'pipe', 'pipe'] })
      let err = ''
      let got = 0
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
      // `head -c 100`: take the first bytes, then close the pipe.
      child.stdout.once('data', (chunk: Buffer) => {
        got = chunk.length
        child.stdout.destroy()
      })
      child.once('exit', (code) => resolve({ code, err, got }))
    })
    expect(result.got).toBeGreaterThan(0)
    expect(result.err).not.toMatch(/EPIPE|Error|\n\s+at /)
    expect(result.code).toBe(0)
  })
})
