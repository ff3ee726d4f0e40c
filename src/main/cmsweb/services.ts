/**
 * The cmsweb calls Stats2 makes (spec §3–§6), typed and checked: an answer of the wrong shape is a
 * `MalformedResponseError` naming the endpoint, never data silently read as zeros (the old Stats2
 * parsed DBS error lists as if they were results).
 */
import { z } from 'zod'
import type { LumiMask, PrepIdRequests } from '../updater/reqmgr-doc'
import { docPathSegment } from '../store/doc-ids'

export type CmswebHost = 'cmsweb' | 'dbs'

export interface TransportOptions {
  endpoint?: string
  signal?: AbortSignal
  timeoutMs?: number
}

/** What the services need from the HTTP client (CmswebClient implements it). */
export interface CmswebTransport {
  getJson<T = unknown>(host: CmswebHost, path: string, options?: TransportOptions): Promise<T>
  postJson<T = unknown>(host: CmswebHost, path: string, body: unknown, options?: TransportOptions): Promise<T>
}

export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError'
  constructor(readonly endpoint: string, detail: string) {
    super(`${endpoint} answered something unexpected: ${detail}`)
  }
}

const REQMGR_DB = '/couchdb/reqmgr_workload_cache'
const DBS = '/dbs/prod/global/DBSReader'

function check<T>(schema: z.ZodType<T>, value: unknown, endpoint: string): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
  const preview = JSON.stringify(value)?.slice(0, 160) ?? String(value)
  throw new MalformedResponseError(endpoint, `${issue?.message ?? 'invalid'}${where} (got ${preview})`)
}

const seqSchema = z.union([z.string(), z.number()])

const changesSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      seq: seqSchema.optional(),
      deleted: z.boolean().optional(),
      doc: z.record(z.string(), z.unknown()).nullable().optional()
    })
  ),
  last_seq: seqSchema,
  pending: z.number().optional()
})
export type ChangesPage = z.infer<typeof changesSchema>

const allDocsSchema = z.object({
  rows: z.array(
    z.object({
      key: z.string(),
      id: z.string().optional(),
      value: z.object({ rev: z.string(), deleted: z.boolean().optional() }).nullable().optional(),
      doc: z.record(z.string(), z.unknown()).nullable().optional(),
      error: z.string().optional()
    })
  )
})

const prepIdSchema = z.object({ result: z.array(z.record(z.string(), z.record(z.string(), z.unknown()))) })

const datasetListSchema = z.array(
  z.object({ dataset: z.string(), dataset_access_type: z.string() }).passthrough()
)

const fileSummariesSchema = z.array(
  z.object({
    num_event: z.number().nullable().optional(),
    file_size: z.number().nullable().optional(),
    num_lumi: z.number().nullable().optional()
  }).passthrough()
)

const datasetsSchema = z.array(z.object({ dataset: z.string() }).passthrough())

const filesSchema = z.array(z.object({ event_count: z.number().nullable().optional() }).passthrough())

const namesSchema = z.object({ result: z.array(z.string()) })

const viewSchema = z.object({
  rows: z.array(z.object({ id: z.string(), key: z.unknown(), value: z.unknown().optional() }))
})
export type ReqMgrViewRow = z.infer<typeof viewSchema>['rows'][number]

/** Filters of `reqmgr2/data/request` used by the sync scope; each list is OR, the lists are ANDed. */
export interface RequestFilters {
  campaign?: readonly string[]
  prep_id?: readonly string[]
  status?: readonly string[]
  name?: readonly string[]
}

const wmstatsSchema = z.object({ result: z.array(z.object({ RequestName: z.string() }).passthrough()) })

export interface FileSummary {
  events: number
  size: number
  lumis: number
}

/** `[[1,30],[90,110]]`, no spaces, as Stats2 sends it. */
export function lumiRangesParam(ranges: readonly [number, number][]): string {
  return JSON.stringify(ranges)
}

export class CmswebServices {
  constructor(private readonly transport: CmswebTransport, private readonly signal?: AbortSignal) {}

  private get<T>(host: CmswebHost, path: string, endpoint: string): Promise<T> {
    return this.transport.getJson<T>(host, path, { endpoint, signal: this.signal })
  }

  /** One page of the ReqMgr2 changes feed. `since` is opaque (CouchDB 3 strings) and sent back verbatim. */
  async changes(since: string | number, options: { limit?: number; includeDocs?: boolean } = {}): Promise<ChangesPage> {
    const params = new URLSearchParams({ since: String(since) })
    if (options.limit !== undefined) params.set('limit', String(options.limit))
    if (options.includeDocs) params.set('include_docs', 'true')
    const answer = await this.get('cmsweb', `${REQMGR_DB}/_changes?${params}`, 'reqmgr2.changes')
    return check(changesSchema, answer, 'ReqMgr2 changes feed')
  }

  async request(name: string): Promise<unknown> {
    // One path segment whatever the name holds (`/`, `?`, `..` refused): never another endpoint.
    return this.get('cmsweb', `${REQMGR_DB}/${docPathSegment(name)}`, 'reqmgr2.doc')
  }

  /** Many ReqMgr2 documents in one call; a missing or deleted one maps to undefined. */
  async requests(names: readonly string[]): Promise<Map<string, Record<string, unknown> | undefined>> {
    const answer = await this.transport.postJson(
      'cmsweb', `${REQMGR_DB}/_all_docs?include_docs=true`, { keys: names }, { endpoint: 'reqmgr2.all_docs', signal: this.signal }
    )
    const { rows } = check(allDocsSchema, answer, 'ReqMgr2 _all_docs')
    const docs = new Map<string, Record<string, unknown> | undefined>()
    for (const row of rows) docs.set(row.key, row.doc && !row.value?.deleted ? row.doc : undefined)
    return docs
  }

  /** `reqmgr2/data/request?mask=…&prep_id=P`: name → masked fields, or undefined when none has that PrepID. */
  async requestsByPrepId(prepId: string, masks: readonly string[]): Promise<PrepIdRequests | undefined> {
    const params = new URLSearchParams()
    for (const mask of masks) params.append('mask', mask)
    params.set('prep_id', prepId)
    const answer = await this.get('cmsweb', `/reqmgr2/data/request?${params}`, 'reqmgr2.request')
    const { result } = check(prepIdSchema, answer, 'ReqMgr2 request API')
    return result[0]
  }

  /**
   * Names of the requests matching every filter given (ReqMgr2 intersects them), without their
   * documents (`detail=false`: nothing but names travels, and archived statuses are allowed).
   */
  async requestNames(filters: RequestFilters): Promise<string[]> {
    const params = new URLSearchParams()
    for (const key of ['campaign', 'prep_id', 'status', 'name'] as const) for (const value of filters[key] ?? []) params.append(key, value)
    params.set('detail', 'false')
    const answer = await this.get('cmsweb', `/reqmgr2/data/request?${params}`, 'reqmgr2.request')
    return check(namesSchema, answer, 'ReqMgr2 request API').result
  }

  /**
   * Rows of a view of ReqMgr2's couchapp (`bydate`, `byprepid`, …) between two keys, inclusive;
   * keys are JSON, as CouchDB takes them.
   */
  async reqmgrView(view: string, range: { startkey?: unknown; endkey?: unknown } = {}): Promise<ReqMgrViewRow[]> {
    const params = new URLSearchParams()
    if (range.startkey !== undefined) params.set('startkey', JSON.stringify(range.startkey))
    if (range.endkey !== undefined) params.set('endkey', JSON.stringify(range.endkey))
    const text = params.toString()
    const query = text ? `?${text}` : ''
    const answer = await this.get('cmsweb', `${REQMGR_DB}/_design/ReqMgr/_view/${encodeURIComponent(view)}${query}`, `reqmgr2.view.${view}`)
    return check(viewSchema, answer, `ReqMgr2 ${view} view`).rows
  }

  /** The changes feed's current position, without reading it (`since=now`). */
  async changesPosition(): Promise<string | number> {
    const answer = await this.get('cmsweb', `${REQMGR_DB}/_changes?since=now&limit=1`, 'reqmgr2.changes')
    return check(changesSchema, answer, 'ReqMgr2 changes feed').last_seq
  }

  async datasetList(datasets: readonly string[]): Promise<Array<{ dataset: string; dataset_access_type: string }>> {
    const answer = await this.transport.postJson(
      'dbs', `${DBS}/datasetlist`, { dataset: datasets, detail: 1, dataset_access_type: '*' },
      { endpoint: 'dbs.datasetlist', signal: this.signal }
    )
    return check(datasetListSchema, answer, 'DBS datasetlist')
  }

  /** Events, size and lumis of a dataset; undefined when DBS has no summary for it. */
  async fileSummary(dataset: string, validFileOnly: boolean): Promise<FileSummary | undefined> {
    const params = new URLSearchParams({ dataset })
    if (validFileOnly) params.set('validFileOnly', '1')
    const answer = await this.get('dbs', `${DBS}/filesummaries?${params}`, 'dbs.filesummaries')
    const [row] = check(fileSummariesSchema, answer, 'DBS filesummaries')
    if (!row) return undefined
    return { events: row.num_event ?? 0, size: row.file_size ?? 0, lumis: row.num_lumi ?? 0 }
  }

  async datasetsModifiedSince(minLdate: number): Promise<string[]> {
    const params = new URLSearchParams({ min_ldate: String(minLdate), dataset_access_type: '*' })
    const answer = await this.get('dbs', `${DBS}/datasets?${params}`, 'dbs.datasets')
    return check(datasetsSchema, answer, 'DBS datasets').map((row) => row.dataset)
  }

  /** Sum of `event_count` of the files of `dataset` in each run of the mask, one call per run (spec §5). */
  async eventsInLumiMask(dataset: string, mask: LumiMask): Promise<number> {
    let total = 0
    for (const [run, ranges] of Object.entries(mask)) {
      const params = new URLSearchParams({ dataset, detail: 'true', run_num: run, lumi_list: lumiRangesParam(ranges) })
      const answer = await this.get('dbs', `${DBS}/files?${params}`, 'dbs.files')
      for (const file of check(filesSchema, answer, 'DBS files')) total += file.event_count ?? 0
    }
    return total
  }

  async activeWorkflows(): Promise<string[]> {
    const answer = await this.get('cmsweb', '/wmstatsserver/data/filtered_requests?mask=RequestName', 'wmstats.filtered_requests')
    return check(wmstatsSchema, answer, 'WMStats filtered_requests').result.map((row) => row.RequestName)
  }
}
