import { generateScenario } from './src/main/sim/generator'
import { Timeline } from './src/main/sim/timeline'
import { requestApi, viewQuery } from './src/main/sim/routes/reqmgr2'
const t0 = performance.now()
const s = generateScenario({ workflows: 200000, steps: 1, seed: 7 })
const t1 = performance.now()
const tl = new Timeline(s)
const state = tl.activate(0, Math.floor(Date.now() / 1000))
const t2 = performance.now()
const rss0 = process.memoryUsage().rss
const time = (label: string, f: () => { body: string }) => { const a = performance.now(); const r = f(); console.log(label, (performance.now() - a).toFixed(0), 'ms', (r.body.length / 1e6).toFixed(2), 'MB') }
time('first campaign query (builds bycampaign+bystatus)', () => requestApi(new URLSearchParams('campaign=Run2024ReReco&status=running-open&status=completed&detail=false'), state))
time('second campaign query', () => requestApi(new URLSearchParams('campaign=Run2023ReReco&campaign=Run3Summer23wmLHEGS&status=ACTIVE&detail=false'), state))
time('prep_id masked', () => requestApi(new URLSearchParams('prep_id=ReReco-Run2024C-MuonEG-16Dec2024-00001&mask=TotalInputEvents&mask=RequestType'), state))
time('bydate view (build) 10 days', () => viewQuery('bydate', new URLSearchParams({ startkey: '[2024,12,10,0]', endkey: '[2024,12,20,23]' }), state))
time('bydate again', () => viewQuery('bydate', new URLSearchParams({ startkey: '[2024,12,1,0]', endkey: '[2024,12,2,23]' }), state))
time('byprepid prefix (build)', () => viewQuery('byprepid', new URLSearchParams({ startkey: '"task_HIG-"', endkey: '"task_HIG-\ufff0"' }), state))
console.log('gen', ((t1 - t0) / 1000).toFixed(1), 's, timeline', ((t2 - t1) / 1000).toFixed(1), 's; rss before queries', Math.round(rss0 / 1e6), 'MB, after', Math.round(process.memoryUsage().rss / 1e6), 'MB')
