/**
 * Wiring of the Electron-free core, shared by the CLI and the desktop: the store, the cmsweb client
 * and services, the notifier and the updater options, all from one Stats2Config.
 */
import type { Stats2Config } from '../config/config'
import { CmswebClient, type CallObserver } from '../cmsweb/client'
import { loadTrustedCAs } from '../cmsweb/trust'
import { CmswebServices } from '../cmsweb/services'
import { CouchStore } from '../store/couch-store'
import { Notifier } from '../notify/notifier'
import type { UpdaterOptions } from '../updater/update-run'

export async function openStore(config: Stats2Config, options: { inMemory?: boolean } = {}): Promise<CouchStore> {
  return CouchStore.open(config.db, { inMemory: options.inMemory, batchSize: config.updater.dbBatch })
}

export interface CmswebConnection {
  client: CmswebClient
  services: (signal?: AbortSignal) => CmswebServices
  close(): Promise<void>
}

export async function openCmsweb(config: Stats2Config, options: { onCall?: CallObserver } = {}): Promise<CmswebConnection> {
  const client = await CmswebClient.create(config, options.onCall ? { onCall: options.onCall } : {})
  return {
    client,
    services: (signal) => new CmswebServices(client, signal),
    close: () => client.close()
  }
}

export async function createNotifier(config: Stats2Config): Promise<Notifier> {
  return new Notifier(config.notify, { ca: await loadTrustedCAs(config.cmsweb) })
}

export function updaterOptions(config: Stats2Config): UpdaterOptions {
  return {
    concurrency: config.cmsweb.concurrency,
    batching: config.updater.batching,
    changesPageSize: config.updater.changesPageSize,
    datasetListBatch: config.updater.datasetListBatch,
    dbBatch: config.updater.dbBatch
  }
}
