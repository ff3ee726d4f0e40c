/**
 * `stats2 update --metrics-file PATH` against the simulator: the file holds the run's figures (equal
 * to its --json report) and its cmsweb calls (equal to the simulator's count), replaces the previous
 * file by a rename (never written in place, no temporary file left), is written with
 * `stats2_update_success 0` when the run cannot proceed, and a folder that does not exist is refused
 * before anything runs.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import type { UpdateReport } from '../../src/shared/update-types'
import { runCli, simulatorEnv } from '../helpers/cli'
import { parseExposition, valueOf } from '../helpers/prometheus'
import { PUBLIC_SCENARIO } from '../serve/helpers'

export const UPDATE_FILE_METRICS: Record<string, string> = {
  stats2_update_success: 'gauge',
  stats2_update_last_run_timestamp_seconds: 'gauge',
  stats2_update_duration_seconds: 'gauge',
  stats2_update_workflows: 'gauge',
  stats2_update_history_entries_added: 'gauge',
  stats2_update_reqmgr_changes_behind: 'gauge',
  stats2_update_cmsweb_requests_total: 'counter',
  stats2_update_cmsweb_retries_total: 'counter',
  stats2_update_cmsweb_request_duration_seconds: 'histogram'
}

let work: string
let sim: Simulator
let env: Record<string, string>
let folder: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-metrics-file-'))
  sim = await startSimulator({ scenario: await loadScenario(PUBLIC_SCENARIO), tlsDir: join(work, 'tls') })
  env = { ...simulatorEnv(sim, work), STATS2_RETRIES: '0' }
  folder = join(work, 'textfile')
  await mkdir(folder)
})

afterAll(async () => {
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

describe('stats2 update --metrics-file', () => {
  it('holds the run\'s figures and cmsweb calls, and replaces the previous file by a rename', async () => {
    const path = join(folder, 'stats2.prom')
    await writeFile(path, '# an older file\n')
    const inodeBefore = (await stat(path)).ino
    sim.resetCounts()
    const result = await runCli(['update', '--json', '--metrics-file', path], env)
    expect(result.code, result.err).toBe(0)
    const report = JSON.parse(result.out) as UpdateReport
    expect((await stat(path)).ino).not.toBe(inodeBefore)
    expect(await readdir(folder)).toEqual(['stats2.prom'])
    const metrics = parseExposition(await readFile(path, 'utf8'))
    for (const [name, type] of Object.entries(UPDATE_FILE_METRICS)) expect(metrics.types.get(name), name).toBe(type)
    expect(valueOf(metrics, 'stats2_update_success', { scope: 'all' })).toBe(1)
    expect(valueOf(metrics, 'stats2_update_workflows', { scope: 'all', outcome: 'written' })).toBe(report.written)
    expect(valueOf(metrics, 'stats2_update_workflows', { scope: 'all', outcome: 'failed' })).toBe(report.failed.length)
    expect(valueOf(metrics, 'stats2_update_history_entries_added', { scope: 'all' })).toBe(report.historyAdded)
    expect(valueOf(metrics, 'stats2_update_duration_seconds', { scope: 'all' })).toBe((report.finishedAt - report.startedAt) / 1000)
    expect(valueOf(metrics, 'stats2_update_last_run_timestamp_seconds', { scope: 'all' })).toBe(Math.floor(report.finishedAt / 1000))
    expect(valueOf(metrics, 'stats2_update_reqmgr_changes_behind')).toBe(0)
    // Every cmsweb call the simulator saw, by endpoint (the "behind" question included).
    const seen = sim.requestCounts()
    const calls = metrics.samples.filter((s) => s.name === 'stats2_update_cmsweb_requests_total')
    expect(calls.reduce((sum, s) => sum + s.value, 0)).toBe(Object.entries(seen).filter(([label]) => !label.startsWith('auth.')).reduce((sum, [, n]) => sum + n, 0))
    expect(valueOf(metrics, 'stats2_update_cmsweb_requests_total', { endpoint: 'reqmgr2.changes', outcome: 'ok' })).toBe(seen['reqmgr2.changes'])
  })

  it('a named update writes its own figures (scope="names")', async () => {
    const path = join(folder, 'named.prom')
    const name = 'amaltaro_MonteCarlo_eff_HG1812_Validation_181203_120941_3893'
    const result = await runCli(['update', '--name', name, '--metrics-file', path], env)
    expect(result.code, result.err).toBe(0)
    const metrics = parseExposition(await readFile(path, 'utf8'))
    expect(valueOf(metrics, 'stats2_update_success', { scope: 'names' })).toBe(1)
    expect(valueOf(metrics, 'stats2_update_workflows', { scope: 'names', outcome: 'changed' })).toBe(1)
    expect(valueOf(metrics, 'stats2_update_reqmgr_changes_behind')).toBeUndefined()
  })

  it('a run that cannot proceed still writes the file, with stats2_update_success 0', async () => {
    const path = join(folder, 'failed.prom')
    const result = await runCli(['update', '--metrics-file', path], { ...env, CMSWEB_URL: 'https://127.0.0.1:9', CMSWEB_PROD_URL: 'https://127.0.0.1:9' })
    expect(result.code).toBe(1)
    const metrics = parseExposition(await readFile(path, 'utf8'))
    expect(valueOf(metrics, 'stats2_update_success')).toBe(0)
    expect(valueOf(metrics, 'stats2_update_cmsweb_requests_total', { outcome: 'error' })).toBeGreaterThanOrEqual(1)
  })

  it('a folder that does not exist is refused before the run', async () => {
    sim.resetCounts()
    const result = await runCli(['update', '--metrics-file', join(work, 'missing', 'stats2.prom')], env)
    expect(result.code).toBe(2)
    expect(result.err).toContain(`the folder ${join(work, 'missing')} does not exist`)
    expect(sim.requestCounts()).toEqual({})
  })
})
