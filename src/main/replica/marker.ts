/**
 * A replica is marked as such in its own `settings/all_settings` (an extra key, `replica`, that the
 * old Stats2 ignores; `settings` is never pulled, so the mark is the replica's own), so that an
 * update-all on it asks first instead of silently making it a second updater of the shared Stats2.
 * Named updates (the operator's selected workflows) stay allowed: they write locally and the next
 * pull merges them.
 */
import type { CouchStore } from '../store/couch-store'
import type { SettingsDoc } from '../../shared/stats2-doc'
import { isScoped, normaliseScope, type SyncScope } from '../../shared/sync-scope'

export interface ReplicaMarker {
  /** The source server, without credentials. */
  source: string
  /** The scope pulled; null: everything. */
  scope: SyncScope | null
  /** Unix seconds of the first pull into this store. */
  since: number
  /** Unix seconds of the last pull that caught up with the source. */
  last_pull?: number
}

interface MarkedSettings extends SettingsDoc {
  replica?: unknown
}

/** Update-all on a replica without `--force`. */
export class ReplicaUpdateRefusedError extends Error {
  override name = 'ReplicaUpdateRefusedError'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The marker of a settings document, or undefined when the store is not a replica. */
export function replicaMarkerOf(settings: SettingsDoc): ReplicaMarker | undefined {
  const value = (settings as MarkedSettings).replica
  if (!isRecord(value) || typeof value.source !== 'string') return undefined
  const parsed = isRecord(value.scope) ? normaliseScope(value.scope as Partial<SyncScope>) : undefined
  return {
    source: value.source,
    scope: parsed?.ok && isScoped(parsed.value) ? parsed.value : null,
    since: typeof value.since === 'number' ? value.since : 0,
    ...(typeof value.last_pull === 'number' ? { last_pull: value.last_pull } : {})
  }
}

export async function readReplicaMarker(store: CouchStore): Promise<ReplicaMarker | undefined> {
  return replicaMarkerOf(await store.getSettings())
}

/** Marks the store (or refreshes the mark); `last_pull` only moves forward. */
export async function writeReplicaMarker(store: CouchStore, marker: Omit<ReplicaMarker, 'since'> & { since?: number }): Promise<void> {
  await store.updateSettings((doc) => {
    const previous = replicaMarkerOf(doc)
    const next: ReplicaMarker = {
      source: marker.source,
      scope: marker.scope,
      since: previous?.since ?? marker.since ?? Math.floor(Date.now() / 1000),
      ...(marker.last_pull !== undefined || previous?.last_pull !== undefined ? { last_pull: Math.max(marker.last_pull ?? 0, previous?.last_pull ?? 0) } : {})
    }
    return { ...doc, replica: next } as SettingsDoc
  })
}

/** Removes the mark (`stats2 replicate --detach`): the documents stay, the store becomes an ordinary one. */
export async function removeReplicaMarker(store: CouchStore): Promise<boolean> {
  let had = false
  await store.updateSettings((doc) => {
    const { replica, ...rest } = doc as MarkedSettings
    had = replica !== undefined
    return rest as SettingsDoc
  })
  return had
}

/** The refusal an update-all meets on a replica, saying what to do instead (on the command line, or in the app). */
export function replicaUpdateMessage(source: string, where: 'cli' | 'app' = 'cli'): string {
  const why = `This store is a replica of ${source}: an update-all here would make it a second updater of that Stats2, reading all of ReqMgr2 and DBS with your certificate.`
  return where === 'cli'
    ? `${why} Pull instead (stats2 replicate --from ${source}), update chosen workflows with stats2 update --name NAME, or pass --force to update everything from cmsweb anyway.`
    : `${why} Pull from it instead, or select workflows and update those; to update everything from cmsweb, choose cmsweb in Settings → Source.`
}

/** Throws ReplicaUpdateRefusedError when the store is a replica and `force` is not given. */
export async function assertUpdateAllAllowed(store: CouchStore, force: boolean): Promise<void> {
  if (force) return
  const marker = await readReplicaMarker(store)
  if (marker) throw new ReplicaUpdateRefusedError(replicaUpdateMessage(marker.source))
}
