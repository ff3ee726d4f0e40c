/**
 * A store filled by the updater over the public conformance scenario (the simulator serves it over
 * mTLS; `stats2 update` runs as an operator would), and `stats2 serve` started in this process on it.
 */
import { resolve } from 'node:path'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { loadConfig, type Stats2Config } from '../../src/main/config/config'
import { loadServeConfig } from '../../src/main/config/serve-config'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import { type CouchStore } from '../../src/main/store/couch-store'
import { startService, type RunningService } from '../../src/main/serve/server'
import { RENDERER_DIR } from '../../src/main/cli/ui-command'
import type { ServeMetricsOptions } from '../../src/main/metrics/serve-metrics'
import { serviceParts } from '../../src/main/serve/wiring'
import { runCli, simulatorEnv } from '../helpers/cli'
import { CONFORMANCE_DIR } from '../helpers/paths'

export const PUBLIC_SCENARIO = resolve(CONFORMANCE_DIR, 'stats2-public')

export interface FilledStore {
  sim: Simulator
  env: Record<string, string>
  config: Stats2Config
}

/** The simulator on the public scenario, and `stats2 update` run once into `<work>/store`. */
export async function fillPublicStore(work: string, options: { latencyMs?: number } = {}): Promise<FilledStore> {
  const sim = await startSimulator({ scenario: await loadScenario(PUBLIC_SCENARIO), tlsDir: join(work, 'tls'), latencyMs: options.latencyMs })
  const env = { ...simulatorEnv(sim, work), STATS2_RETRIES: '1' }
  const update = await runCli(['update', '--json'], env)
  if (update.code !== 0) throw new Error(`stats2 update failed: ${update.err}`)
  return { sim, env, config: loadConfig(env) }
}

export interface ServiceUnderTest {
  service: RunningService
  /** `http://127.0.0.1:<port>` without the base path. */
  origin: string
  close(): Promise<void>
}

/** `stats2 serve`'s pieces, wired as serve-command.ts wires them, on an open store. */
export async function serveStore(
  store: CouchStore, config: Stats2Config, env: Record<string, string | undefined>, basePath = '/stats', now?: () => number,
  metricsOptions: Partial<Pick<ServeMetricsOptions, 'topCampaigns' | 'cacheMs' | 'summaryFirstWaitMs'>> = {}
): Promise<ServiceUnderTest> {
  const serveConfig = loadServeConfig(env, { port: '0', basePath })
  const parts = serviceParts(config, serveConfig, store, undefined, metricsOptions)
  const service = await startService({ config: serveConfig, store, rendererDir: RENDERER_DIR, now, ...parts })
  return {
    service,
    origin: `http://127.0.0.1:${service.port}`,
    close: async () => {
      await service.close()
      await parts.close()
    }
  }
}

const agent = new Agent({ connections: 64 })

export interface Answer {
  status: number
  headers: Record<string, string>
  text: string
}

export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const answer = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body, dispatcher: agent })
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(answer.headers)) headers[key] = Array.isArray(value) ? value.join(', ') : String(value)
  return { status: answer.statusCode, headers, text: await answer.body.text() }
}
