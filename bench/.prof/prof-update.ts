import { join } from 'node:path'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { startSimProcess } from '/work/wt-iso/bench/sim-process'
import { updateLoopLag } from '/work/wt-iso/bench/loop-lag'
import { setLogLevel } from '/work/wt-iso/src/main/log/logger'
setLogLevel('warn')
async function main() {
  const work = await mkdtemp(join(tmpdir(), 'iso-prof-'))
  const idle = monitorEventLoopDelay({ resolution: 10 }); idle.enable(); await new Promise((r) => setTimeout(r, 5000)); idle.disable()
  console.log('idle p99', idle.percentile(99) / 1e6, 'max', idle.max / 1e6)
  const n = Number(process.argv[2] ?? 2000)
  const sim = await startSimProcess({ work, workflows: n, seed: '7', latencyMs: 30 })
  try { console.log(await updateLoopLag(work, sim, 16)) } finally { await sim.stop() }
}
main().catch((e) => { console.error(e); process.exit(1) })
