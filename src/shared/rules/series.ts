/** Chart series from stored history (the renderer's charts, the summed search chart). Pure. */
import type { WorkflowDoc } from '../stats2-doc'
import { expectedTotal, type CompletionUnit } from './completion'

export interface SeriesPoint {
  /** Unix seconds. */
  t: number
  v: number
  type: string
}

export interface DatasetSeries {
  dataset: string
  points: SeriesPoint[]
  /** Unix seconds at which the recent trend reaches the expected total; undefined without a rising trend. */
  eta?: number
}

export interface WorkflowSeries {
  unit: CompletionUnit
  /** Undefined when ReqMgr2 gave no expected total (-1). */
  expected?: number
  datasets: DatasetSeries[]
}

/** Seconds of history the ETA trend is fitted on. */
export const ETA_WINDOW_SECONDS = 2 * 86_400

/**
 * Slope (units per second) of a least-squares line over the points of the last `windowSeconds`
 * before the newest point (at least two); undefined when there are too few or all at one time.
 */
export function trendSlope(points: readonly SeriesPoint[], windowSeconds = ETA_WINDOW_SECONDS): number | undefined {
  if (points.length < 2) return undefined
  const last = points[points.length - 1]!
  const recent = points.filter((p) => p.t >= last.t - windowSeconds)
  if (recent.length < 2) return undefined
  const n = recent.length
  const meanT = recent.reduce((s, p) => s + p.t, 0) / n
  const meanV = recent.reduce((s, p) => s + p.v, 0) / n
  let num = 0
  let den = 0
  for (const p of recent) {
    num += (p.t - meanT) * (p.v - meanV)
    den += (p.t - meanT) ** 2
  }
  if (den === 0) return undefined
  return num / den
}

/**
 * When a rising series reaches `expected`, by a least-squares line over its points in the last
 * `windowSeconds` (at least two). Undefined when done, flat or falling.
 */
export function etaFromTrend(points: readonly SeriesPoint[], expected: number | undefined, windowSeconds = ETA_WINDOW_SECONDS): number | undefined {
  if (expected === undefined || points.length < 2) return undefined
  const last = points[points.length - 1]!
  if (last.v >= expected) return undefined
  const slope = trendSlope(points, windowSeconds)
  if (slope === undefined || !(slope > 0)) return undefined
  return Math.round(last.t + (expected - last.v) / slope)
}

/** Events (or lumis for lumi-based workflows) over time, one series per output dataset, in document order. */
export function workflowSeries(doc: WorkflowDoc): WorkflowSeries {
  const { unit, total } = expectedTotal(doc)
  const expected = total > 0 ? total : undefined
  const history = [...(doc.EventNumberHistory ?? [])].sort((a, b) => (a.Time ?? 0) - (b.Time ?? 0))
  const names = [...(doc.OutputDatasets ?? [])]
  for (const entry of history) for (const name of Object.keys(entry.Datasets ?? {})) if (!names.includes(name)) names.push(name)
  const datasets = names.map((dataset): DatasetSeries => {
    const points: SeriesPoint[] = []
    for (const entry of history) {
      const stat = entry.Datasets?.[dataset]
      if (!stat) continue
      points.push({ t: entry.Time, v: unit === 'lumis' ? (stat.Lumis ?? 0) : stat.Events, type: stat.Type })
    }
    const eta = etaFromTrend(points, expected)
    return eta === undefined ? { dataset, points } : { dataset, points, eta }
  })
  return { unit, expected, datasets }
}

/** pMp-like summed progress of many workflows, split by the Type of the counted dataset. */
export interface AggregateSeries {
  times: number[]
  valid: number[]
  production: number[]
  invalid: number[]
  other: number[]
  /** Sum of the expected events of the workflows counted (constant over time). */
  expected: number
  workflows: number
  /** Workflows left out: no history, or no expected events. */
  skipped: number
}

/** The history of one workflow's final dataset, what the summed chart adds up (times ascending). */
export interface FinalTrack {
  times: number[]
  values: number[]
  types: string[]
  /** The workflow's TotalEvents (≤ 0 or absent: not counted). */
  expected: number
}

/** The final dataset's history of a document of any shape; entries that do not fit are left out. */
export function finalTrack(doc: WorkflowDoc): FinalTrack {
  const outputs = Array.isArray(doc.OutputDatasets) ? doc.OutputDatasets : []
  const dataset = outputs[outputs.length - 1]
  const entries = Array.isArray(doc.EventNumberHistory) ? doc.EventNumberHistory : []
  const points: Array<{ t: number; v: number; type: string }> = []
  if (typeof dataset === 'string') {
    for (const entry of entries) {
      const stat: unknown = typeof entry === 'object' && entry !== null && typeof entry.Datasets === 'object' && entry.Datasets !== null ? entry.Datasets[dataset] : undefined
      if (typeof stat !== 'object' || stat === null || !Number.isFinite(entry.Time)) continue
      const { Events, Type } = stat as { Events?: unknown; Type?: unknown }
      if (typeof Events !== 'number' || !Number.isFinite(Events)) continue
      points.push({ t: entry.Time, v: Events, type: typeof Type === 'string' ? Type : 'NONE' })
    }
  }
  // Stable: entries of equal Time keep their stored order, as the sort of whole entries did.
  points.sort((a, b) => a.t - b.t)
  const expected = typeof doc.TotalEvents === 'number' && Number.isFinite(doc.TotalEvents) ? doc.TotalEvents : 0
  return { times: points.map((p) => p.t), values: points.map((p) => p.v), types: points.map((p) => p.type), expected }
}

/**
 * Sums, at every time any counted workflow changed, the events of each workflow's final dataset as
 * of that time. At most `maxPoints` times are kept (evenly thinned; the last one always).
 */
export function aggregateHistory(docs: readonly WorkflowDoc[], maxPoints = 2000): AggregateSeries {
  return aggregateTracks(docs.map(finalTrack), maxPoints)
}

/** `aggregateHistory` over tracks already extracted (the main process caches them per workflow). */
export function aggregateTracks(all: readonly FinalTrack[], maxPoints = 2000): AggregateSeries {
  let expected = 0
  let skipped = 0
  const tracks: FinalTrack[] = []
  for (const track of all) {
    if (track.times.length === 0 || !(track.expected > 0)) {
      skipped++
      continue
    }
    expected += track.expected
    tracks.push(track)
  }
  const timeSet = new Set<number>()
  for (const track of tracks) for (const time of track.times) timeSet.add(time)
  let times = [...timeSet].sort((a, b) => a - b)
  if (times.length > maxPoints) {
    const step = times.length / maxPoints
    const thinned = Array.from({ length: maxPoints - 1 }, (_, i) => times[Math.floor(i * step)]!)
    thinned.push(times[times.length - 1]!)
    times = [...new Set(thinned)]
  }
  const result: AggregateSeries = {
    times,
    valid: new Array<number>(times.length).fill(0),
    production: new Array<number>(times.length).fill(0),
    invalid: new Array<number>(times.length).fill(0),
    other: new Array<number>(times.length).fill(0),
    expected,
    workflows: tracks.length,
    skipped
  }
  for (const track of tracks) {
    let cursor = -1
    for (let index = 0; index < times.length; index++) {
      const time = times[index]!
      while (cursor + 1 < track.times.length && track.times[cursor + 1]! <= time) cursor++
      if (cursor < 0) continue
      const value = track.values[cursor]!
      const type = track.types[cursor]!
      const bucket = type === 'VALID' ? result.valid : type === 'PRODUCTION' ? result.production
        : type === 'INVALID' || type === 'DELETED' ? result.invalid : result.other
      bucket[index]! += value
    }
  }
  return result
}
