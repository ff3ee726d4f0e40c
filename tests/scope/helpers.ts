/**
 * Scoped-sync tests: the real simulator (HTTPS, client certificates) and real embedded stores, the
 * updater in-process so that each run's clock (`now`) and scope are set by the test.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type Stats2Config } from '../../src/main/config/config'
import { CmswebClient } from '../../src/main/cmsweb/client'
import { CmswebServices } from '../../src/main/cmsweb/services'
import { updaterOptions } from '../../src/main/core/runtime'
import type { Simulator } from '../../src/sim'
import { CouchStore } from '../../src/main/store/couch-store'
import { runUpdate, type WorkflowEvent } from '../../src/main/updater/update-run'
import type { SyncScope } from '../../src/shared/sync-scope'
import type { SettingsDoc, WorkflowDoc } from '../../src/shared/stats2-doc'
import type { UpdateReport } from '../../src/shared/update-types'

export interface Harness {
  config: Stats2Config
  client: CmswebClient
  close(): Promise<void>
}

const dirs: string[] = []

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stats2-scope-'))
  dirs.push(dir)
  return dir
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
}

export async function connect(sim: Simulator): Promise<Harness> {
  const base = loadConfig({})
  const config: Stats2Config = {
    ...base,
    credentials: { certPath: sim.tls.clientCert, keyPath: sim.tls.clientKey },
    cmsweb: { ...base.cmsweb, url: sim.url, dbsUrl: sim.url, caPath: sim.tls.caCert, concurrency: 8, retries: 0 },
    // Small pages so that the feed and the scope fetch go through several checkpoints.
    updater: { ...base.updater, changesPageSize: 50 }
  }
  const client = await CmswebClient.create(config)
  return { config, client, close: () => client.close() }
}

export async function openStore(dir: string): Promise<CouchStore> {
  return CouchStore.open({ dataDir: dir }, { batchSize: 100 })
}

export interface RunResult {
  report: UpdateReport
  events: WorkflowEvent[]
}

export async function updateAll(harness: Harness, store: CouchStore, scope: SyncScope | undefined, now: number): Promise<RunResult> {
  const events: WorkflowEvent[] = []
  const report = await runUpdate({ kind: 'all' }, {}, {
    services: new CmswebServices(harness.client),
    store,
    options: updaterOptions(harness.config),
    now: () => now,
    syncScope: scope,
    onWorkflow: (event) => events.push(event)
  })
  return { report, events }
}

export async function readDocs(store: CouchStore): Promise<Map<string, WorkflowDoc>> {
  const docs = new Map<string, WorkflowDoc>()
  for await (const page of store.allWorkflows(500)) for (const doc of page) docs.set(doc._id, doc)
  return docs
}

/** A stored document as bytes, without `_rev` (its hash depends on the store's write history). */
export function bytesOf(doc: WorkflowDoc | undefined): string {
  if (!doc) return 'absent'
  const { _rev: _revision, ...rest } = doc
  return JSON.stringify(rest)
}

export type ScopeSettings = SettingsDoc & { sync_scope?: SyncScope; sync_scope_pending?: SyncScope; scope_excluded?: string[] }

export function scope(over: Partial<SyncScope>): SyncScope {
  return { campaigns: [], prepIds: [], statuses: [], workflows: [], ...over }
}
