/**
 * What the simulated services hold at step k, precomputed once per scenario so that requests never
 * scan all the data:
 * - ReqMgr2 (CouchDB 3 `reqmgr_workload_cache`): one version per document change with a `_rev`
 *   ("N-<32 hex>") and a global sequence number that only grows; per step, the changes feed is an
 *   array sorted by sequence holding every id once at its latest sequence (tombstones included),
 *   so `since=S` is a binary search;
 * - DBS: one entry per record version (shared by the steps where it is unchanged), stamped with the
 *   unix time at which the step that introduced it became active; per step a list sorted by that
 *   date for `datasets?min_ldate=`; files indexed by run lazily per entry;
 * - WMStats: the active list per step; documents by PrepID per step (lazily).
 * Routes see a step through StepData, which a generated scenario also implements without holding
 * its documents (generated/lazy-steps.ts).
 */
import { createHash } from 'node:crypto'
import { type DbsDatasetRecord, type DbsFileRecord, rawText, type Scenario } from './scenario'

export const DESIGN_DOC_ID = '_design/ReqMgr'

export const DESIGN_DOC: Record<string, unknown> = {
  language: 'javascript',
  views: {
    byprepid: { map: 'function(doc) { if (doc.PrepID) { emit(doc.PrepID, null); } }' },
    bystatus: { map: 'function(doc) { if (doc.RequestStatus) { emit(doc.RequestStatus, null); } }' }
  }
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex')
}

/** CouchDB 3 style opaque sequence: "<n>-g1AAAA…". Only the number before '-' means anything. */
export function formatSeq(n: number): string {
  if (n === 0) return '0'
  const tail = createHash('sha256').update(`reqmgr_workload_cache:${n}`).digest('base64url').slice(0, 58)
  return `${n}-g1AAAA${tail}`
}

/** The number of a sequence we handed out, `0`, a plain integer or `now`; undefined when malformed. */
export function parseSince(since: string, now: number): number | undefined {
  if (since === 'now') return now
  const match = /^(\d{1,15})(?:-[A-Za-z0-9_-]*)?$/.exec(since)
  if (!match?.[1]) return undefined
  return Number(match[1])
}

export interface DocVersion {
  id: string
  /** Revision number (1 on creation, +1 per change, +1 for the deletion). */
  revNum: number
  rev: string
  seq: number
  seqString: string
  deleted: boolean
  /** The scenario's document (without `_id`/`_rev`); null for a tombstone. */
  doc: Record<string, unknown> | null
  /** Made on request and dropped after it: never memoise its serialisations. */
  transient?: boolean
  /** Memoised serialisations. */
  bodyJson?: string
  feedJson?: string
  feedJsonWithDoc?: string
}

/** The document as CouchDB returns it: `_id`, `_rev` first, then the content. */
export function couchDoc(version: DocVersion): Record<string, unknown> {
  if (version.deleted || !version.doc) return { _id: version.id, _rev: version.rev, _deleted: true }
  // A verbatim (non-JSON) document cannot be embedded in a JSON answer: only its id and rev are.
  if (rawText(version.doc) !== undefined) return { _id: version.id, _rev: version.rev }
  return Object.assign({ _id: version.id, _rev: version.rev }, version.doc, { _id: version.id, _rev: version.rev })
}

export function docJson(version: DocVersion): string {
  if (version.bodyJson !== undefined) return version.bodyJson
  const raw = version.doc ? rawText(version.doc) : undefined
  const json = raw ?? JSON.stringify(couchDoc(version))
  if (!version.transient) version.bodyJson = json
  return json
}

function feedEntry(version: DocVersion, includeDocs: boolean): string {
  const entry: Record<string, unknown> = { seq: version.seqString, id: version.id, changes: [{ rev: version.rev }] }
  if (version.deleted) entry.deleted = true
  if (includeDocs) entry.doc = couchDoc(version)
  return JSON.stringify(entry)
}

export function feedEntryJson(version: DocVersion, includeDocs: boolean): string {
  if (version.transient) return feedEntry(version, includeDocs)
  if (includeDocs) {
    if (version.feedJsonWithDoc === undefined) {
      const entry: Record<string, unknown> = { seq: version.seqString, id: version.id, changes: [{ rev: version.rev }] }
      if (version.deleted) entry.deleted = true
      entry.doc = couchDoc(version)
      version.feedJsonWithDoc = JSON.stringify(entry)
    }
    return version.feedJsonWithDoc
  }
  if (version.feedJson === undefined) {
    const entry: Record<string, unknown> = { seq: version.seqString, id: version.id, changes: [{ rev: version.rev }] }
    if (version.deleted) entry.deleted = true
    version.feedJson = JSON.stringify(entry)
  }
  return version.feedJson
}

/**
 * What identifies a generated document's content (generator.ts tags each document it makes): the
 * revision hash then comes from the tag, so that a generated scenario served from its compact
 * indexes hands out the same `_rev`s as the same scenario served from its documents.
 */
const VERSION_TAG = Symbol('stats2.sim.versionTag')

export function tagDocument(doc: Record<string, unknown>, tag: string): void {
  Object.defineProperty(doc, VERSION_TAG, { value: tag, enumerable: false })
}

export function tagHash(tag: string): string {
  return md5(`tag\n${tag}`)
}

export function revision(id: string, revNum: number, contentHash: string): string {
  return `${revNum}-${md5(`${id}\n${revNum}\n${contentHash}`)}`
}

export const DESIGN_HASH = md5(JSON.stringify(DESIGN_DOC))

export interface IndexedFile {
  file: DbsFileRecord
  /** Sorted, distinct lumis. */
  lumis: number[]
  fileId: number
}

export interface DbsEntry {
  record: DbsDatasetRecord
  /** The dataset's name and access type without making the record (generated scenarios). */
  name?: string
  accessType?: string
  datasetId: number
  /** Unix seconds; set when the step that introduced this version becomes active. */
  lastModified: number
  /** The first version of this dataset (for creation_date). */
  first: DbsEntry | undefined
  introducedAt: number
  summaryJson?: string
  filesByRun?: Map<number, IndexedFile[]>
}

export function creationDate(entry: DbsEntry): number {
  return (entry.first ?? entry).lastModified
}

export function entryName(entry: DbsEntry): string {
  return entry.name ?? entry.record.dataset
}

export function entryAccessType(entry: DbsEntry): string {
  return entry.accessType ?? entry.record.dataset_access_type
}

/** The feed of a step: every id once, by the sequence of its latest version. */
export interface FeedList {
  readonly length: number
  at(index: number): DocVersion | undefined
}

export interface DocLookup {
  get(id: string): DocVersion | undefined
  readonly size: number
}

export interface LiveDocs extends DocLookup {
  has(id: string): boolean
  keys(): Iterable<string>
}

/** What the routes read of one step of the simulated services. */
export interface StepData {
  index: number
  /** Live documents (including the design document). */
  docs: LiveDocs
  /** Latest version of every id ever seen up to this step, tombstones included. */
  latest: DocLookup
  feed: FeedList
  lastSeq: number
  datasets: { get(name: string): DbsEntry | undefined }
  /** DBS entries last modified after `t` (all when undefined), newest first. */
  modifiedAfter(t: number | undefined): DbsEntry[]
  wmstatsActive: readonly string[]
  wmstatsJson?: string
  /**
   * The live ReqMgr2 documents (not the design document nor verbatim ones), by id, for the view
   * named (a generated scenario gives just the fields that view reads).
   */
  viewDocs(view?: string): Iterable<[string, Record<string, unknown>]>
  /** Versions made at this step and DBS records new or changed at it (for the log). */
  changedCount: number
  introducedCount: number
}

/** The steps of a scenario, with the activation that stamps DBS records. */
export interface SimTimeline {
  readonly length: number
  step(index: number): StepData
  activate(index: number, nowSeconds: number): StepData
}

export interface StepState extends StepData {
  index: number
  /** Live documents (including the design document). */
  docs: Map<string, DocVersion>
  /** Latest version of every id ever seen up to this step, tombstones included. */
  latest: Map<string, DocVersion>
  /** `latest`'s values sorted by seq. */
  feed: DocVersion[]
  lastSeq: number
  /** Documents changed at this step (including deletions), for tests and logging. */
  changedAtStep: DocVersion[]
  datasets: Map<string, DbsEntry>
  /** Entries introduced at this step. */
  dbsIntroduced: DbsEntry[]
  /** Filled on activation: entries sorted by lastModified, newest first. */
  byModification?: DbsEntry[]
  wmstatsActive: string[]
  wmstatsJson?: string
  byPrepId?: Map<string, string[]>
  activatedAt?: number
}

function hashRecord(value: unknown): string {
  return md5(JSON.stringify(value))
}

export class Timeline implements SimTimeline {
  readonly steps: StepState[]
  private readonly docHashes = new WeakMap<object, string>()

  constructor(scenario: Scenario) {
    if (scenario.steps.length === 0) throw new Error(`scenario ${scenario.name} has no steps`)
    this.steps = []
    this.build(scenario)
  }

  get length(): number {
    return this.steps.length
  }

  step(index: number): StepData {
    const state = this.steps[index]
    if (!state) throw new Error(`no step ${index}`)
    return state
  }

  private hashDoc(doc: Record<string, unknown>): string {
    let hash = this.docHashes.get(doc)
    if (hash === undefined) {
      const raw = rawText(doc)
      const tag = (doc as unknown as Record<symbol, string | undefined>)[VERSION_TAG]
      hash = tag !== undefined ? tagHash(tag) : raw === undefined ? hashRecord(doc) : md5(`raw\n${raw}`)
      this.docHashes.set(doc, hash)
    }
    return hash
  }

  private build(scenario: Scenario): void {
    let seq = 0
    let datasetIds = 0
    const docHash = new Map<string, string>()
    const recordHash = new Map<DbsEntry, string>()
    let previous: StepState | undefined

    const newVersion = (id: string, prior: DocVersion | undefined, doc: Record<string, unknown> | null, contentHash: string): DocVersion => {
      seq += 1
      const revNum = (prior?.revNum ?? 0) + 1
      return {
        id,
        revNum,
        rev: revision(id, revNum, contentHash),
        seq,
        seqString: formatSeq(seq),
        deleted: doc === null,
        doc
      }
    }

    scenario.steps.forEach((input, index) => {
      const docs = new Map<string, DocVersion>()
      const latest = new Map<string, DocVersion>(previous?.latest)
      const changed: DocVersion[] = []
      const names = [...input.reqmgr2.keys()].sort()
      const designAt = index === 0 ? Math.ceil(names.length / 2) : -1
      names.forEach((name, position) => {
        if (position === designAt) this.addDesign(docs, latest, changed, newVersion)
        const doc = input.reqmgr2.get(name) as Record<string, unknown>
        const prior = previous?.docs.get(name)
        if (prior && prior.doc === doc) {
          docs.set(name, prior)
          return
        }
        const hash = this.hashDoc(doc)
        if (prior && docHash.get(name) === hash) {
          docs.set(name, prior)
          return
        }
        const version = newVersion(name, latest.get(name), doc, hash)
        docHash.set(name, hash)
        docs.set(name, version)
        latest.set(name, version)
        changed.push(version)
      })
      if (index === 0 && designAt >= names.length) this.addDesign(docs, latest, changed, newVersion)
      if (previous) {
        const design = previous.docs.get(DESIGN_DOC_ID)
        if (design) docs.set(DESIGN_DOC_ID, design)
        for (const [name, prior] of previous.docs) {
          if (name === DESIGN_DOC_ID || docs.has(name)) continue
          const tombstone = newVersion(name, prior, null, 'deleted')
          docHash.delete(name)
          latest.set(name, tombstone)
          changed.push(tombstone)
        }
      }
      // Unchanged ids keep their position; changed ones move to the end (their new, larger seqs).
      const changedIds = new Set(changed.map((v) => v.id))
      const feed = (previous?.feed ?? []).filter((v) => !changedIds.has(v.id)).concat(changed)

      const datasets = new Map<string, DbsEntry>()
      const introduced: DbsEntry[] = []
      for (const record of input.dbs) {
        const prior = previous?.datasets.get(record.dataset)
        if (prior && prior.record === record) {
          datasets.set(record.dataset, prior)
          continue
        }
        const hash = hashRecord(record)
        if (prior && recordHash.get(prior) === hash) {
          datasets.set(record.dataset, prior)
          continue
        }
        const entry: DbsEntry = {
          record,
          datasetId: prior?.datasetId ?? ++datasetIds,
          lastModified: 0,
          first: prior ? (prior.first ?? prior) : undefined,
          introducedAt: index
        }
        recordHash.set(entry, hash)
        datasets.set(record.dataset, entry)
        introduced.push(entry)
      }
      // A dataset that disappears and comes back later is a new record (new creation date).
      if (previous) {
        for (const name of previous.datasets.keys()) if (!datasets.has(name)) recordHash.delete(previous.datasets.get(name) as DbsEntry)
      }

      const state: StepState = {
        index,
        docs,
        latest,
        feed,
        lastSeq: seq,
        changedAtStep: changed,
        datasets,
        dbsIntroduced: introduced,
        wmstatsActive: [...input.wmstatsActive],
        changedCount: changed.length,
        introducedCount: introduced.length,
        modifiedAfter: (t) => {
          const sorted = state.byModification ?? []
          return t === undefined ? sorted : sorted.slice(0, countNewerThan(sorted, t))
        },
        viewDocs: () => liveDocuments(docs)
      }
      this.steps.push(state)
      previous = state
    })
  }

  private addDesign(
    docs: Map<string, DocVersion>,
    latest: Map<string, DocVersion>,
    changed: DocVersion[],
    newVersion: (id: string, prior: DocVersion | undefined, doc: Record<string, unknown> | null, hash: string) => DocVersion
  ): void {
    const version = newVersion(DESIGN_DOC_ID, undefined, DESIGN_DOC, DESIGN_HASH)
    docs.set(DESIGN_DOC_ID, version)
    latest.set(DESIGN_DOC_ID, version)
    changed.push(version)
  }

  /** Stamps the DBS records introduced at `index` (and earlier unstamped steps) with `nowSeconds`. */
  activate(index: number, nowSeconds: number): StepState {
    const state = this.steps[index]
    if (!state) throw new Error(`no step ${index}`)
    for (let k = 0; k <= index; k++) {
      const step = this.steps[k] as StepState
      if (step.activatedAt !== undefined) continue
      step.activatedAt = nowSeconds
      for (const entry of step.dbsIntroduced) entry.lastModified = nowSeconds
    }
    if (!state.byModification) {
      state.byModification = [...state.datasets.values()].sort((a, b) => b.lastModified - a.lastModified)
    }
    return state
  }
}

function* liveDocuments(docs: Map<string, DocVersion>): Iterable<[string, Record<string, unknown>]> {
  for (const [id, version] of docs) {
    const doc = version.doc
    if (!doc || id === DESIGN_DOC_ID || rawText(doc) !== undefined) continue
    yield [id, doc]
  }
}

/** Number of leading entries of `byModification` (sorted newest first) with lastModified > t. */
export function countNewerThan(sorted: DbsEntry[], t: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as DbsEntry).lastModified > t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Index of the first feed entry with seq > since. */
export function feedStart(feed: FeedList, since: number): number {
  let lo = 0
  let hi = feed.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((feed.at(mid) as DocVersion).seq <= since) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function filesByRun(entry: DbsEntry): Map<number, IndexedFile[]> {
  if (!entry.filesByRun) {
    const map = new Map<number, IndexedFile[]>()
    ;(entry.record.files ?? []).forEach((file, i) => {
      const list = map.get(file.run_num) ?? []
      list.push({ file, lumis: [...new Set(file.lumi_section_num)].sort((a, b) => a - b), fileId: entry.datasetId * 100_000 + i + 1 })
      map.set(file.run_num, list)
    })
    entry.filesByRun = map
  }
  return entry.filesByRun
}

/** Whether the sorted lumi list holds a lumi in one of the inclusive ranges. */
export function holdsLumi(lumis: number[], ranges: Array<[number, number]>): boolean {
  for (const [first, last] of ranges) {
    let lo = 0
    let hi = lumis.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((lumis[mid] as number) < first) lo = mid + 1
      else hi = mid
    }
    if (lo < lumis.length && (lumis[lo] as number) <= last) return true
  }
  return false
}

export function prepIdIndex(state: StepState): Map<string, string[]> {
  if (!state.byPrepId) {
    const index = new Map<string, string[]>()
    for (const [name, version] of state.docs) {
      const prepId = version.doc?.PrepID
      if (typeof prepId !== 'string' || name === DESIGN_DOC_ID) continue
      const list = index.get(prepId) ?? []
      list.push(name)
      index.set(prepId, list)
    }
    state.byPrepId = index
  }
  return state.byPrepId
}
