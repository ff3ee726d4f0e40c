/**
 * The cmsweb lookups of one update run, cached for the rest of the run (spec §4) and shared by
 * concurrent workflows: DBS dataset type/events/size/lumis, ReqMgr2 PrepID queries, input-dataset
 * event counts. With batching on, DBS `datasetlist` is asked for many datasets per call.
 */
import type { CmswebServices, FileSummary } from '../cmsweb/services'
import { BoundedCache, chunk } from '../util/pool'
import { UNKNOWN_DATASET, type DatasetInfo } from './history'
import {
  isResubmission, ownExpectedLumis, planExpectedEvents, resubmissionEvents, resubmissionLumis,
  type ExpectedTotals, type LumiMask, type PrepIdRequests, type RawRequest
} from './reqmgr-doc'

/**
 * Entries per cache by default. A run needs an answer again within the feed page that asked for it
 * (1 000 workflows, at most a few thousand datasets) and seldom later; a bigger bound only held
 * 100 MB of a first run's heap for nothing (see README, "Performance").
 */
export const LOOKUP_CACHE_ENTRIES = 50_000

export interface LookupOptions {
  batching: boolean
  datasetListBatch: number
  /** Entries kept per cache; the oldest are forgotten beyond it. */
  cacheSize?: number
}

/** Stores a promise in a cache, forgetting it if it fails so that a later caller asks again. */
function remember<K, V>(cache: BoundedCache<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  const cached = cache.get(key)
  if (cached) return cached
  const promise = make()
  cache.set(key, promise)
  promise.catch(() => {
    if (cache.get(key) === promise) cache.delete(key)
  })
  return promise
}

export class RunLookups {
  private readonly datasets: BoundedCache<string, Promise<DatasetInfo>>
  private readonly summaries: BoundedCache<string, Promise<FileSummary | undefined>>
  private readonly prepIds: BoundedCache<string, Promise<PrepIdRequests | undefined>>
  private readonly maskedEvents: BoundedCache<string, Promise<number>>

  constructor(private readonly services: CmswebServices, private readonly options: LookupOptions) {
    const size = options.cacheSize ?? LOOKUP_CACHE_ENTRIES
    this.datasets = new BoundedCache(size)
    this.summaries = new BoundedCache(size)
    this.prepIds = new BoundedCache(size)
    this.maskedEvents = new BoundedCache(size)
  }

  private summary(dataset: string, validFileOnly: boolean): Promise<FileSummary | undefined> {
    return remember(this.summaries, `${validFileOnly ? 1 : 0}${dataset}`, () => this.services.fileSummary(dataset, validFileOnly))
  }

  /**
   * Type, events, size and lumis of each dataset. Datasets nobody asked for yet are looked up with
   * `datasetlist` (one call for all of them, or per batch), then `filesummaries` for those DBS knows;
   * the ones it does not know are NONE with zeros.
   */
  async datasetInfos(datasets: readonly string[]): Promise<Map<string, DatasetInfo>> {
    const wanted = [...new Set(datasets)]
    const pending = new Map<string, Promise<DatasetInfo>>()
    const missing: string[] = []
    for (const dataset of wanted) {
      const cached = this.datasets.get(dataset)
      if (cached) pending.set(dataset, cached)
      else missing.push(dataset)
    }
    const batches = missing.length === 0 ? [] : this.options.batching ? chunk(missing, this.options.datasetListBatch) : [missing]
    for (const batch of batches) {
      const listing = this.services.datasetList(batch).then((rows) => new Map(rows.map((row) => [row.dataset, row.dataset_access_type])))
      listing.catch(() => undefined)
      for (const dataset of batch) {
        const info = remember(this.datasets, dataset, async () => {
          const type = (await listing).get(dataset)
          if (type === undefined) return UNKNOWN_DATASET
          const summary = await this.summary(dataset, type === 'PRODUCTION' || type === 'VALID')
          return { type, events: summary?.events ?? 0, size: summary?.size ?? 0, lumis: summary?.lumis ?? 0 }
        })
        pending.set(dataset, info)
      }
    }
    const infos = new Map<string, DatasetInfo>()
    for (const dataset of wanted) infos.set(dataset, await pending.get(dataset)!)
    return infos
  }

  private prepIdRequests(prepId: string, masks: string[]): Promise<PrepIdRequests | undefined> {
    return remember(this.prepIds, `${masks.join(',')}|${prepId}`, () => this.services.requestsByPrepId(prepId, masks))
  }

  private eventsInMask(dataset: string, mask: LumiMask): Promise<number> {
    return remember(this.maskedEvents, `${dataset}|${JSON.stringify(mask)}`, () => this.services.eventsInLumiMask(dataset, mask))
  }

  /** Expected events and lumis of a workflow (spec §3). */
  async expectedTotals(raw: RawRequest): Promise<ExpectedTotals> {
    const plan = planExpectedEvents(raw)
    let events = -1
    switch (plan.kind) {
      case 'value':
        events = plan.events
        break
      case 'input-dataset':
        events = plan.lumiMask
          ? await this.eventsInMask(plan.dataset, plan.lumiMask)
          : ((await this.summary(plan.dataset, false))?.events ?? 0)
        break
      case 'resubmission':
        events = resubmissionEvents(await this.prepIdRequests(plan.prepId, ['TotalInputEvents', 'RequestType']), plan.efficiency)
        break
      case 'unknown':
        events = -1
    }
    let lumis: number | null
    if (isResubmission(raw)) {
      // Without a PrepID the original request cannot be found: no expected lumis, stored as null (spec §3).
      lumis = typeof raw.PrepID === 'string' && raw.PrepID
        ? resubmissionLumis(await this.prepIdRequests(raw.PrepID, ['TotalInputLumis', 'RequestType']))
        : null
    } else {
      lumis = ownExpectedLumis(raw)
    }
    return { events, lumis }
  }
}
