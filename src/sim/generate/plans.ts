/**
 * The generated scenario, one workflow at a time: everything about workflow i comes from random
 * streams seeded by (seed, i, purpose), so any workflow's ReqMgr2 documents and DBS records at any
 * step can be made again on request without the others (world.ts keeps only compact indexes).
 * What must be unique or counted across workflows (names, PrepID serials, dataset versions, the
 * ACDC's parent) goes through a Resolver: decided once in the generator's first pass, read back
 * when a workflow is made again.
 *
 * Per workflow: a RequestType (TaskChain, StepChain, MonteCarlo, ReReco, Resubmission, RelVal
 * TaskChains), McM-like PrepIDs and campaigns shared by a few hundred workflows, a status that
 * moves along new → assignment-approved → assigned → acquired → running-open → running-closed →
 * completed → announced, output datasets that DBS lists from running-open with events growing step
 * by step towards the expected total (PRODUCTION, VALID once announced, occasionally INVALID).
 * ReReco workflows are lumi based (top-level LumiList + TotalInputLumis) over a RAW input dataset
 * whose DBS record carries `files`, so lumi-mask counting works. A few workflows appear at later
 * steps, a few are deleted, Resubmissions share their parent's PrepID and output datasets.
 */
import { createRng } from '../faults'
import { type DbsDatasetRecord, type DbsFileRecord } from '../scenario'

export interface GenerateOptions {
  workflows: number
  /** Default 6. */
  steps?: number
  /** Output datasets per workflow, inclusive; default [2, 5]. */
  datasetsPerWorkflow?: [number, number]
  seed?: number
  /**
   * The documents' own clock: step k is `startTime + k × stepSeconds` (default 2025-01-01T00:00Z and
   * 6 h). The demo puts its scenario in the recent past with these.
   */
  startTime?: number
  stepSeconds?: number
  /** Workflows present from step 0 were created up to this long before it (default 30 days). */
  createdWithinSeconds?: number
  /**
   * Highest status a workflow present at step 0 may start in (index in STATUSES; default announced).
   * The demo starts them at most running-open, so that each one's progress is seen step by step.
   */
  startStatusMax?: number
  /** Status steps a workflow may move on from one scenario step to the next, picked at random (default [0, 1, 1, 1, 2]). */
  statusAdvance?: number[]
}

export const STATUSES = [
  'new',
  'assignment-approved',
  'assigned',
  'acquired',
  'running-open',
  'running-closed',
  'completed',
  'announced'
] as const

export const S_ASSIGNED = 2
const S_RUNNING_OPEN = 4
const S_RUNNING_CLOSED = 5
export const S_COMPLETED = 6
const S_ANNOUNCED = 7

/** 2025-01-01T00:00:00Z: step k is "T0 + k × 6 h" in the documents' own clock. */
export const T0 = 1_735_689_600
export const STEP_SECONDS = 6 * 3600
const DN = '/DC=ch/DC=cern/OU=Organic Units/OU=Users/CN=pdmvserv/CN=860720/CN=PdmV Service Account'

export type Kind = 'TaskChain' | 'StepChain' | 'MonteCarlo' | 'ReReco' | 'Resubmission' | 'RelVal'

const BYTES_PER_EVENT: Record<string, number> = {
  LHE: 8_000,
  GEN: 20_000,
  'GEN-SIM': 900_000,
  'GEN-SIM-RAW': 1_400_000,
  'GEN-SIM-DIGI-RAW': 1_500_000,
  'GEN-SIM-RECO': 1_100_000,
  AODSIM: 400_000,
  MINIAODSIM: 50_000,
  NANOAODSIM: 1_500,
  DQMIO: 2_000,
  ALCARECO: 20_000,
  USER: 60_000,
  RAW: 1_000_000,
  'RAW-RECO': 1_400_000,
  AOD: 300_000,
  MINIAOD: 40_000,
  NANOAOD: 1_200
}

/** Output tiers in the order they are picked, with the index of the chain task that writes them. */
const MC_TIERS: Array<[string, number]> = [
  ['MINIAODSIM', 2],
  ['NANOAODSIM', 3],
  ['AODSIM', 1],
  ['GEN-SIM', 0],
  ['DQMIO', 1],
  ['GEN-SIM-DIGI-RAW', 1],
  ['LHE', 0],
  ['GEN', 0],
  ['GEN-SIM-RECO', 1],
  ['ALCARECO', 1],
  ['USER', 2]
]
const RERECO_TIERS = ['AOD', 'MINIAOD', 'NANOAOD', 'DQMIO', 'RAW-RECO', 'USER', 'ALCARECO']
const RELVAL_TIERS: Array<[string, number]> = [
  ['GEN-SIM', 0],
  ['DQMIO', 1],
  ['AODSIM', 1],
  ['MINIAODSIM', 2],
  ['NANOAODSIM', 3],
  ['GEN-SIM-DIGI-RAW', 1],
  ['GEN-SIM-RECO', 1],
  ['ALCARECO', 1],
  ['USER', 2],
  ['LHE', 0],
  ['GEN', 0]
]
const MAX_DATASETS = Math.min(MC_TIERS.length, RERECO_TIERS.length, RELVAL_TIERS.length)

const ERA_BASES = [
  'Run3Summer22',
  'Run3Summer23',
  'Run3Winter24',
  'RunIII2024Summer24',
  'Run3Winter25',
  'RunIISummer20UL16',
  'RunIISummer20UL17',
  'RunIISummer20UL18',
  'Run3Summer22EE',
  'Run3Summer23BPix',
  'Phase2Spring24',
  'RunIII2025Summer25'
]
const ERA_SUFFIXES = ['', 'Ext', 'LowPU', 'HIN', 'Pilot', 'Val']
const TASK_STEPS = ['wmLHEGS', 'DRPremix', 'MiniAODv4', 'NanoAODv12']
const PWGS = ['HIG', 'EXO', 'SUS', 'TOP', 'SMP', 'BPH', 'B2G', 'BTV', 'EGM', 'JME', 'MUO', 'TAU', 'TSG', 'GEN', 'PPD']
const PROCESSES = [
  'GluGluHToGG_M-{m}_TuneCP5_13p6TeV_powheg-pythia8',
  'DYto2L-4Jets_MLL-{m}_TuneCP5_13p6TeV_madgraphMLM-pythia8',
  'TTto2L2Nu_Hdamp-{m}_TuneCP5_13p6TeV_powheg-pythia8',
  'WtoLNu-2Jets_PTLNu-{m}_TuneCP5_13p6TeV_amcatnloFXFX-pythia8',
  'QCD_PT-{m}_MuEnrichedPt5_TuneCP5_13p6TeV_pythia8',
  'ZZto4L_M-{m}_TuneCP5_13p6TeV_powheg-pythia8',
  'BuToJpsiK_BMuonFilter_M-{m}_TuneCP5_13p6TeV_pythia8-evtgen',
  'VBFHto2B_M-{m}_TuneCP5_13p6TeV_powheg-pythia8',
  'ZprimeToTT_M-{m}_Width-1_TuneCP5_13p6TeV_madgraph-pythia8',
  'GJ-4Jets_HT-{m}_TuneCP5_13p6TeV_madgraphMLM-pythia8',
  'StopToBL_MStop-{m}_TuneCP5_13p6TeV-madgraph-pythia8',
  'HNL_MuonType_MHNL-{m}_TuneCP5_13p6TeV_madgraph-pythia8'
]
const MASSES = [10, 50, 100, 125, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000]
const DATA_PRIMARIES = ['JetMET0', 'JetMET1', 'Muon0', 'Muon1', 'EGamma0', 'EGamma1', 'MuonEG', 'Tau', 'BTagMu', 'DisplacedJet', 'ZeroBias', 'NoBPTX']
const DATA_ERAS: Array<[string, number]> = [
  ['Run2022C', 356_000],
  ['Run2022D', 357_500],
  ['Run2023C', 367_000],
  ['Run2023D', 369_900],
  ['Run2024C', 379_400],
  ['Run2024D', 380_300],
  ['Run2024E', 381_000],
  ['Run2024F', 382_000]
]
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const RELVAL_WFS = ['ZMM_14', 'TTbar_14TeV', 'ZEE_14', 'SingleMuPt10', 'QCD_FlatPt_15_3000HS_14', 'H125GGgluonfusion_14', 'MinBias_14TeV', 'ZTT_14']
const SITES = ['T1_US_FNAL', 'T1_DE_KIT', 'T1_IT_CNAF', 'T1_FR_CCIN2P3', 'T1_ES_PIC', 'T1_UK_RAL', 'T2_CH_CERN', 'T2_US_Nebraska', 'T2_US_Wisconsin', 'T2_DE_DESY', 'T2_IT_Bari']

export class Random {
  private readonly next: () => number
  constructor(seed: number) {
    this.next = createRng(seed)
  }
  float(): number {
    return this.next()
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  uniform(min: number, max: number): number {
    return min + this.next() * (max - min)
  }
}

/** What each of a workflow's random streams decides. */
export const enum Stream {
  Plan = 1,
  Name = 2,
  History = 3,
  Serial = 4,
  Input = 5
}

/** A 32-bit seed for stream `stream` of item `index` (murmur3's finaliser over the three). */
export function streamSeed(seed: number, index: number, stream: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(stream, 0x27d4eb2f), 0xc2b2ae35)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

export function stringHash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

export interface InputDataset {
  record: DbsDatasetRecord
  primary: string
  era: string
  /** run → lumi count (lumis 1..n exist). */
  runs: Map<number, number>
}

export interface OutputDataset {
  name: string
  tier: string
  jitter: number
}

export interface Plan {
  index: number
  name: string
  kind: Kind
  appear: number
  /** First step at which the document is gone (steps.length when never). */
  gone: number
  status: number[]
  base: Record<string, unknown>
  outputs: OutputDataset[]
  /** Who owns (writes DBS records for) the outputs: not Resubmissions. */
  ownsOutputs: boolean
  expectedEvents: number
  expectedLumis?: number
  eventsPerLumi: number
  priority: number | string
  priorityBump?: { step: number; value: number }
  invalid?: { output: number; step: number }
  createdAt: number
  prepId: string
  /** Index of the parent (Resubmissions), else -1. */
  parent: number
  lumiList?: Record<string, Array<[number, number]>>
}

/**
 * Decisions that depend on other workflows. The generator's first pass makes and records them;
 * remaking a workflow later reads the records back (so its own streams are drawn the same way).
 */
export interface Resolver {
  /** A name not used before; `draw` makes one candidate from the name stream. */
  name(index: number, draw: (rng: Random) => string): string
  /** The next serial of a PrepID counter (slot: which of the workflow's counters). */
  serial(index: number, slot: number, key: string): number
  /** A dataset name not used before: the first free version of `make(version)`. */
  dataset(index: number, slot: number, make: (version: number) => string): string
  /** The ACDC's parent for a uniform draw in [0, 1), or -1 when none can be had. */
  parent(index: number, draw: number): number
}

/** What is shared by every workflow of one generated scenario. */
export class PlanContext {
  readonly seed: number
  readonly steps: number
  readonly t0: number
  readonly stepSeconds: number
  readonly minDatasets: number
  readonly maxDatasets: number
  readonly families: string[]
  /** Input datasets by name, made from their own stream on first use, in order of first use. */
  readonly inputs = new Map<string, InputDataset>()

  constructor(readonly options: GenerateOptions) {
    this.seed = options.seed ?? 1
    this.t0 = Math.trunc(options.startTime ?? T0)
    this.stepSeconds = Math.max(120, Math.trunc(options.stepSeconds ?? STEP_SECONDS))
    this.steps = Math.max(1, Math.trunc(options.steps ?? 6))
    const [min, max] = options.datasetsPerWorkflow ?? [2, 5]
    if (!(min >= 1 && max >= min)) throw new Error(`datasetsPerWorkflow must be [min, max] with 1 ≤ min ≤ max, got [${min}, ${max}]`)
    if (max > MAX_DATASETS) throw new Error(`datasetsPerWorkflow: at most ${MAX_DATASETS} datasets per workflow are supported`)
    this.minDatasets = min
    this.maxDatasets = max
    const familyCount = Math.max(2, Math.ceil(options.workflows / 300))
    const families: string[] = []
    for (const suffix of ERA_SUFFIXES) for (const base of ERA_BASES) families.push(`${base}${suffix}`)
    this.families = families.slice(0, Math.min(familyCount, families.length))
  }

  stepTime(step: number): number {
    return this.t0 + step * this.stepSeconds
  }

  /** The RAW dataset of a data era, with its files: the same whichever workflow asks first. */
  input(primary: string, era: string, firstRun: number): InputDataset {
    const name = `/${primary}/${era}-v1/RAW`
    const known = this.inputs.get(name)
    if (known) return known
    const rng = new Random(streamSeed(this.seed, stringHash(name), Stream.Input))
    const runs = new Map<number, number>()
    const files: DbsFileRecord[] = []
    const eventsPerLumi = rng.int(300, 1500)
    let run = firstRun + rng.int(0, 200)
    const runCount = rng.int(2, 4)
    for (let r = 0; r < runCount; r++) {
      run += rng.int(1, 40)
      const lumis = rng.int(20, 120)
      runs.set(run, lumis)
      let lumi = 1
      let f = 0
      while (lumi <= lumis) {
        const span = Math.min(lumis - lumi + 1, rng.int(5, 20))
        const lumiList = Array.from({ length: span }, (_, i) => lumi + i)
        const events = span * eventsPerLumi + rng.int(-Math.floor(eventsPerLumi / 4), Math.floor(eventsPerLumi / 4))
        const runText = String(run).padStart(9, '0')
        files.push({
          logical_file_name: `/store/data/${era}/${primary}/RAW/v1/${runText.slice(0, 3)}/${runText.slice(3, 6)}/${runText.slice(6)}/00000/${(run * 1000 + f).toString(16).toUpperCase().padStart(8, '0')}-0000-4000-8000-${pad(f, 12)}.root`,
          run_num: run,
          lumi_section_num: lumiList,
          event_count: events,
          file_size: events * 1_000_000 + rng.int(0, 999_999),
          is_file_valid: rng.chance(0.02) ? 0 : 1
        })
        lumi += span
        f += 1
      }
    }
    const record: DbsDatasetRecord = {
      dataset: name,
      dataset_access_type: 'VALID',
      num_event: files.reduce((s, file) => s + (file.event_count ?? 0), 0),
      file_size: files.reduce((s, file) => s + file.file_size, 0),
      num_lumi: [...runs.values()].reduce((s, n) => s + n, 0),
      num_file: files.length,
      num_block: Math.ceil(files.length / 10),
      files
    }
    const input = { record, primary, era, runs }
    this.inputs.set(name, input)
    return input
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

export function stamp(seconds: number): string {
  const d = new Date(seconds * 1000)
  return `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
}

export function dateList(seconds: number): number[] {
  const d = new Date(seconds * 1000)
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
}

function countLumis(ranges: Array<[number, number]>): number {
  return ranges.reduce((sum, [a, b]) => sum + (b - a + 1), 0)
}

/** The first workflows guarantee every kind (and all three notification targets) is present. */
const FIXED: Kind[] = ['ReReco', 'RelVal', 'TaskChain', 'StepChain', 'MonteCarlo', 'Resubmission']

/**
 * Makes workflow `index`'s plan from its own plan stream. A light plan draws exactly the same
 * numbers but leaves out of `base` what only the document needs (the generator's first pass keeps
 * just what the views and DBS need, and makes far less garbage).
 */
export class PlanMaker {
  private readonly rng: Random

  constructor(
    private readonly ctx: PlanContext,
    private readonly index: number,
    private readonly resolver: Resolver,
    private readonly light = false
  ) {
    this.rng = new Random(streamSeed(ctx.seed, index, Stream.Plan))
  }

  make(): Plan {
    const { rng, index: i, ctx } = this
    const lastStep = ctx.steps - 1
    let kind: Kind
    if (i < FIXED.length) kind = FIXED[i] as Kind
    else {
      const r = rng.float()
      kind = r < 0.36 ? 'TaskChain' : r < 0.64 ? 'StepChain' : r < 0.73 ? 'MonteCarlo' : r < 0.89 ? 'ReReco' : r < 0.95 ? 'RelVal' : 'Resubmission'
    }
    const late = i >= FIXED.length && lastStep > 0 && rng.chance(0.05)
    const appear = late ? rng.int(1, lastStep) : 0
    const deleted = i >= FIXED.length && appear < lastStep && rng.chance(0.02)
    const gone = deleted ? rng.int(appear + 1, lastStep) : ctx.steps
    if (kind === 'Resubmission') {
      const parent = this.resolver.parent(i, i < FIXED.length ? 0 : rng.float())
      if (parent < 0) return this.chainPlan('TaskChain', appear, gone)
      // An ACDC follows its parent: it appears at a later step (when there is one).
      const start = Math.max(appear, lastStep === 0 ? 0 : i < FIXED.length ? 1 : rng.int(1, lastStep))
      const parentPlan = new PlanMaker(ctx, parent, this.resolver, this.light).make()
      return this.resubmissionPlan(parentPlan, start, gone > start ? gone : ctx.steps)
    }
    if (kind === 'ReReco') return this.rerecoPlan(appear, gone)
    if (kind === 'MonteCarlo') return this.monteCarloPlan(appear, gone)
    return this.chainPlan(kind, appear, gone)
  }

  private serial(slot: number, key: string): string {
    return pad(this.resolver.serial(this.index, slot, key), 5)
  }

  private uniqueName(label: string, prepLike: string, createdAt: number): string {
    return this.resolver.name(this.index, (r) => `pdmvserv_${label}_${prepLike}_${stamp(createdAt)}_${r.int(1000, 9999)}`)
  }

  private outputsOf(specs: Array<[primary: string, era: string, processingString: string, tier: string]>): OutputDataset[] {
    return specs.map(([primary, era, processingString, tier], slot) => ({
      name: this.resolver.dataset(this.index, slot, (version) => `/${primary}/${era}-${processingString}-v${version}/${tier}`),
      tier,
      jitter: this.rng.uniform(0.97, 1)
    }))
  }

  private datasetCount(): number {
    return this.rng.int(this.ctx.minDatasets, this.ctx.maxDatasets)
  }

  private statusTimeline(appear: number, gone: number, startMax: number): number[] {
    const { rng, ctx } = this
    const status = new Array<number>(ctx.steps).fill(-1)
    const cap = Math.min(startMax, ctx.options.startStatusMax ?? S_ANNOUNCED)
    let s = Math.min(cap, appear === 0 ? rng.pick([0, 1, 2, 3, 4, 4, 5, 5, 6, 7]) : rng.pick([0, 0, 1]))
    for (let k = appear; k < gone; k++) {
      if (k > appear) s = Math.min(S_ANNOUNCED, s + rng.pick(ctx.options.statusAdvance ?? [0, 1, 1, 1, 2]))
      status[k] = s
    }
    return status
  }

  private commonBase(createdAt: number, name: string, requestString: string): Record<string, unknown> {
    const rng = this.rng
    if (this.light) {
      rng.pick(SITES)
      rng.pick(SITES)
      rng.pick([2000, 4000, 8000, 15900])
      rng.pick([1, 4, 8])
      rng.int(200, 2000)
      rng.uniform(0.5, 60)
      return { RequestName: name, Requestor: 'pdmvserv', Team: 'production' }
    }
    return {
      _id: name,
      RequestName: name,
      RequestString: requestString,
      Requestor: 'pdmvserv',
      RequestorDN: DN,
      Group: 'PPD',
      RequestDate: dateList(createdAt),
      Team: 'production',
      SiteWhitelist: [rng.pick(SITES), rng.pick(SITES), 'T2_CH_CERN'].filter((s, i, all) => all.indexOf(s) === i),
      SiteBlacklist: [],
      DbsUrl: 'https://cmsweb-prod.cern.ch/dbs/prod/global/DBSReader',
      CouchURL: 'https://cmsweb.cern.ch/couchdb',
      CouchWorkloadDBName: 'reqmgr_workload_cache',
      ConfigCacheUrl: 'https://cmsweb.cern.ch/couchdb',
      RequestWorkflow: `https://cmsweb.cern.ch/couchdb/reqmgr_workload_cache/${name}/spec`,
      Memory: rng.pick([2000, 4000, 8000, 15900]),
      Multicore: rng.pick([1, 4, 8]),
      ScramArch: ['el8_amd64_gcc12'],
      MergedLFNBase: '/store/mc',
      UnmergedLFNBase: '/store/unmerged',
      SizePerEvent: rng.int(200, 2000),
      TimePerEvent: Math.round(rng.uniform(0.5, 60) * 10) / 10,
      RunWhitelist: [],
      RunBlacklist: [],
      BlockWhitelist: [],
      BlockBlacklist: [],
      ValidStatus: 'PRODUCTION'
    }
  }

  private mcEvents(): number {
    // Log-uniform between 50k and 5M, rounded to thousands.
    return Math.round(Math.exp(this.rng.uniform(Math.log(50_000), Math.log(5_000_000))) / 1000) * 1000
  }

  private efficiency(): number {
    return this.rng.chance(0.7) ? 1 : Math.round(this.rng.uniform(0.02, 0.9) * 10_000) / 10_000
  }

  private createdAt(appear: number): number {
    const { rng, ctx } = this
    const within = Math.max(7200, Math.trunc(ctx.options.createdWithinSeconds ?? 30 * 86_400))
    if (appear === 0) return ctx.t0 - rng.int(3600, within) - (this.index % 60)
    return ctx.stepTime(appear) - rng.int(60, ctx.stepSeconds - 60)
  }

  private chainPlan(kind: 'TaskChain' | 'StepChain' | 'RelVal', appear: number, gone: number): Plan {
    const rng = this.rng
    const createdAt = this.createdAt(appear)
    const relval = kind === 'RelVal'
    const chain = kind === 'StepChain' ? 'Step' : 'Task'
    const family = rng.pick(this.ctx.families)
    const pwg = rng.pick(PWGS)
    const release = `CMSSW_14_0_${rng.int(0, 21)}`
    const gt = relval ? '140X_mcRun3_2024_realistic_v26' : rng.pick(['130X_mcRun3_2023_realistic_v14', '140X_mcRun3_2024_realistic_v26', '150X_mcRun3_2025_realistic_v2', '106X_upgrade2018_realistic_v16_L1v1'])
    const relvalWf = rng.pick(RELVAL_WFS)
    const relvalLabel = `${rng.pick(['2024', '2025', 'PU_2024', 'STD_2025'])}`
    const taskCount = 4
    const events = relval ? rng.pick([9000, 18000, 45000, 90000]) : this.mcEvents()
    const eff = relval ? 1 : this.efficiency()
    const primary = relval ? `RelVal${relvalWf}` : rng.pick(PROCESSES).replace('{m}', String(rng.pick(MASSES)))
    const campaigns = TASK_STEPS.map((step) => (relval ? `${release}__${relvalLabel}` : `${family}${step}`))
    const prepIds = campaigns.map((campaign, slot) =>
      relval ? `${release}__${relvalLabel}-${relvalWf}-${this.serial(slot, campaign + relvalWf)}` : `${pwg}-${campaign}-${this.serial(slot, pwg + campaign)}`
    )
    const taskNames = relval ? ['GenSim', 'Digi', 'Reco', 'Nano'].map((t) => `${t}_${relvalWf}`) : prepIds.map((p) => `${p}_0`)
    const topPrepId = relval ? (prepIds[0] as string) : `task_${prepIds[0] as string}`
    const label = relval ? `RV${release}${relvalWf}` : (campaigns[0] as string)
    const name = this.uniqueName(label, relval ? `_${relvalLabel}` : topPrepId, createdAt)
    const requestString = name.split('_').slice(1, -3).join('_')
    const n = this.datasetCount()
    const tiers = (relval ? RELVAL_TIERS : MC_TIERS).slice(0, n)
    const processingStrings = campaigns.map(() => (relval ? `${gt}_${relvalLabel.replace(/_/g, '')}` : gt))
    const eras = relval ? campaigns.map(() => release) : campaigns
    const outputs = this.outputsOf(tiers.map(([tier, task]) => [primary, eras[task] as string, processingStrings[task] as string, tier]))
    const tasks: Record<string, unknown> = {}
    let eventsPerLumi = 0
    for (let t = 0; t < taskCount; t++) {
      if (this.light) {
        rng.pick([2000, 4000, 8000])
        rng.uniform(0.5, 40)
        if (t === 0) eventsPerLumi = rng.pick([100, 200, 500, 1000])
        tasks[`${chain}${t + 1}`] = { PrepID: prepIds[t] }
        continue
      }
      const task: Record<string, unknown> = {
        [`${chain}Name`]: taskNames[t],
        Campaign: campaigns[t],
        PrepID: prepIds[t],
        AcquisitionEra: eras[t],
        ProcessingString: processingStrings[t],
        GlobalTag: gt,
        CMSSWVersion: release,
        ScramArch: ['el8_amd64_gcc12'],
        KeepOutput: tiers.some(([, owner]) => owner === t),
        Memory: rng.pick([2000, 4000, 8000]),
        TimePerEvent: Math.round(rng.uniform(0.5, 40) * 10) / 10
      }
      if (t === 0) {
        task.RequestNumEvents = events
        task.FilterEfficiency = eff
        task.PrimaryDataset = primary
        task.EventsPerLumi = eventsPerLumi = rng.pick([100, 200, 500, 1000])
        task.SplittingAlgo = 'EventBased'
        task.Seeding = 'AutomaticSeeding'
      } else if (chain === 'Task') {
        task.InputTask = taskNames[t - 1]
        task.InputFromOutputModule = t === 1 ? 'RAWSIMoutput' : t === 2 ? 'AODSIMoutput' : 'MINIAODSIMoutput'
        task.SplittingAlgo = 'EventAwareLumiBased'
      } else {
        task.InputStep = taskNames[t - 1]
        task.InputFromOutputModule = t === 1 ? 'RAWSIMoutput' : t === 2 ? 'AODSIMoutput' : 'MINIAODSIMoutput'
      }
      tasks[`${chain}${t + 1}`] = task
    }
    const common = this.commonBase(createdAt, name, requestString)
    const eraPerTask = chain === 'Task' && rng.chance(0.5)
    const base: Record<string, unknown> = this.light
      ? { ...common, RequestType: 'TaskChain', Campaign: campaigns[0], PrepID: topPrepId, [`${chain}Chain`]: taskCount, ...tasks }
      : {
      ...common,
      RequestType: 'TaskChain',
      SubRequestType: relval ? 'RelVal' : '',
      Campaign: campaigns[0],
      PrepID: topPrepId,
      CMSSWVersion: release,
      GlobalTag: gt,
      AcquisitionEra: eraPerTask ? Object.fromEntries(taskNames.map((t, i) => [t, eras[i]])) : eras[0],
      // ReqMgr2 keeps per-task values as a dictionary keyed by TaskName.
      ProcessingString: chain === 'Task' ? Object.fromEntries(taskNames.map((t, i) => [t, processingStrings[i]])) : processingStrings[0],
      LumiList: {},
      [`${chain}Chain`]: taskCount,
      ...tasks
    }
    if (kind === 'StepChain') base.RequestType = 'StepChain'
    if (relval) base.PrepID = prepIds[0]
    return this.finishPlan({
      name,
      kind,
      appear,
      gone,
      base,
      outputs,
      expectedEvents: events,
      eventsPerLumi,
      createdAt,
      prepId: base.PrepID as string,
      totals: { TotalInputEvents: Math.round(events / eff), TotalInputFiles: 0, TotalInputLumis: Math.ceil(events / 100) }
    })
  }

  private monteCarloPlan(appear: number, gone: number): Plan {
    const rng = this.rng
    const createdAt = this.createdAt(appear)
    const family = rng.pick(this.ctx.families)
    const campaign = `${family}GS`
    const pwg = rng.pick(PWGS)
    const prepId = `${pwg}-${campaign}-${this.serial(0, pwg + campaign)}`
    const name = this.uniqueName(campaign, prepId, createdAt)
    const events = this.mcEvents()
    const eff = this.efficiency()
    const gt = rng.pick(['130X_mcRun3_2023_realistic_v14', '140X_mcRun3_2024_realistic_v26'])
    const primary = rng.pick(PROCESSES).replace('{m}', String(rng.pick(MASSES)))
    const n = this.datasetCount()
    const outputs = this.outputsOf(MC_TIERS.slice(0, n).map(([tier]) => [primary, campaign, gt, tier]))
    const common = this.commonBase(createdAt, name, name.split('_').slice(1, -3).join('_'))
    const release = `CMSSW_13_0_${rng.int(10, 23)}`
    const eventsPerLumi = rng.pick([100, 200, 500])
    const base: Record<string, unknown> = this.light
      ? { ...common, RequestType: 'MonteCarlo', Campaign: campaign, PrepID: prepId }
      : {
      ...common,
      RequestType: 'MonteCarlo',
      Campaign: campaign,
      PrepID: prepId,
      CMSSWVersion: release,
      GlobalTag: gt,
      AcquisitionEra: campaign,
      ProcessingString: gt,
      PrimaryDataset: primary,
      RequestNumEvents: events,
      FilterEfficiency: eff,
      EventsPerLumi: eventsPerLumi,
      LumiList: {}
    }
    return this.finishPlan({
      name,
      kind: 'MonteCarlo',
      appear,
      gone,
      base,
      outputs,
      expectedEvents: events,
      eventsPerLumi,
      createdAt,
      prepId,
      totals: { TotalInputEvents: Math.round(events / eff), TotalInputFiles: 0, TotalInputLumis: Math.ceil(events / eventsPerLumi) }
    })
  }

  private inputDataset(): InputDataset {
    const primary = this.rng.pick(DATA_PRIMARIES)
    const [era, firstRun] = this.rng.pick(DATA_ERAS)
    return this.ctx.input(primary, era, firstRun)
  }

  private lumiMask(input: InputDataset, maxRanges: number): Record<string, Array<[number, number]>> {
    const rng = this.rng
    const mask: Record<string, Array<[number, number]>> = {}
    const runs = [...input.runs.entries()]
    const chosen = runs.filter(() => rng.chance(0.7))
    if (chosen.length === 0) chosen.push(runs[0] as [number, number])
    for (const [run, lumis] of chosen) {
      const ranges: Array<[number, number]> = []
      let start = rng.int(1, Math.max(1, Math.floor(lumis / 4)))
      const count = rng.int(1, maxRanges)
      for (let i = 0; i < count && start <= lumis; i++) {
        const end = Math.min(lumis, start + rng.int(2, Math.max(3, Math.floor(lumis / 3))))
        ranges.push([start, end])
        start = end + rng.int(2, 10)
      }
      mask[String(run)] = ranges
    }
    return mask
  }

  /** Events, files and lumis of the input files that hold a lumi in the mask (what DBS counts). */
  private maskTotals(input: InputDataset, mask: Record<string, Array<[number, number]>>): { events: number; files: number; lumis: number } {
    let events = 0
    let files = 0
    let lumis = 0
    for (const [runText, ranges] of Object.entries(mask)) {
      lumis += countLumis(ranges)
      for (const file of input.record.files ?? []) {
        if (file.run_num !== Number(runText)) continue
        if (file.lumi_section_num.some((l) => ranges.some(([a, b]) => l >= a && l <= b))) {
          events += file.event_count ?? 0
          files += 1
        }
      }
    }
    return { events, files, lumis }
  }

  private rerecoPlan(appear: number, gone: number): Plan {
    const rng = this.rng
    const createdAt = this.createdAt(appear)
    const input = this.inputDataset()
    const day = new Date(createdAt * 1000)
    const processingString = `${pad(day.getUTCDate())}${MONTHS[day.getUTCMonth()]}${day.getUTCFullYear()}${rng.chance(0.3) ? `_${rng.pick(['ECALRecovery', 'HCALFix', 'PixelFix'])}` : ''}`
    const prepId = `ReReco-${input.era}-${input.primary}-${processingString}-00001`
    const name = this.uniqueName(`${input.era}-v1`, `${input.primary}_${processingString}`, createdAt)
    const mask = this.lumiMask(input, 3)
    const totals = this.maskTotals(input, mask)
    const n = this.datasetCount()
    const outputs = this.outputsOf(RERECO_TIERS.slice(0, n).map((tier) => [input.primary, input.era, processingString, tier]))
    const common = this.commonBase(createdAt, name, name.split('_').slice(1, -3).join('_'))
    const campaign = `${input.era.slice(0, 7)}ReReco`
    const base: Record<string, unknown> = this.light
      ? { ...common, RequestType: 'ReReco', Campaign: campaign, PrepID: prepId, InputDataset: input.record.dataset }
      : {
      ...common,
      RequestType: 'ReReco',
      Campaign: campaign,
      PrepID: prepId,
      CMSSWVersion: 'CMSSW_14_0_19',
      GlobalTag: '140X_dataRun3_v17',
      AcquisitionEra: input.era,
      ProcessingString: processingString,
      ProcessingVersion: 1,
      InputDataset: input.record.dataset,
      LumiList: mask,
      MergedLFNBase: '/store/data',
      SplittingAlgo: 'EventAwareLumiBased',
      Scenario: 'pp'
    }
    const plan = this.finishPlan({
      name,
      kind: 'ReReco',
      appear,
      gone,
      base,
      outputs,
      expectedEvents: totals.events,
      expectedLumis: totals.lumis,
      eventsPerLumi: Math.max(1, Math.round(totals.events / Math.max(1, totals.lumis))),
      createdAt,
      prepId,
      totals: { TotalInputEvents: totals.events, TotalInputFiles: totals.files, TotalInputLumis: totals.lumis }
    })
    plan.lumiList = mask
    return plan
  }

  private resubmissionPlan(parent: Plan, appear: number, gone: number): Plan {
    const rng = this.rng
    const createdAt = this.createdAt(appear)
    const requestString = parent.name.split('_').slice(1, -3).join('_')
    const name = this.resolver.name(this.index, (r) => `pdmvserv_ACDC${r.int(0, 2)}_${requestString}_${stamp(createdAt)}_${r.int(1000, 9999)}`)
    const parentTotals = parent.base as Record<string, unknown>
    const fraction = rng.uniform(0.05, 0.25)
    let totals: Record<string, number>
    let lumiList = parent.base.LumiList
    if (parent.lumiList && parent.kind === 'ReReco') {
      const input = this.ctx.inputs.get(parent.base.InputDataset as string) as InputDataset
      // Recover one range of one run of the parent's mask.
      const [run, ranges] = Object.entries(parent.lumiList)[0] as [string, Array<[number, number]>]
      const [a, b] = ranges[0] as [number, number]
      const sub: Record<string, Array<[number, number]>> = { [run]: [[a, Math.max(a, Math.min(b, a + rng.int(0, 3)))]] }
      const t = this.maskTotals(input, sub)
      lumiList = sub
      totals = { TotalInputEvents: t.events, TotalInputFiles: t.files, TotalInputLumis: t.lumis }
    } else {
      const tie = Number(parentTotals.RequestNumEvents ?? parent.expectedEvents)
      totals = { TotalInputEvents: Math.max(1, Math.round(tie * fraction)), TotalInputFiles: 0, TotalInputLumis: Math.max(1, Math.round(tie * fraction / 100)) }
    }
    const common = this.commonBase(createdAt, name, requestString)
    const base: Record<string, unknown> = this.light
      ? { ...parent.base, ...common, RequestType: 'Resubmission' }
      : {
      ...parent.base,
      ...common,
      RequestType: 'Resubmission',
      OriginalRequestName: parent.name,
      OriginalRequestType: parent.base.RequestType,
      InitialTaskPath: `/${parent.name}/${parent.kind === 'ReReco' ? 'DataProcessing' : 'Production'}`,
      ACDCServer: 'https://cmsweb.cern.ch/couchdb',
      ACDCDatabase: 'acdcserver',
      ResubmissionCount: 1,
      IgnoredOutputModules: [],
      LumiList: lumiList,
      SizePerEvent: parent.base.SizePerEvent,
      TimePerEvent: parent.base.TimePerEvent
    }
    return this.finishPlan({
      name,
      kind: 'Resubmission',
      appear,
      gone,
      base,
      outputs: parent.outputs,
      ownsOutputs: false,
      expectedEvents: parent.expectedEvents,
      expectedLumis: parent.expectedLumis,
      eventsPerLumi: parent.eventsPerLumi,
      createdAt,
      prepId: parent.prepId,
      parent: parent.index,
      totals,
      startStatus: S_ASSIGNED
    })
  }

  private finishPlan(input: {
    name: string
    kind: Kind
    appear: number
    gone: number
    base: Record<string, unknown>
    outputs: OutputDataset[]
    ownsOutputs?: boolean
    expectedEvents: number
    expectedLumis?: number
    eventsPerLumi: number
    createdAt: number
    prepId: string
    parent?: number
    totals: Record<string, number>
    startStatus?: number
  }): Plan {
    const { rng, ctx } = this
    const priority = rng.pick([60_000, 80_000, 85_000, 90_000, 110_000, 130_000])
    const plan: Plan = {
      index: this.index,
      name: input.name,
      kind: input.kind,
      appear: input.appear,
      gone: input.gone,
      status: this.statusTimeline(input.appear, input.gone, input.startStatus ?? S_ANNOUNCED),
      base: input.base,
      outputs: input.outputs,
      ownsOutputs: input.ownsOutputs ?? true,
      expectedEvents: input.expectedEvents,
      expectedLumis: input.expectedLumis,
      eventsPerLumi: input.eventsPerLumi,
      priority: rng.chance(0.01) ? String(priority) : priority,
      createdAt: input.createdAt,
      prepId: input.prepId,
      parent: input.parent ?? -1
    }
    Object.assign(plan.base, input.totals)
    if (rng.chance(0.05) && ctx.steps > 1) plan.priorityBump = { step: rng.int(Math.max(1, input.appear), ctx.steps - 1), value: priority + 10_000 }
    if (plan.ownsOutputs && rng.chance(0.03)) plan.invalid = { output: rng.int(0, input.outputs.length - 1), step: rng.int(0, ctx.steps - 1) }
    return plan
  }
}

/** Whether `plan` may be an ACDC's parent (decided as soon as the plan is made). */
export function mayBeParent(plan: Plan, steps: number): boolean {
  return plan.kind !== 'Resubmission' && plan.gone === steps && plan.kind !== 'RelVal' && plan.appear === 0
}

// ---- a workflow's steps -------------------------------------------------------------------------

export interface StepOfStory {
  /** Status index, -1 when the document is absent. */
  s: number
  /** Whether the priority bump applies (part of the version tag). */
  bumped: boolean
  transitions: Array<Record<string, unknown>>
  priority: number | string
  priorityHistory: Array<Record<string, unknown>> | undefined
  /** DBS records of the outputs at this step (owners only; undefined before running-open). */
  records: DbsDatasetRecord[] | undefined
}

/** What identifies a document version of one workflow: its content follows from (status, bump). */
export function versionTag(s: number, bumped: boolean): string {
  return `${s}|${bumped ? 1 : 0}`
}

/** Replays one workflow over every step from its own history stream. */
export function replayStory(plan: Plan, ctx: PlanContext): StepOfStory[] {
  const rng = new Random(streamSeed(ctx.seed, plan.index, Stream.History))
  const out: StepOfStory[] = []
  let history: Array<Record<string, unknown>> = []
  let priorityHistory: Array<Record<string, unknown>> | undefined
  let fraction = 0
  let final: number | undefined
  const invalidated = new Set<number>()
  const lastRecord: Array<{ record: DbsDatasetRecord; key: string } | undefined> = []
  for (let k = 0; k < ctx.steps; k++) {
    const s = plan.status[k] ?? -1
    const present = s >= 0
    let priority = plan.priority
    let bumped = false
    if (present) {
      const done = history.length > 0 ? STATUSES.indexOf(history[history.length - 1]?.Status as (typeof STATUSES)[number]) : -1
      if (s > done) {
        const added: string[] = []
        for (let t = done + 1; t <= s; t++) {
          if (t === S_ANNOUNCED) added.push('closed-out')
          added.push(STATUSES[t] as string)
        }
        const from = history.length === 0 ? plan.createdAt : ctx.stepTime(k - 1)
        const to = k === plan.appear && history.length === 0 ? Math.max(plan.createdAt + added.length, ctx.stepTime(k) - 60) : ctx.stepTime(k) - 60
        const next = [...history]
        added.forEach((status, j) => {
          const time = Math.floor(from + ((to - from) * (j + 1)) / (added.length + 1))
          next.push(rng.chance(0.5) ? { Status: status, UpdateTime: time, DN: j === 0 && history.length === 0 ? DN : '' } : { DN: '', Status: status, UpdateTime: time })
        })
        history = next
      }
      priorityHistory ??= [{ Priority: Number(plan.priority), UpdateTime: plan.createdAt, DN }]
      if (plan.priorityBump && k >= plan.priorityBump.step) {
        priority = plan.priorityBump.value
        bumped = true
        if (priorityHistory.length === 1) priorityHistory = [...priorityHistory, { Priority: priority, UpdateTime: ctx.stepTime(k) - 120, DN }]
      }
    }
    const step: StepOfStory = { s, bumped, transitions: history, priority, priorityHistory, records: undefined }
    out.push(step)

    // DBS: records of the datasets this workflow writes; frozen once the workflow is gone.
    if (!plan.ownsOutputs) continue
    const effective = present ? s : k >= plan.gone ? (plan.status[plan.gone - 1] ?? -1) : -1
    if (effective < S_RUNNING_OPEN) continue
    if (present) {
      if (effective === S_RUNNING_OPEN) fraction = Math.min(0.8, fraction + rng.uniform(0.05, 0.4))
      else if (effective === S_RUNNING_CLOSED) fraction = Math.min(0.95, Math.max(0.5, fraction + rng.uniform(0.1, 0.3)))
      else {
        final ??= rng.uniform(0.97, 1)
        fraction = Math.max(fraction, final)
      }
    }
    step.records = plan.outputs.map((output, o) => {
      const invalid = invalidated.has(o) || (plan.invalid?.output === o && k >= plan.invalid.step)
      if (invalid) invalidated.add(o)
      const type = invalid ? 'INVALID' : effective >= S_ANNOUNCED ? 'VALID' : 'PRODUCTION'
      const previous = lastRecord[o]
      const key = invalid && previous ? `INVALID|${previous.key}` : `${type}|${fraction}`
      if (previous && (previous.key === key || (invalid && previous.record.dataset_access_type === 'INVALID'))) return previous.record
      const record = invalid && previous ? { ...previous.record, dataset_access_type: 'INVALID' } : datasetRecord(plan, output, fraction, type)
      lastRecord[o] = { record, key }
      return record
    })
  }
  return out
}

/** The ReqMgr2 document of `plan` at a step of its story (the step must have the document). */
export function documentAt(plan: Plan, step: StepOfStory): Record<string, unknown> {
  const s = step.s
  const doc: Record<string, unknown> = { ...plan.base }
  doc.RequestStatus = STATUSES[s]
  doc.RequestTransition = step.transitions
  doc.RequestPriority = step.priority
  doc.PriorityTransition = step.priorityHistory
  doc.OutputDatasets = s >= S_ASSIGNED ? plan.outputs.map((o) => o.name) : []
  if (s === 0) {
    delete doc.TotalInputEvents
    delete doc.TotalInputFiles
    delete doc.TotalInputLumis
  } else {
    doc.TotalEstimatedJobs = Math.max(1, Math.ceil(Number(doc.TotalInputEvents ?? 1) / 5000))
  }
  return doc
}

function datasetRecord(plan: Plan, output: OutputDataset, fraction: number, type: string): DbsDatasetRecord {
  const events = Math.floor(plan.expectedEvents * fraction * output.jitter)
  const bytesPerEvent = BYTES_PER_EVENT[output.tier] ?? 100_000
  const eventsPerFile = Math.max(1000, Math.min(2_000_000, Math.floor(3e9 / bytesPerEvent)))
  const numFile = events > 0 ? Math.ceil(events / eventsPerFile) : 0
  const lumis =
    plan.expectedLumis !== undefined
      ? Math.floor(plan.expectedLumis * fraction * output.jitter)
      : events > 0
        ? Math.ceil(events / plan.eventsPerLumi)
        : 0
  return {
    dataset: output.name,
    dataset_access_type: type,
    num_event: events,
    file_size: events * bytesPerEvent,
    num_lumi: lumis,
    num_file: numFile,
    num_block: numFile > 0 ? Math.ceil(numFile / 20) : 0
  }
}

/** Whether two records of one dataset say the same (what the simulator compares to see a change). */
export function sameRecord(a: DbsDatasetRecord, b: DbsDatasetRecord): boolean {
  return (
    a === b ||
    (a.dataset_access_type === b.dataset_access_type &&
      a.num_event === b.num_event &&
      a.file_size === b.file_size &&
      a.num_lumi === b.num_lumi &&
      a.num_file === b.num_file &&
      a.num_block === b.num_block)
  )
}
