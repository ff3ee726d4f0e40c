/**
 * A generated ReqMgr2/DBS/WMStats kept small: one pass makes every workflow once (plans.ts) and
 * keeps only compact indexes (names, status per step, version sequence numbers, the fields the
 * ReqMgr2 views key on, output dataset names and when each DBS record changes); documents and
 * records are made again from (seed, workflow, step) when asked. 200 000 workflows take seconds and
 * a few hundred MB instead of minutes and gigabytes.
 */
import { type DbsDatasetRecord } from '../scenario'
import {
  dateList,
  documentAt,
  type GenerateOptions,
  type InputDataset,
  mayBeParent,
  type Plan,
  PlanContext,
  PlanMaker,
  Random,
  replayStory,
  type Resolver,
  S_ASSIGNED,
  sameRecord,
  type StepOfStory,
  Stream,
  streamSeed,
  STATUSES,
  stringHash,
  versionTag
} from './plans'

const SERIAL_SLOTS = 4
/** Stories kept for repeated questions about the same workflow (its datasets, then its document). */
const STORY_CACHE = 512

export interface Story {
  plan: Plan
  steps: StepOfStory[]
}

export class GeneratedWorld {
  readonly ctx: PlanContext
  readonly size: number
  readonly steps: number
  readonly name: string

  readonly names: string[] = []
  readonly nameIndex = new Map<string, number>()
  /** Workflow indexes sorted by name (the order of CouchDB ids). */
  readonly byName: Int32Array
  /** status[i × steps + k]: index in STATUSES, -1 when absent. */
  readonly status: Int8Array
  /** Step from which the priority bump applies, -1 when none. */
  private readonly bumpStep: Int16Array
  private readonly createdAt: Float64Array
  /** UpdateTime of the last RequestTransition entry at each step (the bystatus view's value). */
  private readonly lastTransition: Float64Array
  /** 1 where a new document version (or a tombstone) is made at that step. */
  private readonly changed: Uint8Array
  /** Sequence number and revision number of the latest version of i as of step k (0: none yet). */
  readonly seqAt: Int32Array
  readonly revAt: Int16Array
  private readonly serials: Int32Array
  private readonly parents: Int32Array
  /** The views' fields that never change, compactly: interned strings and one string per chain. */
  private readonly campaignOf: Uint16Array
  private readonly typeOf: Uint8Array
  private readonly inputOf: Int16Array
  /** 0: no chain, 1: TaskChain, 2: StepChain (of the document; an ACDC has its parent's). */
  private readonly chainOf: Uint8Array
  private readonly prepIds: string[] = []
  /** The tasks' PrepIDs joined by newlines (chains only). */
  private readonly taskPrepIds: Array<string | undefined> = []
  private readonly interned = { campaigns: new Interner(), types: new Interner() }

  /** Output datasets of i: datasetIds[outStart[i] … outStart[i + 1]). */
  private readonly outStart: Int32Array
  private outIds: Int32Array
  /** What the replay resolver reads: the first pass's growing list, then outIds. */
  private outIdsRead: ArrayLike<number> = []
  readonly datasetNames: string[] = []
  readonly datasetIndex = new Map<string, number>()
  /** Owning workflow and position in its outputs. */
  private datasetOwner: Int32Array
  private datasetPos: Uint8Array
  /** introAt[d × steps + k]: step whose record of dataset d is current at step k, -1 when not in DBS. */
  private introAt: Int16Array
  /** accessAt[d × steps + k]: index in ACCESS_TYPES of the record's dataset_access_type (0: not listed). */
  private accessAt: Uint8Array
  /** DBS dataset_id of each output dataset (inputs take 1 … inputs.length). */
  private datasetIds: Int32Array
  /** Input (RAW) datasets in order of first use, with their dataset_id. */
  readonly inputs: Array<{ input: InputDataset; datasetId: number }> = []

  /** Per step: workflow indexes (DESIGN for the design document) in sequence order. */
  readonly feeds: Int32Array[] = []
  readonly lastSeq: number[] = []
  designSeq = 0
  readonly presentCount: number[] = []
  readonly seenCount: number[] = []
  readonly changedCount: number[] = []
  readonly introducedCount: number[] = []

  private readonly stories = new Map<number, Story>()

  constructor(options: GenerateOptions) {
    if (!Number.isFinite(options.workflows) || options.workflows < 0) throw new Error('workflows must be a non-negative number')
    this.ctx = new PlanContext(options)
    const n = Math.max(0, Math.trunc(options.workflows))
    const steps = this.ctx.steps
    this.size = n
    this.steps = steps
    this.name = `generated-${n}-seed${this.ctx.seed}`
    this.status = new Int8Array(n * steps)
    this.bumpStep = new Int16Array(n)
    this.createdAt = new Float64Array(n)
    this.lastTransition = new Float64Array(n * steps)
    this.changed = new Uint8Array(n * steps)
    this.seqAt = new Int32Array(n * steps)
    this.revAt = new Int16Array(n * steps)
    this.serials = new Int32Array(n * SERIAL_SLOTS)
    this.parents = new Int32Array(n).fill(-1)
    this.outStart = new Int32Array(n + 1)
    this.campaignOf = new Uint16Array(n)
    this.typeOf = new Uint8Array(n)
    this.inputOf = new Int16Array(n).fill(-1)
    this.chainOf = new Uint8Array(n)
    this.outIds = new Int32Array(0)
    this.datasetOwner = new Int32Array(0)
    this.datasetPos = new Uint8Array(0)
    this.introAt = new Int16Array(0)
    this.accessAt = new Uint8Array(0)
    this.datasetIds = new Int32Array(0)
    this.byName = this.build()
  }

  /** The one pass over every workflow: plans made and recorded, then sequences and feeds. */
  private build(): Int32Array {
    const { size: n, steps } = this
    const counters = new Map<string, number>()
    const eligible: number[] = []
    // Sized for the most datasets there can be (each workflow at most maxDatasets), cut at the end.
    const most = n * this.ctx.maxDatasets
    const outIds = new Int32Array(most)
    let outCount = 0
    this.outIdsRead = outIds
    const owner = new Int32Array(most).fill(-1)
    const pos = new Uint8Array(most)
    const intro = new Int16Array(most * steps).fill(-1)
    const access = new Uint8Array(most * steps)
    const names = this.names
    const record: Resolver = {
      name: (index, draw) => {
        const rng = new Random(streamSeed(this.ctx.seed, index, Stream.Name))
        for (;;) {
          const name = draw(rng)
          if (!this.nameIndex.has(name)) {
            this.nameIndex.set(name, index)
            names[index] = name
            return name
          }
        }
      },
      serial: (index, slot, key) => {
        const rng = new Random(streamSeed(this.ctx.seed, index * SERIAL_SLOTS + slot, Stream.Serial))
        const start = counters.get(key) ?? new Random(streamSeed(this.ctx.seed, stringHash(key), Stream.Serial)).int(1, 400)
        const next = start + rng.int(1, 9)
        counters.set(key, next)
        this.serials[index * SERIAL_SLOTS + slot] = next
        return next
      },
      dataset: (index, _slot, make) => {
        for (let version = 1; ; version++) {
          const name = make(version)
          if (this.datasetIndex.has(name)) continue
          this.datasetIndex.set(name, this.datasetNames.length)
          this.datasetNames.push(name)
          return name
        }
      },
      parent: (index, draw) => {
        const parent = eligible.length === 0 ? -1 : (eligible[Math.floor(draw * eligible.length)] as number)
        this.parents[index] = parent
        return parent
      }
    }
    // A parent made again while its ACDC is made reads what the pass recorded for it.
    const replay = this.replayResolver()
    let currentIndex = 0
    const resolver: Resolver = {
      name: (index, draw) => (index === currentIndex ? record : replay).name(index, draw),
      serial: (index, slot, key) => (index === currentIndex ? record : replay).serial(index, slot, key),
      dataset: (index, slot, make) => (index === currentIndex ? record : replay).dataset(index, slot, make),
      parent: (index, draw) => (index === currentIndex ? record : replay).parent(index, draw)
    }

    for (let i = 0; i < n; i++) {
      currentIndex = i
      const inputsBefore = this.ctx.inputs.size
      const plan = new PlanMaker(this.ctx, i, resolver, true).make()
      if (this.ctx.inputs.size > inputsBefore) {
        for (const input of [...this.ctx.inputs.values()].slice(inputsBefore)) this.inputs.push({ input, datasetId: this.inputs.length + 1 })
      }
      const story = replayStory(plan, this.ctx)
      this.keepViewFields(i, plan.base)
      this.createdAt[i] = plan.createdAt
      this.bumpStep[i] = plan.priorityBump ? plan.priorityBump.step : -1
      for (const output of plan.outputs) outIds[outCount++] = this.datasetIndex.get(output.name) as number
      this.outStart[i + 1] = outCount
      let previousTag: string | undefined
      let seen = false
      for (let k = 0; k < steps; k++) {
        const step = story[k] as StepOfStory
        this.status[i * steps + k] = step.s
        if (step.s >= 0) {
          const last = step.transitions[step.transitions.length - 1]
          this.lastTransition[i * steps + k] = Number(last?.UpdateTime ?? 0)
          const tag = versionTag(step.s, step.bumped)
          if (!seen || tag !== previousTag) this.changed[i * steps + k] = 1
          previousTag = tag
          seen = true
        } else if (seen && previousTag !== undefined) {
          this.changed[i * steps + k] = 1 // the tombstone
          previousTag = undefined
        }
      }
      if (plan.ownsOutputs) {
        plan.outputs.forEach((output, o) => {
          const d = this.datasetIndex.get(output.name) as number
          owner[d] = i
          pos[d] = o
          let current = -1
          let previous: DbsDatasetRecord | undefined
          for (let k = 0; k < steps; k++) {
            const rec = story[k]?.records?.[o]
            if (!rec) current = -1
            else if (!previous || !sameRecord(previous, rec)) current = k
            previous = rec
            intro[d * steps + k] = current
            access[d * steps + k] = rec ? ACCESS_TYPES.indexOf(rec.dataset_access_type) : 0
          }
        })
      }
      if (mayBeParent(plan, steps)) eligible.push(i)
    }
    this.outIds = outIds.slice(0, outCount)
    this.outIdsRead = this.outIds
    const datasets = this.datasetNames.length
    this.datasetOwner = owner.slice(0, datasets)
    this.datasetPos = pos.slice(0, datasets)
    this.introAt = intro.slice(0, datasets * steps)
    this.accessAt = access.slice(0, datasets * steps)
    this.assignDatasetIds()
    // The engine's own string sort (code-unit order, as CouchDB's ids here) is far faster than a comparator.
    const sorted = names.slice().sort()
    const byName = new Int32Array(n)
    sorted.forEach((name, position) => (byName[position] = this.nameIndex.get(name) as number))
    this.assignSequences(byName)
    return byName
  }

  /** What the first pass recorded, for a workflow made again. */
  private replayResolver(): Resolver {
    return {
      name: (index) => this.names[index] as string,
      serial: (index, slot) => this.serials[index * SERIAL_SLOTS + slot] as number,
      dataset: (index, slot) => this.datasetNames[this.outIdsRead[(this.outStart[index] as number) + slot] as number] as string,
      parent: (index) => this.parents[index] as number
    }
  }

  /** dataset_id in the order DBS first lists the datasets: step by step, inputs first, then by workflow. */
  private assignDatasetIds(): void {
    const { steps } = this
    const datasets = this.datasetNames.length
    this.datasetIds = new Int32Array(datasets)
    let next = this.inputs.length
    for (let k = 0; k < steps; k++) {
      for (let d = 0; d < datasets; d++) {
        if (this.datasetIds[d] !== 0) continue
        if ((this.introAt[d * steps + k] as number) >= 0) this.datasetIds[d] = ++next
      }
    }
    for (let k = 0; k < steps; k++) {
      let introduced = k === 0 ? this.inputs.length : 0
      for (let d = 0; d < datasets; d++) if (this.introAt[d * steps + k] === k) introduced += 1
      this.introducedCount.push(introduced)
    }
  }

  /**
   * Sequence numbers as the simulator's CouchDB hands them out: step 0 creates every document in id
   * order (the design document half way), each later step the changed ones in id order, then the
   * tombstones of the deleted ones in id order. The feed of step k lists every id once, by the
   * sequence of its latest version.
   */
  private assignSequences(byName: Int32Array): void {
    const { size: n, steps } = this
    let seq = 0
    let previousFeed = new Int32Array(0)
    let seen = 0
    for (let k = 0; k < steps; k++) {
      const fresh: number[] = []
      let present = 0
      if (k === 0) {
        for (const i of byName) if ((this.status[i * steps] as number) >= 0) present += 1
        const designAt = Math.ceil(present / 2)
        let position = 0
        for (const i of byName) {
          if ((this.status[i * steps] as number) < 0) continue
          if (position++ === designAt) {
            this.designSeq = ++seq
            fresh.push(DESIGN)
          }
          this.seqAt[i * steps] = ++seq
          this.revAt[i * steps] = 1
          fresh.push(i)
        }
        if (designAt >= present) {
          this.designSeq = ++seq
          fresh.push(DESIGN)
        }
        seen = present
      } else {
        for (let i = 0; i < n; i++) {
          this.seqAt[i * steps + k] = this.seqAt[i * steps + k - 1] as number
          this.revAt[i * steps + k] = this.revAt[i * steps + k - 1] as number
        }
        const tombstones: number[] = []
        for (const i of byName) {
          const x = i * steps + k
          const s = this.status[x] as number
          if (s >= 0) present += 1
          if (!this.changed[x]) continue
          if (s >= 0) {
            if (this.revAt[x] === 0) seen += 1
            this.seqAt[x] = ++seq
            this.revAt[x] = (this.revAt[x] as number) + 1
            fresh.push(i)
          } else {
            tombstones.push(i)
          }
        }
        for (const i of tombstones) {
          const x = i * steps + k
          this.seqAt[x] = ++seq
          this.revAt[x] = (this.revAt[x] as number) + 1
          fresh.push(i)
        }
      }
      const feed: number[] = []
      for (const i of previousFeed) if (i === DESIGN || !this.changed[i * steps + k]) feed.push(i)
      for (const i of fresh) feed.push(i)
      previousFeed = Int32Array.from(feed)
      this.feeds.push(previousFeed)
      this.lastSeq.push(seq)
      this.presentCount.push(present)
      this.seenCount.push(seen)
      this.changedCount.push(fresh.length)
    }
  }

  /**
   * Keeps what the views read of a plan's document that never changes. The generator makes no
   * pileup fields and no per-task input datasets; a chain's tasks all carry a PrepID.
   */
  private keepViewFields(i: number, base: Record<string, unknown>): void {
    this.typeOf[i] = this.interned.types.id(String(base.RequestType))
    this.campaignOf[i] = this.interned.campaigns.id(String(base.Campaign))
    this.prepIds[i] = String(base.PrepID)
    if (typeof base.InputDataset === 'string') this.inputOf[i] = this.inputs.findIndex((x) => x.input.record.dataset === base.InputDataset)
    const chain = typeof base.TaskChain === 'number' ? 1 : typeof base.StepChain === 'number' ? 2 : 0
    this.chainOf[i] = chain
    if (chain) {
      const name = CHAINS[chain] as string
      const count = base[`${name}Chain`] as number
      this.taskPrepIds[i] = Array.from({ length: count }, (_, t) => String((base[`${name}${t + 1}`] as Record<string, unknown>).PrepID)).join('\n')
    }
  }

  // ---- questions about one workflow ------------------------------------------------------------

  statusAt(i: number, k: number): number {
    return this.status[i * this.steps + k] as number
  }

  /** The tag of i's version current at step k (its content follows from it). */
  tagAt(i: number, k: number): string {
    const bump = this.bumpStep[i] as number
    return versionTag(this.statusAt(i, k), bump >= 0 && k >= bump)
  }

  /** Plan and steps of workflow i, made again (a few recent ones are kept). */
  story(i: number): Story {
    const cached = this.stories.get(i)
    if (cached) {
      this.stories.delete(i)
      this.stories.set(i, cached)
      return cached
    }
    const plan = new PlanMaker(this.ctx, i, this.replayResolver()).make()
    const story = { plan, steps: replayStory(plan, this.ctx) }
    this.stories.set(i, story)
    if (this.stories.size > STORY_CACHE) this.stories.delete(this.stories.keys().next().value as number)
    return story
  }

  /** Workflow i's ReqMgr2 document at step k (undefined when it has none then). */
  document(i: number, k: number): Record<string, unknown> | undefined {
    if (this.statusAt(i, k) < 0) return undefined
    const story = this.story(i)
    return documentAt(story.plan, story.steps[k] as StepOfStory)
  }

  /** The fields of i's document at step k that the ReqMgr2 views read (without making the document). */
  viewDocument(i: number, k: number, view?: string): Record<string, unknown> {
    // Only the fields the view asked for reads (a view over 200 000 documents is built in one go).
    const wants = (field: string): boolean => view === undefined || (VIEW_READS[view]?.includes(field) ?? true)
    const s = this.statusAt(i, k)
    const doc: Record<string, unknown> = { RequestName: this.names[i] }
    if (wants('RequestType')) doc.RequestType = this.interned.types.value(this.typeOf[i] as number)
    if (wants('Campaign')) doc.Campaign = this.interned.campaigns.value(this.campaignOf[i] as number)
    if (wants('PrepID')) doc.PrepID = this.prepIds[i]
    if (wants('Team')) doc.Team = 'production'
    if (wants('Requestor')) doc.Requestor = 'pdmvserv'
    const input = this.inputOf[i] as number
    if (input >= 0 && wants('InputDataset')) doc.InputDataset = this.inputs[input]?.input.record.dataset
    const chain = CHAINS[this.chainOf[i] as number]
    if (chain && wants('tasks')) {
      const tasks = (this.taskPrepIds[i] ?? '').split('\n')
      doc[`${chain}Chain`] = tasks.length
      tasks.forEach((prepId, t) => (doc[`${chain}${t + 1}`] = { PrepID: prepId }))
    }
    if (wants('RequestStatus')) doc.RequestStatus = STATUSES[s]
    if (wants('RequestDate')) doc.RequestDate = dateList(this.createdAt[i] as number)
    if (wants('RequestTransition')) doc.RequestTransition = [{ UpdateTime: this.lastTransition[i * this.steps + k] }]
    if (wants('OutputDatasets')) doc.OutputDatasets = s >= S_ASSIGNED ? Array.from(this.outputs(i), (d) => this.datasetNames[d]) : []
    return doc
  }

  outputs(i: number): Int32Array {
    return this.outIds.subarray(this.outStart[i] as number, this.outStart[i + 1] as number)
  }

  // ---- DBS ---------------------------------------------------------------------------------------

  /** Step whose record of output dataset d is current at step k, -1 when DBS does not list it. */
  introducedAt(d: number, k: number): number {
    return this.introAt[d * this.steps + k] as number
  }

  firstListed(d: number): number {
    for (let k = 0; k < this.steps; k++) if ((this.introAt[d * this.steps + k] as number) >= 0) return k
    return -1
  }

  accessType(d: number, k: number): string {
    return ACCESS_TYPES[this.accessAt[d * this.steps + k] as number] as string
  }

  datasetId(d: number): number {
    return this.datasetIds[d] as number
  }

  /** The record DBS holds for output dataset d at step k. */
  record(d: number, k: number): DbsDatasetRecord | undefined {
    if (this.introducedAt(d, k) < 0) return undefined
    const owner = this.datasetOwner[d] as number
    return this.story(owner).steps[k]?.records?.[this.datasetPos[d] as number]
  }
}

const ACCESS_TYPES = ['', 'PRODUCTION', 'VALID', 'INVALID']

/** The feed's marker for the design document. */
export const DESIGN = -1

const CHAINS = [undefined, 'Task', 'Step'] as const

/** The fields each ReqMgr2 view's map function reads (routes/reqmgr2.ts); 'tasks': the chain's tasks. */
const VIEW_READS: Record<string, string[]> = {
  bystatus: ['RequestStatus', 'RequestTransition'],
  bycampaign: ['Campaign'],
  byprepid: ['PrepID', 'tasks'],
  bydate: ['RequestDate', 'RequestType', 'RequestStatus'],
  bytype: ['RequestType'],
  byinputdataset: ['InputDataset', 'tasks'],
  byoutputdataset: ['OutputDatasets'],
  bymcpileup: ['tasks'],
  bydatapileup: ['tasks'],
  byteamandstatus: ['Team', 'RequestStatus'],
  bystatusandrequestor: ['RequestStatus', 'Requestor']
}

/** Distinct strings by small number. */
class Interner {
  private readonly values: string[] = []
  private readonly index = new Map<string, number>()
  id(value: string): number {
    let id = this.index.get(value)
    if (id === undefined) {
      id = this.values.length
      this.values.push(value)
      this.index.set(value, id)
    }
    return id
  }
  value(id: number): string {
    return this.values[id] as string
  }
}
