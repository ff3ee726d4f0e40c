/**
 * Search latency on a large embedded store: `docs` synthetic Stats2 documents, then p50/p95 of the
 * view (exact) and prefix queries the search box makes, and of whole searches (a page of documents).
 */
import { CouchStore } from '../src/main/store/couch-store'
import { WorkflowSearch } from '../src/main/search/search'
import type { WorkflowDoc } from '../src/shared/stats2-doc'
import type { ViewName } from '../src/main/store/design-docs'

const TIERS = ['GEN-SIM', 'DIGI', 'AODSIM', 'MINIAODSIM', 'NANOAODSIM']

export function syntheticDoc(i: number): WorkflowDoc {
  const campaign = `Run3Summer${22 + (i % 4)}${['GS', 'DR', 'MiniAOD', 'NanoAOD'][i % 4]}`
  const prepId = `HIG-${campaign}-${String(i).padStart(5, '0')}`
  const name = `pdmvserv_task_${prepId}__v1_T_${String(230101 + (i % 28)).padStart(6, '0')}_${String(100000 + (i % 86_399)).slice(0, 6)}_${1000 + (i % 9000)}`
  const primary = `Sample${i % 5000}_TuneCP5_13p6TeV`
  const outputs = TIERS.slice(0, 2 + (i % 4)).map((tier) => `/${primary}/${campaign}-v${1 + (i % 3)}_${i}/${tier}`)
  const entry = (t: number, f: number) => ({
    Time: 1_700_000_000 + t * 3600,
    Datasets: Object.fromEntries(outputs.map((d) => [d, { Type: f >= 1 ? 'VALID' : 'PRODUCTION', Events: Math.floor(100_000 * f), Size: Math.floor(2e8 * f) }]))
  })
  return {
    _id: name, RequestName: name, PrepID: prepId, RequestType: 'TaskChain', Campaigns: [campaign], Requests: [prepId],
    OutputDatasets: outputs, InputDataset: '', ProcessingString: `${campaign}_v${i % 3}`, RequestPriority: 110000,
    RequestTransition: [{ Status: 'new', UpdateTime: 1_700_000_000 }, { Status: 'running-open', UpdateTime: 1_700_050_000 }],
    TotalEvents: 100_000, TotalInputLumis: -1, CMSSWVersion: 'CMSSW_13_0_13', AcquisitionEra: campaign,
    EventNumberHistory: [entry(0, 0.1), entry(5, 0.5), entry(9, 1)], LastUpdate: 1_700_100_000
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

async function measure(label: string, runs: number, call: (i: number) => Promise<unknown>): Promise<{ label: string; p50: number; p95: number }> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await call(i)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const result = { label, p50: quantile(times, 0.5), p95: quantile(times, 0.95) }
  console.log(`  ${label.padEnd(44)} p50 ${result.p50.toFixed(1).padStart(6)} ms   p95 ${result.p95.toFixed(1).padStart(6)} ms`)
  return result
}

export async function benchSearch(docs: number, dataDir: string): Promise<void> {
  console.log(`# search over ${docs} stored documents (embedded store, leveldb)`)
  const store = await CouchStore.open({ dataDir }, { batchSize: 1000 })
  try {
    let started = performance.now()
    for (let i = 0; i < docs; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, docs - i) }, (_, j) => syntheticDoc(i + j))
      await store.saveWorkflows(batch)
    }
    console.log(`bulk insert: ${((performance.now() - started) / 1000).toFixed(1)} s`)
    for (const view of ['campaigns', 'inputDatasets', 'outputDatasets', 'prepids', 'types', 'processingStrings', 'requests'] as ViewName[]) {
      started = performance.now()
      await store.queryView(view, { limit: 0 })
      console.log(`index of view ${view} built in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    const search = new WorkflowSearch(store)
    const pick = (i: number): WorkflowDoc => syntheticDoc((i * 7919) % docs)
    const results = [
      await measure('view: PrepID exact (prepids)', 200, (i) => store.queryView('prepids', { key: pick(i).PrepID! })),
      await measure('view: output dataset exact (outputDatasets)', 200, (i) => store.queryView('outputDatasets', { key: pick(i).OutputDatasets[0]! })),
      await measure('view: campaign, first 100 (campaigns)', 200, (i) => store.queryView('campaigns', { key: String(pick(i).Campaigns[0]), limit: 100 })),
      await measure('prefix: workflow names (_all_docs range)', 200, (i) => store.listNames({ startkey: pick(i)._id.slice(0, 30), endkey: pick(i)._id.slice(0, 30) + '\ufff0', limit: 100 })),
      await measure('prefix: PrepID (prepids range)', 200, (i) => store.queryView('prepids', { startkey: pick(i).PrepID!.slice(0, 26), endkey: pick(i).PrepID!.slice(0, 26) + '\ufff0', limit: 100 })),
      await measure('search box: PrepID → page of documents', 100, (i) => search.search({ text: pick(i).PrepID! })),
      await measure('search box: dataset prefix → page', 100, (i) => search.search({ text: pick(i).OutputDatasets[0]!.slice(0, 25) }))
    ]
    const worst = Math.max(...results.slice(0, 5).map((r) => r.p95))
    console.log(`worst p95 of view and prefix queries: ${worst.toFixed(1)} ms (target under 50 ms)`)
  } finally {
    await store.close()
  }
}
