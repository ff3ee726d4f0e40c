/** `stats2 sim`: serve a scenario (or a generated one) as cmsweb until stopped. */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultAppDataDir } from '../config/config'
import { createLogger } from '../log/logger'
import { generateWorld, loadScenario, startSimulator } from '../../sim'
import type { CliIo } from './io'
import { untilStopped } from './until-stopped'

const log = createLogger('sim')

function number(value: string | undefined, name: string, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || !check(parsed)) throw Object.assign(new Error(`--${name}: invalid value "${value}"`), { code: 'ERR_PARSE_ARGS_INVALID' })
  return parsed
}

export async function runSimCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string' },
      generate: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      'tls-dir': { type: 'string' },
      'latency-ms': { type: 'string' },
      'fail-rate': { type: 'string' },
      'auto-advance-ms': { type: 'string' }
    },
    strict: true
  })
  if (!values.scenario === !values.generate) {
    throw Object.assign(new Error('sim needs either --scenario DIR or --generate N'), { code: 'ERR_PARSE_ARGS_INVALID' })
  }
  const scenario = values.scenario
    ? await loadScenario(resolve(values.scenario))
    : // Generated documents are made on request: any size is served from compact indexes.
      generateWorld({
        workflows: number(values.generate, 'generate', 0, (n) => Number.isInteger(n) && n > 0),
        steps: number(values.steps, 'steps', 6, (n) => Number.isInteger(n) && n > 0),
        seed: number(values.seed, 'seed', 1, Number.isInteger)
      })
  const failRate = number(values['fail-rate'], 'fail-rate', 0, (n) => n >= 0 && n <= 1)
  const tlsDir = resolve(values['tls-dir'] ?? join(defaultAppDataDir(io.env), 'sim-tls'))
  const sim = await startSimulator({
    scenario,
    tlsDir,
    port: number(values.port, 'port', 0, (n) => Number.isInteger(n) && n >= 0 && n < 65536),
    latencyMs: number(values['latency-ms'], 'latency-ms', 0, (n) => n >= 0),
    // One rate for every kind of fault, split the way cmsweb misbehaves: mostly 5xx, then resets and cut bodies.
    faults: failRate > 0 ? { error5xx: failRate * 0.5, reset: failRate * 0.25, truncated: failRate * 0.25 } : undefined,
    autoAdvanceMs: values['auto-advance-ms'] === undefined ? undefined : number(values['auto-advance-ms'], 'auto-advance-ms', 0, (n) => n > 0)
  })
  io.out(JSON.stringify({ url: sim.url, ca: sim.tls.caCert, cert: sim.tls.clientCert, key: sim.tls.clientKey, step: sim.step }) + '\n')
  log.info(`serving scenario "${scenario.name}" (${sim.steps} steps) at ${sim.url}; POST ${sim.url}/_sim/step to advance`)
  await untilStopped()
  await sim.close()
  return 0
}
