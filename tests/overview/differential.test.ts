/**
 * The overview against a brute force written apart from it, over a generated scenario run through
 * the real `stats2 update` step by step (the cmsweb simulator over mTLS, the embedded store shared
 * through DB_URL): after each update the engine — kept alive, so following `_changes` — must give
 * the board, the durations, what needs attention and the ACDC families that a plain computation
 * over `stats2 dump` gives, for the whole store, a campaign and a PrepID, now and three days later.
 * `stats2 overview --json` and `GET api/overview` must print the same object.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { CouchStore } from '../../src/main/store/couch-store'
import { loadConfig } from '../../src/main/config/config'
import { OverviewService } from '../../src/main/overview/service'
import { toWorkflowView } from '../../src/shared/stats2-doc-schema'
import { isInvalidWorkflow, type ValidWorkflow } from '../../src/shared/workflow-view'
import { workflowSeries } from '../../src/shared/rules/series'
import { overviewJsonSchema, type OverviewJson } from '../../src/shared/overview/types'
import type { OverviewSelection } from '../../src/shared/overview/selection'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { runCli, simulatorEnv } from '../helpers/cli'
import { call, serveStore, type ServiceUnderTest } from '../serve/helpers'

const STEPS = 4
const DAY = 86_400
const STALL_HOURS = 24

// ---- the brute force: plain code over the dumped documents, written apart from src/shared/overview ----

const PRODUCING = ['new', 'assignment-approved', 'assigned', 'staging', 'staged', 'acquired', 'running-open', 'running-closed']
const RUNNING = ['running-open', 'running-closed']
const ABANDONED = ['rejected', 'rejected-archived', 'aborted', 'aborted-completed', 'aborted-archived']
const REASONS = ['stalled', 'past-eta', 'invalid-output', 'update-failed']

interface Cell { workflows: number; events: number; expected: number; remaining: number; rate: number; ref: number }
const cell = (): Cell => ({ workflows: 0, events: 0, expected: 0, remaining: 0, rate: 0, ref: -Infinity })

interface Facts {
  name: string
  doc: ValidWorkflow
  status: string
  statusTime: number
  events: number
  finalTime: number
  expected: number
  slope: number
  campaigns: string[]
}

function block(priority: number): number {
  const bounds = [130000, 110000, 90000, 85000, 80000, 70000, 63000]
  const index = bounds.findIndex((bound) => priority >= bound)
  return index < 0 ? 7 : index
}

function factsOfDoc(doc: ValidWorkflow): Facts {
  const transitions = doc.RequestTransition
  const last = transitions[transitions.length - 1]
  const final = doc.OutputDatasets[doc.OutputDatasets.length - 1]
  const sorted = doc.EventNumberHistory.map((entry, index) => ({ entry, index })).sort((a, b) => a.entry.Time - b.entry.Time || a.index - b.index).map((x) => x.entry)
  const points = final === undefined ? [] : sorted.filter((entry) => Object.prototype.hasOwnProperty.call(entry.Datasets, final)).map((entry) => ({ t: entry.Time, v: entry.Datasets[final]!.Events }))
  let slope = 0
  const newest = points[points.length - 1]
  if (newest) {
    const window = points.filter((p) => p.t >= newest.t - 2 * DAY)
    if (window.length >= 2) {
      const mt = window.reduce((s, p) => s + p.t, 0) / window.length
      const mv = window.reduce((s, p) => s + p.v, 0) / window.length
      const num = window.reduce((s, p) => s + (p.t - mt) * (p.v - mv), 0)
      const den = window.reduce((s, p) => s + (p.t - mt) ** 2, 0)
      if (den > 0 && num / den > 0) slope = num / den
    }
  }
  const campaigns = [...new Set(doc.Campaigns.filter((c): c is string => typeof c === 'string' && c !== ''))]
  return {
    name: doc._id,
    doc,
    status: last?.Status ?? '(no status)',
    statusTime: last?.UpdateTime ?? NaN,
    events: newest?.v ?? 0,
    finalTime: newest?.t ?? NaN,
    expected: doc.TotalEvents > 0 ? doc.TotalEvents : 0,
    slope,
    campaigns: campaigns.length > 0 ? campaigns : ['(no campaign)']
  }
}

function addTo(target: Cell, f: Facts): void {
  target.workflows++
  target.events += f.events
  target.expected += f.expected
  if (PRODUCING.includes(f.status) && f.expected > 0 && f.events < f.expected) {
    target.remaining += f.expected - f.events
    target.rate += f.slope
    // A workflow without history has no final time: the newest of the others counts.
    if (Number.isFinite(f.finalTime)) target.ref = Math.max(target.ref, f.finalTime)
  }
}

const iso = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString()

function out(c: Cell): { workflows: number; events: number; expected: number; eta?: string } {
  const o: { workflows: number; events: number; expected: number; eta?: string } = { workflows: c.workflows, events: c.events, expected: c.expected }
  if (c.remaining > 0 && c.rate > 0 && Number.isFinite(c.ref)) o.eta = iso(Math.round(c.ref + c.remaining / c.rate))
  return o
}

interface Context { now: number; failed: Map<string, string>; lastRun: number }

function bruteForce(docs: WorkflowDoc[], context: Context): Omit<OverviewJson, 'attention' | 'attentionTotal'> & { attention: Array<{ workflow: string; reason: string; since: string }> } {
  const { now } = context
  const readable: Facts[] = []
  let notReadable = 0
  const attention: Array<{ workflow: string; reason: string; since: number }> = []
  for (const raw of docs) {
    const view = toWorkflowView(raw)
    const failedReason = context.failed.get(raw._id)
    if (isInvalidWorkflow(view)) {
      notReadable++
      if (failedReason !== undefined) attention.push({ workflow: raw._id, reason: 'update-failed', since: context.lastRun })
      continue
    }
    const f = factsOfDoc(view)
    readable.push(f)
    if (failedReason !== undefined) attention.push({ workflow: f.name, reason: 'update-failed', since: view.LastUpdate ?? context.lastRun })
    if (f.status === '(no status)') continue
    if (RUNNING.includes(f.status)) {
      const lastHistory = view.EventNumberHistory.reduce((m, e) => Math.max(m, e.Time), -Infinity)
      const since = Math.max(lastHistory, f.statusTime)
      if (now - since >= STALL_HOURS * 3600) attention.push({ workflow: f.name, reason: 'stalled', since })
    }
    const final = view.OutputDatasets[view.OutputDatasets.length - 1]
    const eta = workflowSeries(view).datasets.find((d) => d.dataset === final)?.eta
    if (PRODUCING.includes(f.status) && eta !== undefined && eta < now) attention.push({ workflow: f.name, reason: 'past-eta', since: eta })
    if (!ABANDONED.includes(f.status)) {
      const sorted = view.EventNumberHistory.map((entry, index) => ({ entry, index })).sort((a, b) => a.entry.Time - b.entry.Time || a.index - b.index).map((x) => x.entry)
      let first = Infinity
      for (const dataset of new Set(view.OutputDatasets)) {
        const seen = sorted.filter((e) => Object.prototype.hasOwnProperty.call(e.Datasets, dataset)).map((e) => ({ t: e.Time, type: e.Datasets[dataset]!.Type }))
        const bad = (type: string): boolean => type === 'INVALID' || type === 'DELETED'
        if (seen.length === 0 || !bad(seen[seen.length - 1]!.type)) continue
        let k = seen.length - 1
        while (k > 0 && bad(seen[k - 1]!.type)) k--
        first = Math.min(first, seen[k]!.t)
      }
      if (first < Infinity) attention.push({ workflow: f.name, reason: 'invalid-output', since: first })
    }
  }
  attention.sort((a, b) => REASONS.indexOf(a.reason) - REASONS.indexOf(b.reason) || a.since - b.since || (a.workflow < b.workflow ? -1 : 1))

  const all = new Map<string, Cell>()
  const groups = (key: (f: Facts) => string[]): Record<string, ReturnType<typeof out> & { byStatus: Record<string, ReturnType<typeof out>> }> => {
    const totals = new Map<string, Cell>()
    const per = new Map<string, Map<string, Cell>>()
    for (const f of readable) {
      for (const k of key(f)) {
        if (!totals.has(k)) { totals.set(k, cell()); per.set(k, new Map()) }
        addTo(totals.get(k)!, f)
        const byStatus = per.get(k)!
        if (!byStatus.has(f.status)) byStatus.set(f.status, cell())
        addTo(byStatus.get(f.status)!, f)
      }
    }
    return Object.fromEntries([...totals].map(([k, c]) => [k, { ...out(c), byStatus: Object.fromEntries([...per.get(k)!].map(([s, sc]) => [s, out(sc)])) }]))
  }
  for (const f of readable) {
    if (!all.has(f.status)) all.set(f.status, cell())
    addTo(all.get(f.status)!, f)
  }

  const values = new Map<string, number[]>()
  for (const f of readable) {
    const sums = new Map<string, number>()
    const t = f.doc.RequestTransition
    for (let k = 0; k + 1 < t.length; k++) {
      const key = `${t[k]!.Status}\u2192${t[k + 1]!.Status}`
      sums.set(key, (sums.get(key) ?? 0) + Math.max(0, t[k + 1]!.UpdateTime - t[k]!.UpdateTime))
    }
    for (const [key, seconds] of sums) values.set(key, [...(values.get(key) ?? []), seconds / 3600])
  }
  const r3 = (x: number): number => Math.round(x * 1000) / 1000
  const durations = Object.fromEntries([...values].map(([key, list]) => {
    const s = [...list].sort((a, b) => a - b)
    const n = s.length
    const median = n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
    return [key, { n, medianH: r3(median), p90H: r3(s[Math.ceil(0.9 * n) - 1]!), maxH: r3(s[n - 1]!) }]
  }))

  const families = new Map<string, Facts[]>()
  for (const f of readable) {
    const prepId = f.doc.PrepID
    if (typeof prepId === 'string' && prepId !== '') families.set(prepId, [...(families.get(prepId) ?? []), f])
  }
  const isAcdc = (f: Facts): boolean => (f.doc.RequestType ?? '').toLowerCase() === 'resubmission'
  const created = (f: Facts): number => f.doc.RequestTransition[0]?.UpdateTime ?? Infinity
  const acdcFamilies = [...families].filter(([, members]) => members.some(isAcdc)).map(([prepid, members]) => {
    const ordered = [...members].sort((a, b) => created(a) - created(b) || (a.name < b.name ? -1 : 1))
    const originals = ordered.filter((m) => !isAcdc(m))
    const since = Math.min(...ordered.filter(isAcdc).map(created))
    const family: OverviewJson['acdcFamilies'][number] = {
      prepid,
      workflows: ordered.map((m) => m.name),
      events: Math.max(...ordered.map((m) => m.events)),
      expected: Math.max(...(originals.length > 0 ? originals : ordered).map((m) => m.expected))
    }
    if (originals.length > 0) family.original = originals[0]!.name
    if (Number.isFinite(since)) family.since = iso(since)
    return { family, since }
  }).sort((a, b) => a.since - b.since || (a.family.prepid < b.family.prepid ? -1 : 1)).map((x) => x.family)

  return {
    total: docs.length,
    notReadable,
    byStatus: Object.fromEntries([...all].map(([s, c]) => [s, out(c)])),
    byCampaign: groups((f) => f.campaigns),
    byPriorityBlock: groups((f) => [`block ${block(f.doc.RequestPriority)}`]),
    durations,
    attention: attention.map((a) => ({ workflow: a.workflow, reason: a.reason, since: iso(a.since) })),
    acdcFamilies
  }
}

/** Compares everything; ETAs within two seconds (sums of rates in another order round apart). */
function expectSame(actual: OverviewJson, expected: ReturnType<typeof bruteForce>, label: string): void {
  const etaFree = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'eta' ? undefined : v)))
  /** Every ETA by its path (`byCampaign/X/byStatus/running-open`). */
  const etas = (value: unknown, path = '', found = new Map<string, number>()): Map<string, number> => {
    if (typeof value !== 'object' || value === null) return found
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'eta') found.set(path, Date.parse(String(inner)))
      else etas(inner, `${path}/${key}`, found)
    }
    return found
  }
  const { attention, attentionTotal, ...rest } = actual
  const { attention: expectedAttention, ...expectedRest } = expected
  expect(etaFree(rest), label).toEqual(etaFree(expectedRest))
  expect(attention.map(({ workflow, reason, since }) => ({ workflow, reason, since })), label).toEqual(expectedAttention)
  expect(attentionTotal).toBe(expectedAttention.length)
  const a = etas(rest)
  const b = etas(expectedRest)
  expect([...a.keys()].sort(), `${label}: cells with an ETA`).toEqual([...b.keys()].sort())
  for (const [path, value] of a) expect(Math.abs(value - b.get(path)!), `${label}: ETA of ${path}`).toBeLessThanOrEqual(2000)
}

// ---- the run ------------------------------------------------------------------------------------

let work: string
let sim: Simulator
let store: CouchStore
let env: Record<string, string>
let served: ServiceUnderTest

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-overview-diff-'))
  sim = await startSimulator({ scenario: generateScenario({ workflows: 300, steps: STEPS, seed: 23 }), tlsDir: join(work, 'tls') })
  store = await CouchStore.open({ dataDir: join(work, 'store') })
  const server = store.embeddedServer!
  env = { ...simulatorEnv(sim, work), DB_URL: server.url, STATS_DB_AUTH_HEADER: server.authHeader, STATS2_RETRIES: '1' }
  served = await serveStore(store, loadConfig(env), env)
})

afterAll(async () => {
  await served?.close()
  await store?.close()
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

describe('the overview against a brute force over stats2 dump', () => {
  it('agrees after every update, for the whole store, a campaign and a PrepID, now and three days on; CLI and API print one object', async () => {
    const service = new OverviewService(store)
    const seen = { reasons: new Set<string>(), families: 0, pairs: 0, campaigns: 0 }
    for (let step = 0; step < STEPS; step++) {
      if (step > 0) sim.advance()
      const update = await runCli(['update'], env)
      expect(update.code, update.err).toBe(0)
      const dumped = await runCli(['dump'], env)
      expect(dumped.code).toBe(0)
      const docs = JSON.parse(dumped.out) as WorkflowDoc[]
      if (step === 1) {
        // Two workflows on the retry list, in the updater's own format (failed_workflows + failed_reasons).
        const [a, b] = docs.map((doc) => doc._id).sort()
        await store.updateSettings((settings) => ({ ...settings, failed_workflows: [a!, b!], failed_reasons: { [a!]: 'ReqMgr2 answered 502', [b!]: 'DBS timed out' } }))
      }
      const settings = await store.getSettings()
      const failed = new Map((settings.failed_workflows ?? []).map((name) => [name, settings.failed_reasons?.[name] ?? '']))
      // A campaign with many workflows and a PrepID with an ACDC, picked from what is stored now.
      const campaignCount = new Map<string, number>()
      for (const doc of docs) for (const c of new Set(doc.Campaigns as string[])) campaignCount.set(c, (campaignCount.get(c) ?? 0) + 1)
      const campaign = [...campaignCount].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]![0]
      const acdc = docs.find((doc) => doc.RequestType === 'Resubmission' && docs.some((other) => other.PrepID === doc.PrepID && other.RequestType !== 'Resubmission'))
      const prepId = acdc?.PrepID ?? docs[0]!.PrepID!
      const selections: Array<[OverviewSelection, (doc: WorkflowDoc) => boolean]> = [
        [{ kind: 'all' }, () => true],
        [{ kind: 'field', field: 'campaign', value: campaign }, (doc) => (doc.Campaigns as unknown[]).includes(campaign)],
        [{ kind: 'field', field: 'prepid', value: prepId }, (doc) => doc.PrepID === prepId]
      ]
      const realNow = Math.floor(Date.now() / 1000)
      for (const now of [realNow, realNow + 3 * DAY]) {
        for (const [selection, inSelection] of selections) {
          const actual = await service.json(selection, { now })
          expect(overviewJsonSchema.safeParse(actual).success).toBe(true)
          const expected = bruteForce(docs.filter(inSelection), { now, failed, lastRun: settings.last_dbs_update_date ?? now })
          expectSame(actual, expected, `step ${step}, ${JSON.stringify(selection)}, now + ${now - realNow} s`)
          for (const item of actual.attention) seen.reasons.add(item.reason)
          seen.families = Math.max(seen.families, actual.acdcFamilies.length)
          seen.pairs = Math.max(seen.pairs, Object.keys(actual.durations).length)
          seen.campaigns = Math.max(seen.campaigns, Object.keys(actual.byCampaign).length)
        }
      }
      // The CLI (its own engine, a first build) and the API (the service's engine) print one object.
      // The overview's clock ticks once a minute: the CLI's answer is the API's before or after it
      // (the same, unless a minute turned in between).
      const before = await call(`${served.origin}/stats/api/overview?campaign=${encodeURIComponent(campaign)}`)
      const cli = await runCli(['overview', '--campaign', campaign, '--json'], env)
      const after = await call(`${served.origin}/stats/api/overview?campaign=${encodeURIComponent(campaign)}`)
      expect(before.status).toBe(200)
      expect(cli.code, cli.err).toBe(0)
      const printed = JSON.parse(cli.out) as unknown
      expect([JSON.parse(before.text), JSON.parse(after.text)]).toContainEqual(printed)
    }
    // The scenario exercised every part, and the engine followed the changes instead of reading everything again.
    expect([...seen.reasons].sort()).toEqual([...REASONS].sort())
    expect(seen.families).toBeGreaterThan(0)
    expect(seen.pairs).toBeGreaterThan(3)
    expect(seen.campaigns).toBeGreaterThan(3)
    expect(service.engine.stats.builds).toBe(1)
    expect(service.engine.stats.reread).toBeGreaterThan(0)
  })
})
