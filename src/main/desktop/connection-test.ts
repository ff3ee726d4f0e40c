/** "Test connection": each piece checked on its own, saying exactly what failed. */
import type { Stats2Config } from '../config/config'
import { CmswebClient } from '../cmsweb/client'
import { loadCredentials } from '../cmsweb/credentials'
import { loadTrustedCAs } from '../cmsweb/trust'
import type { ConnectionCheck } from '../../shared/ipc-contract'
import type { CouchStore } from '../store/couch-store'

async function timed(id: ConnectionCheck['id'], label: string, check: () => Promise<string>): Promise<ConnectionCheck> {
  const started = Date.now()
  try {
    const message = await check()
    return { id, label, ok: true, message, durationMs: Date.now() - started }
  } catch (error) {
    return { id, label, ok: false, message: error instanceof Error ? error.message : String(error), durationMs: Date.now() - started }
  }
}

export async function testConnection(config: Stats2Config, store: () => Promise<CouchStore>): Promise<ConnectionCheck[]> {
  const checks: ConnectionCheck[] = []
  let client: CmswebClient | undefined
  const credentials = await timed('certificate', 'Grid certificate', async () => {
    const loaded = await loadCredentials(config.credentials)
    const days = Math.floor((loaded.notAfter.getTime() - Date.now()) / 86_400_000)
    return `${loaded.subject} (${loaded.kind}, ${loaded.source}); valid for ${days} more days`
  })
  checks.push(credentials)
  const trust = await timed('trust', 'Trusted certificate authorities', async () => {
    const cas = await loadTrustedCAs(config.cmsweb)
    return cas ? `system CAs plus ${config.cmsweb.caPath ?? ''} ${config.cmsweb.caDir ?? ''}`.trim() : 'system CAs'
  })
  checks.push(trust)
  if (credentials.ok && trust.ok) {
    client = await CmswebClient.create({ ...config, cmsweb: { ...config.cmsweb, retries: 0, timeoutMs: 20_000 } })
    const c = client
    checks.push(
      await timed('reqmgr2', `ReqMgr2 at ${config.cmsweb.url}`, async () => {
        const answer = await c.getJson<{ last_seq?: unknown }>('cmsweb', '/couchdb/reqmgr_workload_cache/_changes?since=now&limit=1', { endpoint: 'reqmgr2.changes' })
        return `changes feed answers (sequence ${String(answer.last_seq ?? '?').slice(0, 24)})`
      })
    )
    checks.push(
      await timed('dbs', `DBS at ${config.cmsweb.dbsUrl}`, async () => {
        const now = Math.floor(Date.now() / 1000)
        await c.getJson('dbs', `/dbs/prod/global/DBSReader/datasets?min_ldate=${now}&dataset_access_type=*`, { endpoint: 'dbs.datasets' })
        return 'DBS answers'
      })
    )
    await client.close()
  }
  checks.push(
    await timed('database', 'Database', async () => {
      const info = await (await store()).info()
      return `${info.embedded ? 'embedded store' : 'CouchDB'} at ${info.url}: ${info.workflows} workflows`
    })
  )
  return checks
}
