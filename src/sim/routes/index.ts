/**
 * The simulator's HTTP routes as pure functions from a parsed request to a response. server.ts
 * does TLS, client-certificate checks, counting, latency and faults around them.
 */
import { randomBytes } from 'node:crypto'
import { type IncomingHttpHeaders } from 'node:http'
import {
  cherrypyError,
  couchError,
  dbsError,
  frontendHtml,
  json,
  rawJson,
  type RequestInfo,
  type SimResponse
} from '../errors'
import { type DbsFileRecord } from '../scenario'
import {
  creationDate,
  type DbsEntry,
  docJson,
  entryAccessType,
  entryName,
  feedEntryJson,
  feedStart,
  filesByRun,
  holdsLumi,
  parseSince,
  type StepData
} from '../timeline'
import { requestApi, viewQuery } from './reqmgr2'

export type Service = 'couch' | 'reqmgr2' | 'dbs' | 'wmstats' | 'keycloak' | 'pdmv' | 'sim' | 'none'

export interface SimRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: Buffer
  info: RequestInfo
}

export interface Notification {
  service: 'mcm' | 'rereco' | 'relval'
  environment: 'prod' | 'dev'
  method: string
  path: string
  body: unknown
  authorization?: string
  /** The audience the bearer token was issued for. */
  audience?: string
  time: number
}

export interface IssuedToken {
  clientId: string
  audience: string
  expiresAt: number
}

export interface RouteContext {
  state(): StepData
  step(): number
  steps: number
  advance(): number
  counts(): Record<string, number>
  /** Response body bytes sent, by endpoint label. */
  bytes(): Record<string, number>
  resetCounts(): void
  tokens: Map<string, IssuedToken>
  notifications: Notification[]
  /** Every `min_ldate` DBS `datasets` was asked with, as sent ('' when absent). */
  dbsMinLdates: string[]
  tokenLifetimeSeconds: number
}

export interface Route {
  label: string
  service: Service
  /** cmsweb routes need a client certificate signed by the simulator's CA and get latency/faults. */
  cmsweb: boolean
  handle(request: SimRequest, context: RouteContext): SimResponse
}

const COUCH_DB = '/couchdb/reqmgr_workload_cache'
const DBS_READER = '/dbs/prod/global/DBSReader/'

function isTrue(value: string | null | undefined): boolean {
  return value === 'true' || value === '1' || value === 'True'
}

function requireMethod(request: SimRequest, allowed: string[], service: Service): SimResponse | undefined {
  if (allowed.includes(request.method)) return undefined
  const message = `Method ${request.method} not allowed; use ${allowed.join(', ')}`
  switch (service) {
    case 'couch':
      return couchError(405, 'method_not_allowed', `Only ${allowed.join(',')} allowed`)
    case 'dbs':
      return dbsError(405, 118, 'method not allowed', message, 'dbs.web.handler', request.info)
    case 'reqmgr2':
    case 'wmstats':
      return cherrypyError(405, message)
    default:
      return json(405, { error: 'method_not_allowed', reason: message })
  }
}

function parseJsonBody(body: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown }
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  }
}

function isJsonContentType(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').toLowerCase().split(';')[0]?.trim() === 'application/json'
}

// ---------------------------------------------------------------------------------------------
// ReqMgr2 / CouchDB

function changes(request: SimRequest, context: RouteContext): SimResponse {
  const state = context.state()
  const sinceText = request.query.get('since') ?? '0'
  const since = parseSince(sinceText, state.lastSeq)
  if (since === undefined) {
    return cherrypyError(400, `Malformed sequence supplied in 'since' parameter: ${sinceText}`)
  }
  let limit = Number.POSITIVE_INFINITY
  const limitText = request.query.get('limit')
  if (limitText !== null) {
    if (!/^\d+$/.test(limitText)) return cherrypyError(400, `Invalid value for 'limit': ${limitText}`)
    limit = Math.max(1, Number(limitText)) // CouchDB: 0 behaves as 1
  }
  const includeDocs = isTrue(request.query.get('include_docs'))
  const feed = state.feed
  const start = feedStart(feed, since)
  const end = Math.min(feed.length, start + limit)
  const lines: string[] = []
  for (let i = start; i < end; i++) {
    const version = feed.at(i)
    if (version) lines.push(feedEntryJson(version, includeDocs))
  }
  // last_seq: the last result's sequence, or the database's current one when nothing is returned.
  const last = end > start ? feed.at(end - 1) : feed.at(feed.length - 1)
  const body = `{"results":[\n${lines.join(',\n')}\n],\n"last_seq":${JSON.stringify(last?.seqString ?? '0')},"pending":${feed.length - end}}\n`
  return rawJson(200, body)
}

function docById(id: string, context: RouteContext): SimResponse {
  const state = context.state()
  const live = state.docs.get(id)
  if (live) return rawJson(200, docJson(live))
  const known = state.latest.get(id)
  return couchError(404, 'not_found', known?.deleted ? 'deleted' : 'missing')
}

function allDocs(request: SimRequest, context: RouteContext): SimResponse {
  let keys: unknown
  let includeDocs = isTrue(request.query.get('include_docs'))
  if (request.method === 'POST') {
    if (!isJsonContentType(request.headers)) return couchError(415, 'bad_content_type', 'Content-Type must be application/json')
    const parsed = parseJsonBody(request.body)
    if (!parsed.ok) return couchError(400, 'bad_request', 'invalid UTF-8 JSON')
    const body = parsed.value as Record<string, unknown> | null
    keys = body && typeof body === 'object' ? body.keys : undefined
    if (body && typeof body === 'object' && body.include_docs === true) includeDocs = true
  } else {
    const keysText = request.query.get('keys')
    if (keysText !== null) {
      const parsed = parseJsonBody(Buffer.from(keysText))
      if (!parsed.ok) return couchError(400, 'bad_request', 'invalid UTF-8 JSON')
      keys = parsed.value
    }
  }
  const state = context.state()
  if (keys === undefined) {
    // Plain _all_docs: every live document, sorted by id.
    keys = [...state.docs.keys()].sort()
  }
  if (!Array.isArray(keys)) return couchError(400, 'bad_request', '`keys` member must be an array.')
  const rows: string[] = []
  for (const key of keys) {
    if (typeof key !== 'string') {
      rows.push(JSON.stringify({ key, error: 'not_found' }))
      continue
    }
    const live = state.docs.get(key)
    if (live) {
      rows.push(
        includeDocs
          ? `{"id":${JSON.stringify(key)},"key":${JSON.stringify(key)},"value":{"rev":${JSON.stringify(live.rev)}},"doc":${docJson(live)}}`
          : JSON.stringify({ id: key, key, value: { rev: live.rev } })
      )
      continue
    }
    const known = state.latest.get(key)
    if (known?.deleted) {
      const row: Record<string, unknown> = { id: key, key, value: { rev: known.rev, deleted: true } }
      if (includeDocs) row.doc = null
      rows.push(JSON.stringify(row))
    } else {
      rows.push(JSON.stringify({ key, error: 'not_found' }))
    }
  }
  return rawJson(200, `{"total_rows":${state.docs.size},"offset":null,"rows":[\n${rows.join(',\n')}\n]}\n`)
}

function couchDatabase(request: SimRequest, context: RouteContext): SimResponse {
  const state = context.state()
  return json(200, {
    db_name: 'reqmgr_workload_cache',
    doc_count: state.docs.size,
    doc_del_count: state.latest.size - state.docs.size,
    update_seq: state.feed.at(state.feed.length - 1)?.seqString ?? '0',
    instance_start_time: '0'
  })
}

function requestRoute(request: SimRequest, context: RouteContext): SimResponse {
  return requestApi(request.query, context.state())
}

function viewRoute(request: SimRequest, context: RouteContext): SimResponse {
  const name = safeDecode(request.path.slice(`${COUCH_DB}/_design/ReqMgr/_view/`.length))
  return viewQuery(name, request.query, context.state())
}

// ---------------------------------------------------------------------------------------------
// DBS

function splitDataset(name: string): { primary: string; processed: string; tier: string } {
  const [, primary = '', processed = '', tier = ''] = name.split('/')
  return { primary, processed, tier }
}

const RECORD_COUNTERS = new Set(['num_event', 'file_size', 'num_lumi', 'num_file', 'num_block', 'files', 'creation_date', 'last_modification_date'])

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) out[key] = value[key]
  return out
}

export function datasetDetail(entry: DbsEntry): Record<string, unknown> {
  const record = entry.record
  const { primary, processed, tier } = splitDataset(record.dataset)
  const version = /-v(\d+)$/.exec(processed)
  const mc = /SIM|^GEN|^LHE|PREMIX/.test(tier)
  const detail: Record<string, unknown> = {
    dataset_id: entry.datasetId,
    dataset: record.dataset,
    dataset_access_type: record.dataset_access_type,
    data_tier_name: tier,
    primary_ds_name: primary,
    primary_ds_type: mc ? 'mc' : 'data',
    processed_ds_name: processed,
    acquisition_era_name: processed.split('-')[0] ?? processed,
    processing_version: version ? Number(version[1]) : 1,
    physics_group_name: 'NoGroup',
    prep_id: null,
    xtcrosssection: null,
    creation_date: creationDate(entry),
    create_by: '/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=pdmvserv/CN=Stats2 simulator',
    last_modification_date: entry.lastModified,
    last_modified_by: '/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=pdmvserv/CN=Stats2 simulator'
  }
  for (const [key, value] of Object.entries(record)) {
    if (!RECORD_COUNTERS.has(key) && !(key in detail && (key === 'dataset' || key === 'dataset_access_type'))) detail[key] = value
  }
  return sortKeys(detail)
}

function summaryJson(entry: DbsEntry): string {
  if (entry.summaryJson === undefined) {
    const r = entry.record
    entry.summaryJson = `[{"file_size":${r.file_size},"num_block":${r.num_block},"num_event":${r.num_event},"num_file":${r.num_file},"num_lumi":${r.num_lumi}}]\n`
  }
  return entry.summaryJson
}

function fileSummaries(request: SimRequest, context: RouteContext): SimResponse {
  let dataset = request.query.get('dataset')
  const block = request.query.get('block_name')
  if (!dataset && block) dataset = block.split('#')[0] ?? ''
  if (!dataset) {
    return dbsError(400, 118, 'invalid parameter(s)', 'filesummaries requires dataset or block_name', 'dbs.filesummaries.FileSummaries', request.info)
  }
  const validFileOnly = request.query.get('validFileOnly')
  if (validFileOnly !== null && validFileOnly !== '0' && validFileOnly !== '1') {
    return dbsError(400, 118, 'invalid parameter(s)', `invalid validFileOnly value ${validFileOnly}`, 'dbs.filesummaries.FileSummaries', request.info)
  }
  const entry = context.state().datasets.get(dataset)
  return rawJson(200, entry ? summaryJson(entry) : '[]\n')
}

function accessTypeFilter(value: unknown): (entry: DbsEntry) => boolean {
  if (value === '*') return () => true
  if (value === undefined || value === null || value === '') return (e) => entryAccessType(e) === 'VALID'
  const wanted = String(value)
  return (e) => entryAccessType(e) === wanted
}

function dbsList(items: string[]): string {
  return items.length === 0 ? '[]\n' : `[\n${items.join('\n,')}\n]\n`
}

function datasetList(request: SimRequest, context: RouteContext): SimResponse {
  const fn = 'dbs.datasetlist.DatasetList'
  if (!isJsonContentType(request.headers)) {
    return dbsError(415, 117, 'unsupported content type', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not application/json`, fn, request.info)
  }
  const parsed = parseJsonBody(request.body)
  if (!parsed.ok || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    return dbsError(400, 122, 'unable to unmarshal request body', parsed.ok ? 'the body must be a JSON object' : parsed.error, fn, request.info)
  }
  const body = parsed.value as Record<string, unknown>
  const wanted = typeof body.dataset === 'string' ? [body.dataset] : body.dataset
  if (!Array.isArray(wanted) || !wanted.every((d) => typeof d === 'string')) {
    return dbsError(400, 118, 'invalid parameter(s)', 'dataset must be a list of dataset names', fn, request.info)
  }
  const detail = body.detail === 1 || body.detail === true || body.detail === '1' || body.detail === 'true'
  const keep = accessTypeFilter(body.dataset_access_type)
  const state = context.state()
  const seen = new Set<string>()
  const items: string[] = []
  for (const name of wanted as string[]) {
    if (seen.has(name)) continue
    seen.add(name)
    const entry = state.datasets.get(name)
    if (!entry || !keep(entry)) continue
    items.push(JSON.stringify(detail ? datasetDetail(entry) : { dataset: entryName(entry) }))
  }
  return rawJson(200, dbsList(items))
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
}

function datasets(request: SimRequest, context: RouteContext): SimResponse {
  const fn = 'dbs.datasets.Datasets'
  const state = context.state()
  const minText = request.query.get('min_ldate')
  context.dbsMinLdates.push(minText ?? '')
  let min: number | undefined
  if (minText !== null && minText !== '') {
    if (!/^-?\d+(\.\d+)?$/.test(minText)) return dbsError(400, 118, 'invalid parameter(s)', `invalid min_ldate ${minText}`, fn, request.info)
    min = Number(minText)
  }
  const pattern = request.query.get('dataset')
  let candidates: DbsEntry[]
  if (pattern && !pattern.includes('*')) {
    const entry = state.datasets.get(pattern)
    candidates = entry && (min === undefined || entry.lastModified > min) ? [entry] : []
  } else {
    candidates = state.modifiedAfter(min)
    if (pattern) {
      const re = globToRegExp(pattern)
      candidates = candidates.filter((e) => re.test(entryName(e)))
    }
  }
  const keep = accessTypeFilter(request.query.get('dataset_access_type'))
  const detail = isTrue(request.query.get('detail'))
  const items: string[] = []
  for (const entry of candidates) {
    if (!keep(entry)) continue
    items.push(detail ? JSON.stringify(datasetDetail(entry)) : `{"dataset":${JSON.stringify(entryName(entry))}}`)
  }
  return rawJson(200, dbsList(items))
}

/** `[[a,b],…]` ranges or a flat `[1,2,3]` list; undefined when malformed. */
export function parseLumiList(text: string): Array<[number, number]> | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(value)) return undefined
  const ranges: Array<[number, number]> = []
  for (const item of value) {
    const n = typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : item
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) {
      ranges.push([n, n])
    } else if (
      Array.isArray(item) &&
      item.length === 2 &&
      item.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0) &&
      (item[0] as number) <= (item[1] as number)
    ) {
      ranges.push([item[0] as number, item[1] as number])
    } else {
      return undefined
    }
  }
  return ranges
}

function blockName(entry: DbsEntry): string {
  const hex = (entry.datasetId * 2654435761).toString(16).padStart(12, '0').slice(-12)
  return `${entry.record.dataset}#a1b2c3d4-0000-4000-8000-${hex}`
}

function fileDetail(entry: DbsEntry, file: DbsFileRecord, fileId: number, runNum: number | undefined): Record<string, unknown> {
  const detail: Record<string, unknown> = {
    adler32: 'NOTSET',
    auto_cross_section: 0,
    block_id: entry.datasetId,
    block_name: blockName(entry),
    branch_hash_id: null,
    check_sum: String(fileId * 7919),
    create_by: '/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=pdmvserv/CN=Stats2 simulator',
    creation_date: creationDate(entry),
    dataset: entry.record.dataset,
    dataset_id: entry.datasetId,
    event_count: file.event_count,
    file_id: fileId,
    file_size: file.file_size,
    file_type: 'EDM',
    file_type_id: 1,
    is_file_valid: file.is_file_valid,
    last_modification_date: entry.lastModified,
    last_modified_by: '/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=pdmvserv/CN=Stats2 simulator',
    logical_file_name: file.logical_file_name,
    md5: null
  }
  if (runNum !== undefined) detail.run_num = runNum
  return detail
}

function files(request: SimRequest, context: RouteContext): SimResponse {
  const fn = 'dbs.files.Files'
  const dataset = request.query.get('dataset')
  if (!dataset) return dbsError(400, 118, 'invalid parameter(s)', 'files requires dataset', fn, request.info)
  const runTexts = request.query.getAll('run_num').filter((r) => r !== '')
  const runs: number[] = []
  for (const text of runTexts) {
    if (!/^\d+$/.test(text)) return dbsError(400, 118, 'invalid parameter(s)', `invalid run_num ${text}`, fn, request.info)
    runs.push(Number(text))
  }
  const lumiText = request.query.get('lumi_list')
  let ranges: Array<[number, number]> | undefined
  if (lumiText !== null && lumiText !== '' && lumiText !== '[]') {
    ranges = parseLumiList(lumiText)
    if (!ranges) return dbsError(400, 118, 'invalid parameter(s)', `invalid lumi_list ${lumiText}`, fn, request.info)
    if (runs.length !== 1) {
      return dbsError(400, 118, 'invalid parameter(s)', 'lumi_list requires exactly one run_num', fn, request.info)
    }
  }
  const validOnly = request.query.get('validFileOnly') === '1'
  const detail = isTrue(request.query.get('detail'))
  const entry = context.state().datasets.get(dataset)
  if (!entry) return rawJson(200, '[]\n')
  if (validOnly && entry.record.dataset_access_type !== 'VALID' && entry.record.dataset_access_type !== 'PRODUCTION') {
    return rawJson(200, '[]\n')
  }
  const byRun = filesByRun(entry)
  const selectedRuns = runs.length > 0 ? runs : [...byRun.keys()]
  const items: string[] = []
  for (const run of selectedRuns) {
    for (const indexed of byRun.get(run) ?? []) {
      const valid = indexed.file.is_file_valid
      if (validOnly ? valid !== 1 : valid === -1) continue
      if (ranges && !holdsLumi(indexed.lumis, ranges)) continue
      const runNum = runs.length > 0 ? run : undefined
      items.push(
        JSON.stringify(
          detail
            ? fileDetail(entry, indexed.file, indexed.fileId, runNum)
            : runNum === undefined
              ? { logical_file_name: indexed.file.logical_file_name }
              : { logical_file_name: indexed.file.logical_file_name, run_num: runNum }
        )
      )
    }
  }
  return rawJson(200, dbsList(items))
}

// ---------------------------------------------------------------------------------------------
// WMStats

function filteredRequests(request: SimRequest, context: RouteContext): SimResponse {
  const state = context.state()
  const masks = ['RequestName', ...request.query.getAll('mask').filter((m) => m !== '' && m !== 'RequestName')]
  const filters = new Map<string, string[]>()
  for (const [key, value] of request.query) {
    if (key === 'mask' || key === '_') continue
    filters.set(key, [...(filters.get(key) ?? []), value])
  }
  if (masks.length === 1 && filters.size === 0) {
    state.wmstatsJson ??= JSON.stringify({ result: state.wmstatsActive.map((RequestName) => ({ RequestName })) })
    return rawJson(200, state.wmstatsJson)
  }
  const result: Array<Record<string, unknown>> = []
  for (const name of state.wmstatsActive) {
    const doc = state.docs.get(name)?.doc ?? { RequestName: name }
    let keep = true
    for (const [key, values] of filters) {
      const actual = doc[key]
      if (!values.some((v) => String(actual) === v)) {
        keep = false
        break
      }
    }
    if (!keep) continue
    const row: Record<string, unknown> = {}
    for (const key of masks) row[key] = key === 'RequestName' ? name : (doc[key] ?? null)
    result.push(row)
  }
  return json(200, { result })
}

// ---------------------------------------------------------------------------------------------
// Keycloak and the PdmV services

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function keycloakToken(request: SimRequest, context: RouteContext): SimResponse {
  const type = (request.headers['content-type'] ?? '').toLowerCase()
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    return json(400, { error: 'invalid_request', error_description: 'Missing form parameter: grant_type' })
  }
  const form = new URLSearchParams(request.body.toString('utf8'))
  const grantType = form.get('grant_type')
  if (!grantType) return json(400, { error: 'invalid_request', error_description: 'Missing form parameter: grant_type' })
  if (grantType !== 'client_credentials') {
    return json(400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' })
  }
  const clientId = form.get('client_id') ?? ''
  const secret = form.get('client_secret') ?? ''
  if (!clientId || !secret) {
    return json(401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' })
  }
  const audience = form.get('audience') || clientId
  const now = Math.floor(Date.now() / 1000)
  const lifetime = context.tokenLifetimeSeconds
  const payload = {
    exp: now + lifetime,
    iat: now,
    jti: randomBytes(8).toString('hex'),
    iss: 'https://auth.cern.ch/auth/realms/cern',
    aud: audience,
    sub: `service-account-${clientId}`,
    typ: 'Bearer',
    azp: clientId,
    clientId
  }
  const token = `${base64url({ alg: 'RS256', typ: 'JWT', kid: 'stats2-simulator' })}.${base64url(payload)}.${randomBytes(32).toString('base64url')}`
  context.tokens.set(token, { clientId, audience, expiresAt: now + lifetime })
  return json(200, {
    access_token: token,
    expires_in: lifetime,
    refresh_expires_in: 0,
    token_type: 'Bearer',
    'not-before-policy': 0,
    scope: 'profile email'
  })
}

function pdmvRoute(service: Notification['service'], environment: Notification['environment'], method: string, label: string): Route {
  return {
    label,
    service: 'pdmv',
    cmsweb: false,
    handle(request, context) {
      if (request.method !== method) return json(405, { results: false, message: `use ${method}` })
      const authorization = request.headers.authorization
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')
      const token = match?.[1] ? context.tokens.get(match[1]) : undefined
      if (!token || token.expiresAt <= Date.now() / 1000) {
        return json(401, { results: false, message: token ? 'token expired' : 'a valid bearer token is required' })
      }
      let body: unknown = null
      if (request.body.length > 0) {
        const parsed = parseJsonBody(request.body)
        body = parsed.ok ? parsed.value : request.body.toString('utf8')
      }
      context.notifications.push({
        service,
        environment,
        method: request.method,
        path: request.path,
        body,
        authorization,
        audience: token.audience,
        time: Date.now()
      })
      return json(200, { results: true })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Routing

const route = (label: string, service: Service, cmsweb: boolean, handle: Route['handle']): Route => ({ label, service, cmsweb, handle })

const withMethod = (allowed: string[], service: Service, handle: Route['handle']): Route['handle'] => (request, context) =>
  requireMethod(request, allowed, service) ?? handle(request, context)

const ROUTES = {
  changes: route('reqmgr2.changes', 'couch', true, withMethod(['GET'], 'couch', changes)),
  allDocs: route('reqmgr2.all_docs', 'couch', true, withMethod(['GET', 'POST'], 'couch', allDocs)),
  couchDb: route('reqmgr2.db_info', 'couch', true, withMethod(['GET'], 'couch', couchDatabase)),
  request: route('reqmgr2.request', 'reqmgr2', true, withMethod(['GET'], 'reqmgr2', requestRoute)),
  view: route('reqmgr2.view', 'couch', true, withMethod(['GET'], 'couch', viewRoute)),
  filesummaries: route('dbs.filesummaries', 'dbs', true, withMethod(['GET'], 'dbs', fileSummaries)),
  datasetlist: route('dbs.datasetlist', 'dbs', true, withMethod(['POST'], 'dbs', datasetList)),
  datasets: route('dbs.datasets', 'dbs', true, withMethod(['GET'], 'dbs', datasets)),
  files: route('dbs.files', 'dbs', true, withMethod(['GET'], 'dbs', files)),
  dbsUnknown: route('dbs.unknown', 'dbs', true, (request) =>
    dbsError(404, 118, 'unknown API', `no such DBSReader API: ${request.path}`, 'dbs.web.handler', request.info)
  ),
  filteredRequests: route('wmstats.filtered_requests', 'wmstats', true, withMethod(['GET'], 'wmstats', filteredRequests)),
  keycloak: route('keycloak.token', 'keycloak', false, withMethod(['POST'], 'keycloak', keycloakToken)),
  simStep: route('sim.step', 'sim', false, withMethod(['POST'], 'sim', (_r, c) => json(200, { step: c.advance() }))),
  simState: route('sim.state', 'sim', false, withMethod(['GET'], 'sim', (_r, c) => json(200, { step: c.step(), steps: c.steps, counts: c.counts(), bytes: c.bytes() }))),
  simReset: route(
    'sim.reset_counts',
    'sim',
    false,
    withMethod(['POST'], 'sim', (_r, c) => {
      c.resetCounts()
      return json(200, { ok: true })
    })
  ),
  simNotifications: route('sim.notifications', 'sim', false, withMethod(['GET'], 'sim', (_r, c) => json(200, c.notifications))),
  mcm: { prod: pdmvRoute('mcm', 'prod', 'GET', 'mcm.fetch_stats'), dev: pdmvRoute('mcm', 'dev', 'GET', 'mcm.fetch_stats') },
  rereco: {
    prod: pdmvRoute('rereco', 'prod', 'POST', 'rereco.update_workflows'),
    dev: pdmvRoute('rereco', 'dev', 'POST', 'rereco.update_workflows')
  },
  relval: {
    prod: pdmvRoute('relval', 'prod', 'POST', 'relval.update_workflows'),
    dev: pdmvRoute('relval', 'dev', 'POST', 'relval.update_workflows')
  }
}

const docRoute = route(
  'reqmgr2.doc',
  'couch',
  true,
  withMethod(['GET'], 'couch', (request, context) => docById(safeDecode(request.path.slice(COUCH_DB.length + 1)), context))
)

const reqmgr2Unknown = route('reqmgr2.unknown', 'reqmgr2', true, (request) => cherrypyError(404, `Unknown API: ${request.path}`, 404))
const wmstatsUnknown = route('wmstats.unknown', 'wmstats', true, (request) => cherrypyError(404, `Unknown API: ${request.path}`, 404))
const couchUnknown = route('reqmgr2.unknown', 'couch', true, () => couchError(404, 'not_found', 'Database does not exist.'))
export const notFound = route('unknown', 'none', false, (request) => json(404, { error: 'not_found', reason: `no such route: ${request.path}` }))

/** The route for a path (decoded per segment by the caller); never undefined. */
export function matchRoute(path: string): Route {
  if (path.startsWith(COUCH_DB)) {
    const rest = path.slice(COUCH_DB.length)
    if (rest === '' || rest === '/') return ROUTES.couchDb
    if (rest === '/_changes') return ROUTES.changes
    if (rest === '/_all_docs') return ROUTES.allDocs
    const id = safeDecode(rest.slice(1))
    if (/^_design\/ReqMgr\/_view\/[^/]+$/.test(id)) return ROUTES.view
    if (/^_design\/[^/]+$/.test(id)) return docRoute
    if (id.startsWith('_')) return couchUnknown
    if (id.includes('/')) return couchUnknown // attachments (e.g. /spec) are not served
    return docRoute
  }
  if (path.startsWith('/couchdb/')) return couchUnknown
  if (path.startsWith(DBS_READER)) {
    switch (path.slice(DBS_READER.length)) {
      case 'filesummaries':
        return ROUTES.filesummaries
      case 'datasetlist':
        return ROUTES.datasetlist
      case 'datasets':
        return ROUTES.datasets
      case 'files':
        return ROUTES.files
      default:
        return ROUTES.dbsUnknown
    }
  }
  if (path.startsWith('/dbs/')) return ROUTES.dbsUnknown
  if (path === '/reqmgr2/data/request') return ROUTES.request
  if (path.startsWith('/reqmgr2/')) return reqmgr2Unknown
  if (path === '/wmstatsserver/data/filtered_requests') return ROUTES.filteredRequests
  if (path.startsWith('/wmstatsserver/')) return wmstatsUnknown
  if (path === '/auth/realms/cern/api-access/token') return ROUTES.keycloak
  if (path === '/_sim/step') return ROUTES.simStep
  if (path === '/_sim/state') return ROUTES.simState
  if (path === '/_sim/reset-counts') return ROUTES.simReset
  if (path === '/_sim/notifications') return ROUTES.simNotifications
  const dev = path.startsWith('/dev/')
  const rest = dev ? path.slice(4) : path
  const env = dev ? 'dev' : 'prod'
  if (/^\/mcm\/restapi\/requests\/fetch_stats_by_wf\/[^/]+$/.test(rest)) return ROUTES.mcm[env]
  if (rest === '/rereco/api/requests/update_workflows') return ROUTES.rereco[env]
  if (rest === '/relval/api/relvals/update_workflows') return ROUTES.relval[env]
  return notFound
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The 503 a cmsweb service answers when it is down, in that service's shape. */
export function unavailable(service: Service, request: SimRequest): SimResponse {
  switch (service) {
    case 'dbs':
      return dbsError(503, 503, 'service unavailable', 'DBS server is temporarily unavailable (simulated fault)', 'dbs.web.handler', request.info)
    case 'reqmgr2':
    case 'wmstats':
      return cherrypyError(503, 'Service temporarily unavailable (simulated fault)', 208)
    default:
      return frontendHtml(503, 'The server is temporarily unable to service your request due to maintenance downtime or capacity problems (simulated fault).')
  }
}

/** The cmsweb front end's answer to a request without a valid client certificate. */
export function clientCertificateRequired(authorizationError: string | undefined): SimResponse {
  const detail = authorizationError ? ` (${authorizationError})` : ''
  return frontendHtml(
    401,
    `Unauthorized: client certificate required; a certificate signed by a CA the server trusts must be presented${detail}.`
  )
}
