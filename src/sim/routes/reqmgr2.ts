/**
 * ReqMgr2's query API (`GET /reqmgr2/data/request`) and the views of its couchapp
 * (`/couchdb/reqmgr_workload_cache/_design/ReqMgr/_view/<name>`), as WMCore answers them
 * (src/python/WMCore/ReqMgr/Service/Request.py `get`, src/couchapps/ReqMgr/views/*):
 * - each filter looks its values up in one view (several values: their union), and the answer is
 *   the intersection over the filters; no filter at all gives `{"result": []}`;
 * - parameters ReqMgr2 does not know are accepted and ignored (its GET validation passes every
 *   argument through), as are `date_range` lookups, which ReqMgr2 sends to the `bydate` view as one
 *   string key and which therefore match nothing;
 * - `status=ACTIVE` alone stands for WMCore's ACTIVE_STATUS; an `*-archived` status with
 *   `detail` on is refused with 400 (InvalidSpecParameterValue, app code 1102);
 * - `detail=false` answers names only, `mask`s the masked fields (RequestInfo.get: chain values
 *   become the list of distinct per-task values, dicts their values), `common_dict=1` a list of
 *   documents instead of one dict keyed by name.
 * Views are built once per step, lazily: a hash index per key (one pass over the documents, for the
 * query API) and rows sorted by key on the first range query (CouchDB's type order; strings in
 * code-point order, which is what the prefix ranges used here need of CouchDB's ICU collation), so
 * that no query scans the documents.
 */
import { cherrypyError, couchError, json, rawJson, type SimResponse } from '../errors'
import { rawText } from '../scenario'
import { DESIGN_DOC_ID, type StepData } from '../timeline'
import { STATUS_SETS } from '../../shared/sync-scope'

export interface ViewRow {
  id: string
  key: unknown
  value: unknown
}

interface View {
  /** The rows, for `_view` requests; sorted by key (CouchDB's order). */
  rows?: ViewRow[]
  /** JSON of a key → names in document order, distinct: all the query API needs. */
  byKey?: Map<string, string[]>
}

type Doc = Record<string, unknown>
type Emit = (key: unknown, value: unknown) => void

function isRecord(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function chainTasks(doc: Doc): Doc[] {
  const out: Doc[] = []
  for (const chain of ['Task', 'Step'] as const) {
    const length = doc[`${chain}Chain`]
    if (typeof length !== 'number' || !length) continue
    for (let i = 1; i <= length; i++) {
      const task = doc[`${chain}${i}`]
      if (isRecord(task)) out.push(task)
    }
  }
  return out
}

/** The map functions of ReqMgr2's couchapp that the query API and Stats2 use. */
const MAPS: Record<string, (doc: Doc, emit: Emit) => void> = {
  bystatus(doc, emit) {
    const transitions = doc.RequestTransition
    const last = Array.isArray(transitions) ? (transitions[transitions.length - 1] as Doc | undefined) : undefined
    emit(doc.RequestStatus ?? null, last && isRecord(last) ? (last.UpdateTime ?? null) : null)
  },
  bycampaign(doc, emit) {
    if (doc.Campaign) emit(doc.Campaign, null)
  },
  byprepid(doc, emit) {
    if (doc.PrepID && doc.PrepID !== 'None') emit(doc.PrepID, null)
    // As the real view: the tasks' PrepIDs only when the top level's is not the string "None".
    for (const task of chainTasks(doc)) if (task.PrepID && doc.PrepID !== 'None') emit(task.PrepID, null)
  },
  bydate(doc, emit) {
    const date = doc.RequestDate
    if (!Array.isArray(date) || date.length < 4) return
    emit(date.slice(0, 4).map((part) => Number.parseInt(String(part), 10)), {
      RequestDate: date,
      RequestName: doc.RequestName,
      RequestType: doc.RequestType,
      RequestStatus: doc.RequestStatus
    })
  },
  bytype(doc, emit) {
    emit(doc.RequestType ?? null, null)
  },
  byinputdataset(doc, emit) {
    if (doc.InputDataset && doc.InputDataset !== 'None') emit(doc.InputDataset, null)
    for (const task of chainTasks(doc)) if (task.InputDataset && task.InputDataset !== 'None') emit(task.InputDataset, null)
  },
  byoutputdataset(doc, emit) {
    if (Array.isArray(doc.OutputDatasets)) for (const dataset of doc.OutputDatasets) emit(dataset, null)
  },
  bymcpileup(doc, emit) {
    if (doc.MCPileup) emit(doc.MCPileup, null)
    for (const task of chainTasks(doc)) if (task.MCPileup) emit(task.MCPileup, null)
  },
  bydatapileup(doc, emit) {
    if (doc.DataPileup) emit(doc.DataPileup, null)
    for (const task of chainTasks(doc)) if (task.DataPileup) emit(task.DataPileup, null)
  },
  byteamandstatus(doc, emit) {
    if (doc.Team) emit([doc.Team, doc.RequestStatus ?? null], null)
  },
  bystatusandrequestor(doc, emit) {
    emit([doc.RequestStatus ?? null, doc.Requestor ?? null], null)
  }
}

// ---- collation (CouchDB: null < false < true < numbers < strings < arrays < objects) ------------

function typeRank(value: unknown): number {
  if (value === null || value === undefined) return 0
  if (value === false) return 1
  if (value === true) return 2
  if (typeof value === 'number') return 3
  if (typeof value === 'string') return 4
  if (Array.isArray(value)) return 5
  return 6
}

export function collate(a: unknown, b: unknown): number {
  const ra = typeRank(a)
  const rb = typeRank(b)
  if (ra !== rb) return ra - rb
  if (ra === 3) return (a as number) - (b as number)
  if (ra === 4) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1
  if (ra === 5) {
    const x = a as unknown[]
    const y = b as unknown[]
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = collate(x[i], y[i])
      if (c !== 0) return c
    }
    return x.length - y.length
  }
  if (ra === 6) return collate(JSON.stringify(a), JSON.stringify(b))
  return 0
}

const views = new WeakMap<StepData, Map<string, View>>()

/**
 * A view of one step, built on first use in one pass over the documents: the hash index by key for
 * the query API, the rows sorted by key for `_view` requests — each only when asked for (at 200 000
 * documents the query API never needs the rows).
 */
function view(state: StepData, name: string): View | undefined {
  if (!MAPS[name]) return undefined
  let perState = views.get(state)
  if (!perState) {
    perState = new Map()
    views.set(state, perState)
  }
  let built = perState.get(name)
  if (!built) {
    built = {}
    perState.set(name, built)
  }
  return built
}

function forEachRow(state: StepData, name: string, visit: (id: string, key: unknown, value: unknown) => void): void {
  const map = MAPS[name] as (doc: Doc, emit: Emit) => void
  for (const [id, doc] of state.viewDocs(name)) map(doc, (key, value) => visit(id, key, value))
}

function keyIndex(state: StepData, name: string): Map<string, string[]> | undefined {
  const built = view(state, name)
  if (!built) return undefined
  if (!built.byKey) {
    const byKey = new Map<string, string[]>()
    forEachRow(state, name, (id, key) => {
      const text = JSON.stringify(key)
      const names = byKey.get(text)
      if (!names) byKey.set(text, [id])
      else if (names[names.length - 1] !== id) names.push(id)
    })
    built.byKey = byKey
  }
  return built.byKey
}

function sortedRows(state: StepData, name: string, built: View): ViewRow[] {
  if (!built.rows) {
    const rows: ViewRow[] = []
    forEachRow(state, name, (id, key, value) => rows.push({ id, key, value }))
    rows.sort((a, b) => collate(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    built.rows = rows
  }
  return built.rows
}

/** Names a view lists under any of `keys`, in the order of the keys, then of the documents. */
function namesByKeys(state: StepData, viewName: string, keys: unknown[]): string[] {
  const index = keyIndex(state, viewName)
  const out: string[] = []
  const seen = new Set<string>()
  for (const key of keys) {
    for (const name of index?.get(JSON.stringify(key)) ?? []) {
      if (!seen.has(name)) {
        seen.add(name)
        out.push(name)
      }
    }
  }
  return out
}

// ---- /reqmgr2/data/request --------------------------------------------------------------------

function isTrue(value: string | null | undefined): boolean {
  return value === 'true' || value === '1' || value === 'True'
}

function chainKey(doc: Doc): 'Task' | 'Step' | undefined {
  if ('TaskChain' in doc) return 'Task'
  if ('StepChain' in doc) return 'Step'
  return undefined
}

/** ReqMgr2's masking (RequestInfo.get). */
export function maskDoc(doc: Doc, masks: string[]): Doc {
  const out: Doc = {}
  const chain = chainKey(doc)
  const length = chain ? Number(doc[`${chain}Chain`]) || 0 : 0
  for (const key of masks) {
    if (chain) {
      let found = false
      for (let i = 1; i <= length && !found; i++) {
        const task = doc[`${chain}${i}`]
        if (isRecord(task) && key in task) found = true
      }
      const fallback = doc[key]
      if (found) {
        const values: unknown[] = []
        for (let i = 1; i <= length; i++) {
          const task = doc[`${chain}${i}`]
          const value = isRecord(task) && key in task ? task[key] : isRecord(fallback) ? (fallback[`${chain}${i}`] ?? null) : fallback
          if (value === null || value === undefined || value === '') continue
          for (const item of Array.isArray(value) ? value : [value]) {
            if (!values.some((v) => JSON.stringify(v) === JSON.stringify(item))) values.push(item)
          }
        }
        out[key] = values
        continue
      }
      if (isRecord(fallback) && key !== 'LumiList' && key !== 'AgentJobInfo') out[key] = Object.values(fallback)
      else out[key] = fallback === undefined ? null : fallback
      continue
    }
    const value = doc[key]
    out[key] = value === undefined ? null : value
  }
  return out
}

/** Query parameter → the view ReqMgr2 looks its values up in. */
const FILTER_VIEWS: Record<string, string> = {
  status: 'bystatus',
  request_type: 'bytype',
  prep_id: 'byprepid',
  inputdataset: 'byinputdataset',
  outputdataset: 'byoutputdataset',
  campaign: 'bycampaign',
  mc_pileup: 'bymcpileup',
  data_pileup: 'bydatapileup'
}

/** Parameters that are not query filters. */
const OPTIONS = new Set(['mask', 'detail', 'common_dict', '_nostale'])

export function requestApi(query: URLSearchParams, state: StepData): SimResponse {
  const masks = query.getAll('mask').filter((m) => m !== '')
  const detailText = query.get('detail')
  const detail = !(detailText === 'false' || detailText === 'False' || detailText === 'FALSE')
  const commonDict = query.get('common_dict') === '1'
  let statuses = query.getAll('status')
  if (detail && statuses.some((status) => status.endsWith('-archived'))) {
    return cherrypyError(400, "Invalid spec parameter value: Can't retrieve bulk archived status requests with detail option True, set detail=false or use other search arguments")
  }
  if (statuses.length === 1 && statuses[0] === 'ACTIVE') statuses = [...(STATUS_SETS.ACTIVE ?? [])]

  const sets: string[][] = []
  for (const key of new Set(query.keys())) {
    if (OPTIONS.has(key)) continue
    const values = key === 'status' ? statuses : query.getAll(key)
    if (key === 'name') {
      sets.push(values.filter((name) => name !== DESIGN_DOC_ID && state.docs.has(name) && rawText(state.docs.get(name)?.doc ?? {}) === undefined))
    } else if (key === 'date_range') {
      sets.push([]) // one string key of an array-keyed view: never a match
    } else if (key === 'team') {
      // byteamandstatus keys are [team, status]; ReqMgr2 asks it with the statuses given.
      sets.push(namesByKeys(state, 'byteamandstatus', values.flatMap((team) => statuses.map((status) => [team, status]))))
    } else if (key === 'requestor') {
      sets.push(namesByKeys(state, 'bystatusandrequestor', values.flatMap((requestor) => statuses.map((status) => [status, requestor]))))
    } else if (FILTER_VIEWS[key]) {
      sets.push(namesByKeys(state, FILTER_VIEWS[key] as string, values))
    }
  }
  if (sets.length === 0) return rawJson(200, '{"result": []}')
  sets.sort((a, b) => a.length - b.length)
  let selected = sets[0] as string[]
  for (const other of sets.slice(1)) {
    if (selected.length === 0) break
    const members = new Set(other)
    selected = selected.filter((name) => members.has(name))
  }
  if (selected.length === 0) return rawJson(200, '{"result": []}')
  if (!detail) return json(200, { result: selected })

  const docs: Array<[string, Doc]> = []
  for (const name of selected) {
    const doc = state.docs.get(name)?.doc
    if (doc) docs.push([name, masks.length > 0 ? maskDoc(doc, masks) : { ...doc, _id: name }])
  }
  if (commonDict) return json(200, { result: docs.map(([, doc]) => doc) })
  return json(200, { result: [Object.fromEntries(docs)] })
}

// ---- views --------------------------------------------------------------------------------------

function jsonParam(query: URLSearchParams, name: string): { ok: true; value: unknown } | { ok: false } | undefined {
  const text = query.get(name)
  if (text === null) return undefined
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

function lowerBound(rows: ViewRow[], key: unknown, strict: boolean): number {
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const c = collate((rows[mid] as ViewRow).key, key)
    if (c < 0 || (strict && c === 0)) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function viewQuery(viewName: string, query: URLSearchParams, state: StepData): SimResponse {
  const built = view(state, viewName)
  if (!built) return couchError(404, 'not_found', 'missing_named_view')
  const params: Record<string, unknown> = {}
  for (const name of ['key', 'keys', 'startkey', 'endkey', 'start_key', 'end_key']) {
    const parsed = jsonParam(query, name)
    if (parsed === undefined) continue
    if (!parsed.ok) return couchError(400, 'bad_request', `invalid JSON in the ${name} parameter`)
    params[name.replace('_key', 'key')] = parsed.value
  }
  const limitText = query.get('limit')
  const skipText = query.get('skip') ?? '0'
  if ((limitText !== null && !/^\d+$/.test(limitText)) || !/^\d+$/.test(skipText)) {
    return couchError(400, 'query_parse_error', 'limit and skip must be non-negative integers')
  }
  const descending = isTrue(query.get('descending'))
  const inclusiveEnd = query.get('inclusive_end') !== 'false'
  const includeDocs = isTrue(query.get('include_docs'))
  const rows = sortedRows(state, viewName, built)
  let selected: ViewRow[]
  let offset = 0
  if (params.keys !== undefined) {
    if (!Array.isArray(params.keys)) return couchError(400, 'bad_request', '`keys` member must be an array.')
    selected = []
    for (const key of params.keys) {
      const start = lowerBound(rows, key, false)
      for (let i = start; i < rows.length && collate((rows[i] as ViewRow).key, key) === 0; i++) selected.push(rows[i] as ViewRow)
    }
  } else {
    let start = 0
    let end = rows.length
    const low = 'key' in params ? params.key : descending ? params.endkey : params.startkey
    const high = 'key' in params ? params.key : descending ? params.startkey : params.endkey
    if (low !== undefined) start = lowerBound(rows, low, descending && !inclusiveEnd && !('key' in params))
    if (high !== undefined) end = lowerBound(rows, high, !descending && !inclusiveEnd && !('key' in params) ? false : true)
    selected = rows.slice(start, Math.max(start, end))
    if (descending) selected.reverse()
    offset = descending ? rows.length - Math.max(start, end) : start
  }
  const skip = Number(skipText)
  selected = selected.slice(skip, limitText === null ? undefined : skip + Number(limitText))
  const lines = selected.map((row) => {
    const out: Record<string, unknown> = { id: row.id, key: row.key, value: row.value }
    if (includeDocs) {
      const doc = state.docs.get(row.id)?.doc
      out.doc = doc ? { ...doc, _id: row.id, _rev: state.docs.get(row.id)?.rev } : null
    }
    return JSON.stringify(out)
  })
  return rawJson(200, `{"total_rows":${rows.length},"offset":${offset + skip},"rows":[\n${lines.join(',\n')}\n]}\n`)
}
