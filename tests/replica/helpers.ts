/**
 * Replica tests: a second embedded store served over HTTP stands in for the shared Stats2 CouchDB
 * (the source), with the Stats2 schema a real one has; documents are compared with their revisions.
 */
import { createHash } from 'node:crypto'
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/store-server/embedded-couch'
import { CouchStore } from '../../src/main/store/couch-store'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { seededRandom } from '../helpers/fault-proxy'

export interface Source {
  couch: EmbeddedCouch
  store: CouchStore
  url: string
  authHeader: string
  /** The URL with the admin's credentials in it, as an operator may give `--from`. */
  urlWithCredentials: string
  close(): Promise<void>
}

/** An embedded store with the Stats2 schema (databases, views, validate_write), as the source. */
export async function startSource(dataDir: string, options: { anonymous?: 'read' | 'none' } = {}): Promise<Source> {
  const couch = await startEmbeddedCouch({ dataDir, anonymous: options.anonymous })
  const store = await CouchStore.open({ url: couch.url, authHeader: couch.authHeader, dataDir: '' }, { batchSize: 500 })
  const withCredentials = new URL(couch.url)
  withCredentials.username = couch.adminUser
  withCredentials.password = couch.adminPassword
  return {
    couch,
    store,
    url: couch.url,
    authHeader: couch.authHeader,
    urlWithCredentials: withCredentials.toString().replace(/\/$/, ''),
    close: async () => {
      await store.close()
      await couch.close()
    }
  }
}

const CAMPAIGNS = Array.from({ length: 20 }, (_, i) => `Run3Summer${String(i).padStart(2, '0')}`)
const LIFE = ['new', 'assignment-approved', 'assigned', 'running-open', 'running-closed', 'completed', 'closed-out', 'announced', 'normal-archived']
const DAY = 86_400
/** 2025-01-01T00:00:00Z */
export const EPOCH = 1_735_689_600

/** A Stats2 document of the shape the updater writes, made from a seed (about 1.5 kB). */
export function syntheticDoc(i: number, seed = 1): WorkflowDoc {
  const random = seededRandom(seed * 100_003 + i)
  const campaign = CAMPAIGNS[i % CAMPAIGNS.length] as string
  const name = `pdmvserv_task_HIG-${campaign}-${String(i).padStart(5, '0')}__v1_T_${String(250101 + (i % 28)).padStart(6, '0')}_120000_${1000 + (i % 9000)}`
  const created = EPOCH + (i % 60) * DAY + Math.floor(random() * DAY)
  const steps = 1 + Math.floor(random() * LIFE.length)
  const transitions = LIFE.slice(0, steps).map((Status, k) => ({ Status, UpdateTime: created + k * 3600 }))
  const outputs = [`/Prim${i}/${campaign}-v1/GEN-SIM`, `/Prim${i}/${campaign}-v1/AODSIM`, `/Prim${i}/${campaign}-v1/MINIAODSIM`]
  const history = Array.from({ length: 3 }, (_, k) => ({
    Time: created + (k + 1) * 7200,
    Datasets: Object.fromEntries(outputs.map((dataset) => [dataset, { Type: 'PRODUCTION', Events: (k + 1) * 1000 + i, Size: (k + 1) * 5_000_000 }]))
  }))
  return {
    _id: name,
    RequestName: name,
    PrepID: `task_HIG-${campaign}-${String(i).padStart(5, '0')}`,
    Campaigns: [campaign],
    Requests: [`HIG-${campaign}-${String(i).padStart(5, '0')}`],
    RequestType: i % 3 === 0 ? 'TaskChain' : 'StepChain',
    RequestPriority: 80_000 + (i % 7) * 1000,
    RequestTransition: transitions,
    OutputDatasets: outputs,
    InputDataset: '',
    ProcessingString: `${campaign}_v1`,
    CMSSWVersion: 'CMSSW_14_0_7',
    TotalEvents: 10_000 + i,
    TotalInputLumis: -1,
    LastUpdate: created + 30_000,
    EventNumberHistory: history
  }
}

/** Writes `count` synthetic documents into the source (batches of 1 000). */
export async function fillSource(source: Source, count: number, seed = 1, from = 0): Promise<WorkflowDoc[]> {
  const docs = Array.from({ length: count }, (_, k) => syntheticDoc(from + k, seed))
  for (let i = 0; i < docs.length; i += 1000) {
    const results = await source.store.bulkWrite('requests', docs.slice(i, i + 1000))
    const failed = results.filter((r) => !r.ok)
    if (failed.length > 0) throw new Error(`filling the source: ${failed.length} refused (${failed[0]?.error})`)
  }
  return docs
}

export interface Revisioned {
  /** The winning revision and the document body (without `_rev`), canonical. */
  rev: string
  body: string
  /** Its ancestry (`_revisions`), and conflicting leaves. */
  revisions: string
  conflicts: string[]
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Every non-design document of `requests` with its winning revision, ancestry and conflicts
 * (`_all_docs` with `conflicts=true`, then `_bulk_get?revs=true` of each winner).
 */
export async function snapshot(url: string, authHeader: string): Promise<Map<string, Revisioned>> {
  const headers = { authorization: authHeader, 'content-type': 'application/json' }
  const all = (await (await fetch(`${url}/requests/_all_docs?include_docs=true&conflicts=true`, { headers })).json()) as {
    rows: Array<{ id: string; value: { rev: string }; doc: Record<string, unknown> }>
  }
  const out = new Map<string, Revisioned>()
  const rows = all.rows.filter((row) => !row.id.startsWith('_design/'))
  for (let i = 0; i < rows.length; i += 500) {
    const batch = rows.slice(i, i + 500)
    const answer = (await (await fetch(`${url}/requests/_bulk_get?revs=true`, {
      method: 'POST', headers, body: JSON.stringify({ docs: batch.map((row) => ({ id: row.id, rev: row.value.rev })) })
    })).json()) as { results: Array<{ id: string; docs: Array<{ ok?: Record<string, unknown> }> }> }
    const ancestry = new Map(answer.results.map((result) => [result.id, result.docs[0]?.ok?._revisions]))
    for (const row of batch) {
      const { _rev, _conflicts, ...body } = row.doc
      out.set(row.id, { rev: String(_rev), body: canonical(body), revisions: canonical(ancestry.get(row.id)), conflicts: (_conflicts as string[] | undefined) ?? [] })
    }
  }
  return out
}

/** Differences between two snapshots, one line each (at most 20). */
export function snapshotDifferences(actual: Map<string, Revisioned>, expected: Map<string, Revisioned>): string[] {
  const problems: string[] = []
  for (const id of expected.keys()) if (!actual.has(id)) problems.push(`${id}: missing`)
  for (const id of actual.keys()) if (!expected.has(id)) problems.push(`${id}: not in the source`)
  for (const [id, want] of expected) {
    const got = actual.get(id)
    if (!got) continue
    if (got.rev !== want.rev) problems.push(`${id}: revision ${got.rev} instead of ${want.rev}`)
    else if (got.body !== want.body) problems.push(`${id}: body differs`)
    else if (got.revisions !== want.revisions) problems.push(`${id}: ancestry ${got.revisions} instead of ${want.revisions}`)
    if (got.conflicts.length > 0) problems.push(`${id}: conflicts ${got.conflicts.join(', ')}`)
  }
  return problems.slice(0, 20)
}

/** A short fingerprint of a snapshot (for messages). */
export function fingerprint(snap: Map<string, Revisioned>): string {
  const hash = createHash('sha256')
  for (const id of [...snap.keys()].sort()) hash.update(`${id}\u0000${snap.get(id)!.rev}\n`)
  return `${snap.size} documents, ${hash.digest('hex').slice(0, 12)}`
}
