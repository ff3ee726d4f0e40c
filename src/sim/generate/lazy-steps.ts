/**
 * The simulator's view of a generated scenario (world.ts) step by step, made on request from the
 * compact indexes: document versions, feed entries and DBS entries are small objects made per
 * request and dropped with it, so serving 200 000 workflows holds no documents.
 */
import { type DbsDatasetRecord } from '../scenario'
import {
  type DbsEntry,
  DESIGN_DOC,
  DESIGN_DOC_ID,
  DESIGN_HASH,
  type DocLookup,
  type DocVersion,
  type FeedList,
  formatSeq,
  type LiveDocs,
  revision,
  type SimTimeline,
  type StepData,
  tagHash
} from '../timeline'
import { DESIGN, type GeneratedWorld } from './world'

const DELETED_HASH = 'deleted'

class GeneratedVersion implements DocVersion {
  readonly transient = true
  private made: Record<string, unknown> | null | undefined

  constructor(
    private readonly world: GeneratedWorld,
    private readonly workflow: number,
    private readonly step: number,
    readonly id: string,
    readonly revNum: number,
    readonly seq: number,
    readonly deleted: boolean
  ) {}

  get rev(): string {
    return revision(this.id, this.revNum, this.deleted ? DELETED_HASH : tagHash(this.world.tagAt(this.workflow, this.step)))
  }

  get seqString(): string {
    return formatSeq(this.seq)
  }

  get doc(): Record<string, unknown> | null {
    if (this.made === undefined) this.made = this.deleted ? null : (this.world.document(this.workflow, this.step) ?? null)
    return this.made
  }
}

/** Dataset entry of an output dataset: the record is made when first read. */
class GeneratedEntry implements DbsEntry {
  private made: DbsDatasetRecord | undefined
  readonly first: DbsEntry | undefined

  constructor(
    private readonly world: GeneratedWorld,
    private readonly dataset: number,
    private readonly step: number,
    readonly name: string,
    readonly accessType: string,
    readonly datasetId: number,
    readonly lastModified: number,
    created: number,
    readonly introducedAt: number
  ) {
    this.first = created === lastModified ? undefined : ({ lastModified: created } as DbsEntry)
  }

  get record(): DbsDatasetRecord {
    this.made ??= this.world.record(this.dataset, this.step) as DbsDatasetRecord
    return this.made
  }
}

class GeneratedStep implements StepData {
  readonly lastSeq: number
  readonly changedCount: number
  readonly introducedCount: number
  readonly docs: LiveDocs
  readonly latest: DocLookup
  readonly feed: FeedList
  readonly datasets: { get(name: string): DbsEntry | undefined }
  wmstatsJson?: string
  private active?: string[]

  constructor(
    private readonly world: GeneratedWorld,
    readonly index: number,
    private readonly design: DocVersion,
    private readonly activatedAt: number[]
  ) {
    const k = index
    this.lastSeq = world.lastSeq[k] as number
    this.changedCount = world.changedCount[k] as number
    this.introducedCount = world.introducedCount[k] as number
    const live = (id: string): DocVersion | undefined => {
      if (id === DESIGN_DOC_ID) return design
      const i = world.nameIndex.get(id)
      return i === undefined || world.statusAt(i, k) < 0 ? undefined : this.version(i)
    }
    this.docs = {
      get: live,
      has: (id) => live(id) !== undefined,
      size: (world.presentCount[k] as number) + 1,
      keys: () => this.liveIds()
    }
    this.latest = {
      get: (id) => {
        if (id === DESIGN_DOC_ID) return design
        const i = world.nameIndex.get(id)
        return i === undefined ? undefined : this.version(i)
      },
      size: (world.seenCount[k] as number) + 1
    }
    const feed = world.feeds[k] as Int32Array
    this.feed = {
      length: feed.length,
      at: (position) => {
        const i = feed[position]
        return i === undefined ? undefined : i === DESIGN ? design : this.version(i)
      }
    }
    this.datasets = { get: (name) => this.entry(name) }
  }

  /** The latest version of workflow i as of this step (a tombstone once deleted), if any. */
  private version(i: number): DocVersion | undefined {
    const w = this.world
    const x = i * w.steps + this.index
    const revNum = w.revAt[x] as number
    if (revNum === 0) return undefined
    return new GeneratedVersion(w, i, this.index, w.names[i] as string, revNum, w.seqAt[x] as number, w.statusAt(i, this.index) < 0)
  }

  private *liveIds(): Iterable<string> {
    const w = this.world
    const present = w.presentCount[this.index] as number
    const designAt = this.index === 0 ? Math.ceil(present / 2) : -1
    let position = 0
    for (const i of w.byName) {
      if (w.statusAt(i, this.index) < 0) continue
      if (position++ === designAt) yield DESIGN_DOC_ID
      yield w.names[i] as string
    }
    if (designAt < 0 || designAt >= present) yield DESIGN_DOC_ID
  }

  private entry(name: string): DbsEntry | undefined {
    const w = this.world
    const d = w.datasetIndex.get(name)
    if (d === undefined) {
      const input = w.inputs.find((x) => x.input.record.dataset === name)
      if (!input) return undefined
      const stamp = this.activatedAt[0] as number
      return { record: input.input.record, datasetId: input.datasetId, lastModified: stamp, first: undefined, introducedAt: 0 }
    }
    return this.outputEntry(d)
  }

  private outputEntry(d: number): DbsEntry | undefined {
    const w = this.world
    const intro = w.introducedAt(d, this.index)
    if (intro < 0) return undefined
    const created = this.activatedAt[w.firstListed(d)] as number
    return new GeneratedEntry(w, d, this.index, w.datasetNames[d] as string, w.accessType(d, this.index), w.datasetId(d), this.activatedAt[intro] as number, created, intro)
  }

  modifiedAfter(t: number | undefined): DbsEntry[] {
    const w = this.world
    const out: DbsEntry[] = []
    if (t === undefined || (this.activatedAt[0] as number) > t) {
      for (const { input, datasetId } of w.inputs) out.push({ record: input.record, datasetId, lastModified: this.activatedAt[0] as number, first: undefined, introducedAt: 0 })
    }
    for (let d = 0; d < w.datasetNames.length; d++) {
      const intro = w.introducedAt(d, this.index)
      if (intro < 0 || (t !== undefined && !((this.activatedAt[intro] as number) > t))) continue
      out.push(this.outputEntry(d) as DbsEntry)
    }
    // Newest first; equal stamps keep DBS's listing order (inputs, then by workflow).
    return out.sort((a, b) => b.lastModified - a.lastModified)
  }

  get wmstatsActive(): readonly string[] {
    if (!this.active) {
      const w = this.world
      const active: string[] = []
      for (let i = 0; i < w.size; i++) {
        const s = w.statusAt(i, this.index)
        if (s >= 0 && s < COMPLETED) active.push(w.names[i] as string)
      }
      this.active = active
    }
    return this.active
  }

  *viewDocs(view?: string): Iterable<[string, Record<string, unknown>]> {
    const w = this.world
    for (const i of w.byName) if (w.statusAt(i, this.index) >= 0) yield [w.names[i] as string, w.viewDocument(i, this.index, view)]
  }
}

/** Index of 'completed' in STATUSES: WMStats lists the workflows before it. */
const COMPLETED = 6

export class GeneratedTimeline implements SimTimeline {
  private readonly steps: GeneratedStep[]
  private readonly activatedAt: number[]

  constructor(readonly world: GeneratedWorld) {
    this.activatedAt = new Array<number>(world.steps).fill(Number.NaN)
    const design: DocVersion = {
      id: DESIGN_DOC_ID,
      revNum: 1,
      rev: revision(DESIGN_DOC_ID, 1, DESIGN_HASH),
      seq: world.designSeq,
      seqString: formatSeq(world.designSeq),
      deleted: false,
      doc: DESIGN_DOC
    }
    this.steps = Array.from({ length: world.steps }, (_, k) => new GeneratedStep(world, k, design, this.activatedAt))
  }

  get length(): number {
    return this.steps.length
  }

  step(index: number): StepData {
    const step = this.steps[index]
    if (!step) throw new Error(`no step ${index}`)
    return step
  }

  /** Stamps the steps up to `index` not yet active with `nowSeconds` (DBS last_modification_date). */
  activate(index: number, nowSeconds: number): StepData {
    const step = this.step(index)
    for (let k = 0; k <= index; k++) if (Number.isNaN(this.activatedAt[k])) this.activatedAt[k] = nowSeconds
    return step
  }
}
