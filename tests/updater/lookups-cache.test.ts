/**
 * The per-run cmsweb lookups (src/main/updater/lookups.ts) keep a bounded number of answers: an
 * answer asked again while kept costs no call, one pushed out by newer answers is asked again.
 * Against the real simulator over mTLS, counting the DBS calls it received.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type Stats2Config } from '../../src/main/config/config'
import { CmswebClient } from '../../src/main/cmsweb/client'
import { CmswebServices } from '../../src/main/cmsweb/services'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { LOOKUP_CACHE_ENTRIES, RunLookups } from '../../src/main/updater/lookups'

let work: string
let sim: Simulator
let client: CmswebClient
let datasets: string[]

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-lookups-'))
  const scenario = generateScenario({ workflows: 12, steps: 1, seed: 5 })
  datasets = scenario.steps[0]!.dbs.map((record) => record.dataset).slice(0, 8)
  sim = await startSimulator({ scenario, tlsDir: join(work, 'tls') })
  const base = loadConfig({})
  const config: Stats2Config = {
    ...base,
    credentials: { certPath: sim.tls.clientCert, keyPath: sim.tls.clientKey },
    cmsweb: { ...base.cmsweb, url: sim.url, dbsUrl: sim.url, caPath: sim.tls.caCert, retries: 0 }
  }
  client = await CmswebClient.create(config)
})

afterAll(async () => {
  await client?.close()
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

const dbsCalls = (): number => {
  const counts = sim.requestCounts()
  return (counts['dbs.datasetlist'] ?? 0) + (counts['dbs.filesummaries'] ?? 0)
}

describe('per-run lookups', () => {
  it('keep at most their bound of answers: the oldest is asked again, the newest is not', async () => {
    expect(datasets.length).toBe(8)
    const lookups = new RunLookups(new CmswebServices(client), { batching: true, datasetListBatch: 100, cacheSize: 4 })
    // One at a time, so that each answer is cached in order.
    const first = new Map<string, unknown>()
    for (const dataset of datasets) first.set(dataset, (await lookups.datasetInfos([dataset])).get(dataset))

    let before = dbsCalls()
    const newest = await lookups.datasetInfos([datasets[7]!])
    expect(dbsCalls()).toBe(before)
    expect(newest.get(datasets[7]!)).toEqual(first.get(datasets[7]!))

    before = dbsCalls()
    const oldest = await lookups.datasetInfos([datasets[0]!])
    expect(dbsCalls()).toBeGreaterThan(before)
    expect(oldest.get(datasets[0]!)).toEqual(first.get(datasets[0]!))
  })

  it('default to a bound of tens of thousands of entries, not the whole of production', () => {
    expect(LOOKUP_CACHE_ENTRIES).toBeGreaterThanOrEqual(20_000)
    expect(LOOKUP_CACHE_ENTRIES).toBeLessThanOrEqual(50_000)
  })
})
