import { generateScenario } from './src/main/sim/generator'
import { Timeline } from './src/main/sim/timeline'
const n = Number(process.argv[2])
const t = performance.now()
const s = generateScenario({ workflows: n, steps: 1, seed: 7 })
const t2 = performance.now()
const tl = new Timeline(s)
console.log(n, 'gen', ((t2-t)/1000).toFixed(1), 's; timeline', ((performance.now()-t2)/1000).toFixed(1), 's; rss', Math.round(process.memoryUsage().rss/1e6), 'MB heap', Math.round(process.memoryUsage().heapUsed/1e6), tl.steps[0]!.docs.size)
