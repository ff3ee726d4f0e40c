import { join } from 'node:path'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { startSimProcess } from '../sim-process'
import { loadConfig, type Stats2Config } from '../../src/main/config/config'
import { CmswebClient } from '../../src/main/cmsweb/client'
import { CmswebServices } from '../../src/main/cmsweb/services'
import { CouchStore } from '../../src/main/store/couch-store'
import { runUpdate } from '../../src/main/updater/update-run'
import { updaterOptions } from '../../src/main/core/runtime'
import { setLogLevel } from '../../src/main/log/logger'
import { startEmbeddedCouch } from '../../src/store-server/embedded-couch'
setLogLevel('warn')
async function main() {
  const work = await mkdtemp(join(tmpdir(), 'iso-ab-'))
  const n = Number(process.argv[2] ?? 1000)
  const sim = await startSimProcess({ work, workflows: n, seed: '7', latencyMs: 30 })
  const base = loadConfig({})
  const config: Stats2Config = { ...base, credentials: { certPath: sim.cert, keyPath: sim.key }, cmsweb: { ...base.cmsweb, url: sim.url, dbsUrl: sim.url, caPath: sim.ca, concurrency: 16 } }
  try {
    for (let round = 0; round < Number(process.argv[3] ?? 3); round++) {
      for (const mode of ['inproc', 'process'] as const) {
        const dir = join(work, `${mode}-${round}`)
        let store: CouchStore; let close = async () => {}
        if (mode === 'inproc') {
          const couch = await startEmbeddedCouch({ dataDir: dir })
          store = CouchStore.connect(couch.url, couch.authHeader, 500)
          await store.ensureSchema()
          close = () => couch.close()
        } else {
          store = await CouchStore.open({ dataDir: dir }, { batchSize: 500 })
        }
        const client = await CmswebClient.create(config)
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        const report = await runUpdate({ kind: 'all' }, {}, { services: new CmswebServices(client), store, options: updaterOptions(config) })
        const s = (performance.now() - t0) / 1000
        const cpu = process.cpuUsage(cpu0)
        let storeCpu = ''
        if (store.embeddedServer) { const u = await store.embeddedServer.usage(); storeCpu = ` store-proc-cpu ${((u.cpuUserMicros + u.cpuSystemMicros) / 1e6).toFixed(1)} s` }
        console.log(`${mode} round ${round}: ${s.toFixed(1)} s, written ${report.written}, this-proc cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s${storeCpu}, load ${require('node:os').loadavg()[0].toFixed(1)}`)
        await client.close(); await store.close(); await close()
      }
    }
  } finally { await sim.stop() }
}
main().catch((e) => { console.error(e); process.exit(1) })
