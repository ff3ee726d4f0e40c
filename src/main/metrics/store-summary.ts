/**
 * Workflows per status and events per campaign for `/metrics`, without reading every document on
 * every scrape.
 *
 * A map-only view (`_design/stats2_metrics/_view/summary`, keyed by workflow name) holds, per
 * workflow, its current status, its campaigns and the events of its final dataset (the newest
 * history entry of its last output dataset, as the summed chart counts them). The store keeps the
 * view's index up to date (the embedded store in its own native index, a CouchDB in its own). This
 * process reads the view once, then on each refresh only the workflows the `_changes` feed names
 * since the last one (their rows by `keys`): a refresh costs what changed, not the store's size.
 * It holds one small entry per workflow (about 100 bytes: 20 MB at 200 000 workflows).
 *
 * The design document is created where the store may be written (the embedded store, a DB_URL with
 * an admin's credentials); the old Stats2 and its views ignore it. On a read-only CouchDB without it,
 * the summary is unavailable and `/metrics` says so (`stats2_store_summary_up 0`).
 */
import type { CouchStore } from '../store/couch-store'
import { REQUESTS_DB } from '../../shared/stats2-doc'
import { chunk } from '../util/pool'
import { createLogger } from '../log/logger'

const log = createLogger('metrics')

export const SUMMARY_DESIGN_ID = '_design/stats2_metrics'
export const SUMMARY_VIEW_PATH = `${SUMMARY_DESIGN_ID}/_view/summary`

/** ES5, as CouchDB's JavaScript query server runs it. */
export const SUMMARY_MAP = `function (doc) {
  if (doc._id.indexOf('_design/') === 0) return;
  var status = null;
  var transitions = doc.RequestTransition;
  if (transitions && transitions.length) {
    var last = transitions[transitions.length - 1];
    if (last && typeof last.Status === 'string') status = last.Status;
  }
  var outputs = doc.OutputDatasets;
  var dataset = outputs && outputs.length ? outputs[outputs.length - 1] : null;
  var history = doc.EventNumberHistory;
  var newest = null;
  if (history && history.length) {
    for (var i = 0; i < history.length; i++) {
      var entry = history[i];
      if (entry && typeof entry.Time === 'number' && (newest === null || entry.Time >= newest.Time)) newest = entry;
    }
  }
  var events = 0;
  if (newest && dataset && newest.Datasets && newest.Datasets[dataset] && typeof newest.Datasets[dataset].Events === 'number') {
    events = newest.Datasets[dataset].Events;
  }
  var campaigns = [];
  var seen = {};
  if (doc.Campaigns && doc.Campaigns.length) {
    for (var j = 0; j < doc.Campaigns.length; j++) {
      var campaign = doc.Campaigns[j];
      if (typeof campaign === 'string' && !seen[campaign]) {
        seen[campaign] = true;
        campaigns.push(campaign);
      }
    }
  }
  emit(doc._id, [status, campaigns, events]);
}`

export function summaryDesignDoc(): { _id: string; language: string; views: { summary: { map: string } } } {
  return { _id: SUMMARY_DESIGN_ID, language: 'javascript', views: { summary: { map: SUMMARY_MAP } } }
}

interface Entry {
  status: string
  campaigns: string[]
  events: number
}

export interface SummaryFigures {
  /** Workflows per current status ('' when it has none). */
  byStatus: Map<string, number>
  /** Events per campaign, largest first, at most `top`; the rest summed. */
  topCampaigns: Array<{ campaign: string; events: number }>
  otherCampaignsEvents: number
  campaigns: number
}

const PAGE = 5_000
/** Changes read per refresh at most; what is left waits for the next one. */
const MAX_CHANGES_PER_REFRESH = 50_000

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export class StoreSummary {
  private readonly entries = new Map<string, Entry>()
  /** Kept as entries come and go: a scrape reads these, never the entries. */
  private readonly byStatus = new Map<string, number>()
  private readonly byCampaign = new Map<string, number>()
  private readonly campaignWorkflows = new Map<string, number>()
  /** Interned strings: status and campaign names repeat across thousands of workflows. */
  private readonly names = new Map<string, string>()
  private since: unknown
  private ready = false
  private unavailable: string | undefined
  private failure: string | undefined
  private refreshing: Promise<void> | undefined
  private lastRefresh = 0

  constructor(private readonly store: CouchStore, private readonly options: { ttlMs?: number; top?: number; firstWaitMs?: number } = {}) {}

  /** Why there are no figures (no view on a read-only CouchDB), or undefined. */
  get problem(): string | undefined {
    return this.unavailable ?? this.failure
  }

  /**
   * Brought up to date at most every `ttlMs` (default 15 s); concurrent callers share one refresh.
   * The first read of the view (its index may be built first: minutes on a large store) is not
   * waited for beyond `firstWaitMs` (2 s): until it is done there are no figures, and a scrape is
   * answered at once all the same.
   */
  async figures(): Promise<SummaryFigures | undefined> {
    const ttl = this.options.ttlMs ?? 15_000
    if (Date.now() - this.lastRefresh >= ttl) {
      // Never rejects (a failure is kept as the problem), so that a first read left running does not either.
      this.refreshing ??= this.refresh().then(
        () => {
          this.failure = undefined
        },
        (error: unknown) => {
          this.failure = `the store summary could not be read: ${(error as Error).message}`
          log.warn(this.failure)
        }
      ).finally(() => {
        this.refreshing = undefined
        this.lastRefresh = Date.now()
      })
      if (this.ready) await this.refreshing
      else {
        const pending = this.refreshing
        let timer: NodeJS.Timeout | undefined
        const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.firstWaitMs ?? 2_000)))
        try {
          await Promise.race([pending, waited])
        } finally {
          clearTimeout(timer)
        }
      }
    }
    return this.ready ? this.compute() : undefined
  }

  private add(entry: Entry, sign: 1 | -1): void {
    const status = (this.byStatus.get(entry.status) ?? 0) + sign
    if (status === 0) this.byStatus.delete(entry.status)
    else this.byStatus.set(entry.status, status)
    for (const campaign of entry.campaigns) {
      const events = (this.byCampaign.get(campaign) ?? 0) + sign * entry.events
      const workflows = this.campaignWorkflows.get(campaign)! + sign
      if (workflows === 0) {
        this.byCampaign.delete(campaign)
        this.campaignWorkflows.delete(campaign)
      } else {
        this.byCampaign.set(campaign, events)
        this.campaignWorkflows.set(campaign, workflows)
      }
    }
  }

  private put(id: string, entry: Entry): void {
    this.remove(id)
    for (const campaign of entry.campaigns) if (!this.campaignWorkflows.has(campaign)) this.campaignWorkflows.set(campaign, 0)
    this.entries.set(id, entry)
    this.add(entry, 1)
  }

  private remove(id: string): void {
    const old = this.entries.get(id)
    if (!old) return
    this.entries.delete(id)
    this.add(old, -1)
  }

  private intern(text: string): string {
    const known = this.names.get(text)
    if (known !== undefined) return known
    this.names.set(text, text)
    return text
  }

  private entryOf(value: unknown): Entry | undefined {
    if (!Array.isArray(value)) return undefined
    const [status, campaigns, events] = value as unknown[]
    return {
      status: this.intern(typeof status === 'string' ? status : ''),
      campaigns: Array.isArray(campaigns) ? campaigns.filter((c): c is string => typeof c === 'string').map((c) => this.intern(c)) : [],
      events: typeof events === 'number' && Number.isFinite(events) ? events : 0
    }
  }

  private async refresh(): Promise<void> {
    if (!this.ready) {
      if (!(await this.ensureView())) return
      // The feed position first: whatever changes while the view is read is read again after.
      const info = await this.store.raw<{ update_seq?: unknown }>('read the requests database', { db: REQUESTS_DB, method: 'get' })
      await this.readWholeView()
      this.since = info.update_seq ?? 0
      this.ready = true
      log.info(`store summary ready: ${this.entries.size} workflows`)
      return
    }
    let read = 0
    while (read < MAX_CHANGES_PER_REFRESH) {
      const page = await this.store.raw<{ results: Array<{ id: string; deleted?: boolean }>; last_seq: unknown }>('read the changes of requests', {
        db: REQUESTS_DB, path: '_changes', method: 'get', qs: { since: typeof this.since === 'string' ? this.since : JSON.stringify(this.since), limit: PAGE }
      })
      const results = Array.isArray(page.results) ? page.results : []
      read += results.length
      const changed: string[] = []
      for (const row of results) {
        if (row.id.startsWith('_design/')) continue
        if (row.deleted) this.remove(row.id)
        else changed.push(row.id)
      }
      await this.readRows(changed)
      this.since = page.last_seq ?? this.since
      if (results.length < PAGE) return
    }
  }

  /** The view's rows of these workflows; a workflow without a row (deleted meanwhile) is dropped. */
  private async readRows(ids: string[]): Promise<void> {
    for (const batch of chunk(ids, 1_000)) {
      const answer = await this.store.raw<{ rows: Array<{ id?: string; key: string; value: unknown }> }>('read the store summary', {
        db: REQUESTS_DB, path: SUMMARY_VIEW_PATH, method: 'post', body: { keys: batch }
      })
      const seen = new Set<string>()
      for (const row of answer.rows ?? []) {
        const entry = this.entryOf(row.value)
        if (entry && typeof row.id === 'string') {
          this.put(row.id, entry)
          seen.add(row.id)
        }
      }
      for (const id of batch) if (!seen.has(id)) this.remove(id)
    }
  }

  private async readWholeView(): Promise<void> {
    let startkey: string | undefined
    for (;;) {
      const qs: Record<string, unknown> = { limit: PAGE + 1 }
      if (startkey !== undefined) qs.startkey = JSON.stringify(startkey)
      const answer = await this.store.raw<{ rows: Array<{ id: string; key: string; value: unknown }> }>('read the store summary', {
        db: REQUESTS_DB, path: SUMMARY_VIEW_PATH, method: 'get', qs
      })
      const rows = answer.rows ?? []
      for (const row of rows.slice(0, PAGE)) {
        const entry = this.entryOf(row.value)
        if (entry) this.put(row.id, entry)
      }
      if (rows.length <= PAGE) return
      startkey = rows[PAGE]!.key
    }
  }

  /** The design document exists (created when the store may be written); false when it cannot be had. */
  private async ensureView(): Promise<boolean> {
    const wanted = summaryDesignDoc()
    let existing: Record<string, unknown> | undefined
    try {
      existing = await this.store.raw<Record<string, unknown>>('read the metrics view', { db: REQUESTS_DB, path: SUMMARY_DESIGN_ID, method: 'get' })
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error
    }
    const views = isRecord(existing?.views) ? existing.views : undefined
    const map = isRecord(views?.summary) ? views.summary.map : undefined
    if (map === SUMMARY_MAP) return true
    const readOnly = this.store.readOnlyMessage('creating the metrics view')
    if (readOnly) {
      this.unavailable = `${SUMMARY_DESIGN_ID} is ${existing ? 'outdated' : 'missing'} and the store is read-only: workflows per status and events per campaign are not exported`
      log.warn(this.unavailable)
      return false
    }
    await this.store.raw('write the metrics view', {
      db: REQUESTS_DB, path: SUMMARY_DESIGN_ID, method: 'put', body: { ...wanted, ...(existing?._rev ? { _rev: existing._rev } : {}) }
    })
    log.info(`${existing ? 'updated' : 'created'} ${SUMMARY_DESIGN_ID} (workflows per status and events per campaign for /metrics)`)
    this.unavailable = undefined
    return true
  }

  private compute(): SummaryFigures {
    const byStatus = new Map(this.byStatus)
    const sorted = [...this.byCampaign].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    const top = this.options.top ?? 20
    return {
      byStatus,
      topCampaigns: sorted.slice(0, top).map(([campaign, events]) => ({ campaign, events })),
      otherCampaignsEvents: sorted.slice(top).reduce((sum, [, events]) => sum + events, 0),
      campaigns: sorted.length
    }
  }
}
