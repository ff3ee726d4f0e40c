/**
 * Demo mode: the built-in cmsweb simulator with generated workflows and a throw-away in-memory store,
 * so a new operator sees a living dashboard before configuring a certificate.
 */
import { join } from 'node:path'
import type { Stats2Config } from '../config/config'
import { generateScenario, startSimulator, type Scenario, type Simulator } from '../sim'
import { CouchStore } from '../store/couch-store'

export interface DemoOptions {
  workflows: number
  tlsDir: string
  /** Advance the simulated cmsweb one step every N ms (0: only by hand). */
  stepEveryMs: number
  seed?: number
}

export interface DemoSession {
  readonly sim: Simulator
  /** What the simulator serves, step by step. */
  readonly scenario: Scenario
  readonly store: CouchStore
  readonly scenarioName: string
  readonly steps: number
  readonly workflows: number
  /** The configuration pointing at the simulator (its CA and client certificate). */
  readonly config: Stats2Config
  close(): Promise<void>
}

export async function startDemo(base: Stats2Config, options: DemoOptions): Promise<DemoSession> {
  const scenario = generateScenario({ workflows: options.workflows, steps: 8, seed: options.seed ?? 2026 })
  const sim = await startSimulator({ scenario, tlsDir: options.tlsDir })
  let store: CouchStore | undefined
  try {
    store = await CouchStore.open({ dataDir: join(options.tlsDir, 'unused-store'), url: undefined }, { inMemory: true })
  } catch (error) {
    await sim.close()
    throw error
  }
  const config: Stats2Config = structuredClone(base)
  config.credentials = { certPath: sim.tls.clientCert, keyPath: sim.tls.clientKey }
  config.cmsweb = { ...config.cmsweb, url: sim.url, dbsUrl: sim.url, caPath: sim.tls.caCert, caDir: undefined }
  config.db = { ...config.db, url: undefined }
  config.notify = {
    ...config.notify,
    keycloakUrl: sim.url,
    prodUrl: sim.url,
    devUrl: `${sim.url}/dev`,
    clientId: 'stats2-demo',
    clientSecret: 'demo-secret',
    prodAudience: 'cms-pdmv-demo',
    devAudience: 'cms-pdmv-dev-demo'
  }
  const openStore = store
  return {
    sim,
    scenario,
    store: openStore,
    scenarioName: scenario.name,
    steps: scenario.steps.length,
    workflows: options.workflows,
    config,
    async close() {
      await openStore.close()
      await sim.close()
    }
  }
}
