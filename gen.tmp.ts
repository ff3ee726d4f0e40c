import { generateScenario } from './src/main/sim/generator'
const s = generateScenario({ workflows: 400, steps: 4, seed: 11 })
const last = s.steps[3]!.reqmgr2, first = s.steps[0]!.reqmgr2
const camp = new Map<string, number>()
for (const d of first.values()) camp.set(String(d.Campaign), (camp.get(String(d.Campaign)) ?? 0) + 1)
console.log([...camp].sort((a,b)=>b[1]-a[1]).slice(0,30))
const late = [...last.keys()].filter(n => !first.has(n)).map(n => [n, last.get(n)!.Campaign, last.get(n)!.RequestType, last.get(n)!.PrepID])
console.log(late.slice(0,20))
const st = new Map<string, number>(); for (const d of first.values()) st.set(String(d.RequestStatus), (st.get(String(d.RequestStatus))??0)+1); console.log(st)
const pw = new Map<string, number>(); for (const d of first.values()) { const p = String(d.PrepID).split('-')[0]!; pw.set(p, (pw.get(p)??0)+1) }; console.log(pw)
console.log([...first.values()].slice(0,3).map(d => [d.RequestName, d.RequestDate, d.PrepID, d.Campaign, d.RequestType]))
