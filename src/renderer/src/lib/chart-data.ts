/**
 * Chart.js datasets built from stored history. Pure and exported, so a test can compare what the
 * charts draw with the documents: one line per output dataset with a point per history entry
 * (x = entry Time in unix seconds, y = Events, or Lumis for lumi-based workflows; beyond
 * CHART_MAX_POINTS min-max decimated), plus the expected total as a horizontal line.
 */
import type { ChartDataset } from 'chart.js'
import type { WorkflowDoc } from '../../../shared/stats2-doc'
import { workflowSeries, type AggregateSeries, type WorkflowSeries } from '../../../shared/rules/series'
import type { CompletionUnit } from '../../../shared/rules/completion'
import { tierOf } from '../../../shared/rules/tiers'
import { decimateIndices } from '../../../shared/rules/decimate'
import { groupDigits } from '../../../shared/rules/size'
import { LIGHT_CHART_COLOURS, colourOfType, withAlpha, type ChartColours } from './colours'

export interface XY {
  x: number
  y: number
}

/** A line dataset with what the legend and tooltips need on top. */
export type Stats2LineDataset = ChartDataset<'line', XY[]> & {
  label: string
  data: XY[]
  stats2: {
    kind: 'dataset' | 'expected' | 'type'
    /** The output dataset (kind 'dataset'). */
    dataset?: string
    /** Type of each point (kind 'dataset'). */
    types?: string[]
    /** Unix seconds the trend reaches the expected total (kind 'dataset'). */
    eta?: number
    /** The Type bucket (kind 'type'). */
    type?: 'VALID' | 'PRODUCTION' | 'INVALID' | 'other'
  }
}

export interface WorkflowChartData {
  unit: CompletionUnit
  expected?: number
  datasets: Stats2LineDataset[]
  /** Earliest and latest history time, undefined without history. */
  range?: { min: number; max: number }
}

/** Lines of up to this many points draw a dot per point, coloured by its Type. */
export const DOTS_UP_TO = 200

export function chartDataFromSeries(series: WorkflowSeries, colours: ChartColours = LIGHT_CHART_COLOURS): WorkflowChartData {
  const datasets: Stats2LineDataset[] = []
  let min = Infinity
  let max = -Infinity
  series.datasets.forEach((item, index) => {
    if (item.points.length === 0) return
    const colour = colours.series[index % colours.series.length]!
    // Long histories are decimated (extremes, first and last kept): the chart draws at most
    // CHART_MAX_POINTS per line, whatever the history length.
    const points = decimateIndices(item.points.map((point) => point.v)).map((i) => item.points[i]!)
    const types = points.map((point) => point.type)
    for (const point of points) {
      min = Math.min(min, point.t)
      max = Math.max(max, point.t)
    }
    const typeColours = types.map((type) => colourOfType(type, colours.types))
    const dots = points.length <= DOTS_UP_TO
    datasets.push({
      label: item.dataset,
      data: points.map((point) => ({ x: point.t, y: point.v })),
      borderColor: colour,
      backgroundColor: colour,
      // A colour per point makes Chart.js resolve every point's options one by one (about 40 ms for
      // 3 000 points): only where the points are drawn; the hovered point shows its Type either way.
      pointBackgroundColor: dots ? typeColours : colour,
      pointBorderColor: dots ? typeColours : colour,
      pointHoverBackgroundColor: typeColours,
      pointHoverBorderColor: typeColours,
      pointRadius: dots ? 2.5 : 0,
      pointHoverRadius: 5,
      borderWidth: 2,
      tension: 0,
      fill: false,
      stats2: { kind: 'dataset', dataset: item.dataset, types, ...(item.eta !== undefined ? { eta: item.eta } : {}) }
    })
  })
  const range = datasets.length > 0 ? { min, max } : undefined
  if (series.expected !== undefined && range) {
    // Across the whole axis, also when it is framed around a single moment.
    const span = timeAxisBounds(range) ?? range
    datasets.push({
      label: `Expected: ${groupDigits(series.expected)} ${series.unit}`,
      data: [{ x: span.min, y: series.expected }, { x: span.max, y: series.expected }],
      borderColor: colours.expected,
      backgroundColor: colours.expected,
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      pointHoverRadius: 0,
      pointStyle: 'line',
      fill: false,
      stats2: { kind: 'expected' }
    })
  }
  return { unit: series.unit, ...(series.expected !== undefined ? { expected: series.expected } : {}), datasets, ...(range ? { range } : {}) }
}

/** Half the time axis shown around a single moment (one history entry, or entries in the same second). */
export const SINGLE_MOMENT_MARGIN_SECONDS = 3600

/**
 * Fixed bounds for the time axis when the history is one moment: left alone, Chart.js stretches a
 * zero-width range of unix seconds over years (2024 to 2029 around a single dot). Undefined when the
 * data spans time and the axis can fit it by itself.
 */
export function timeAxisBounds(range: { min: number; max: number } | undefined): { min: number; max: number } | undefined {
  if (!range || range.max > range.min) return undefined
  return { min: range.min - SINGLE_MOMENT_MARGIN_SECONDS, max: range.max + SINGLE_MOMENT_MARGIN_SECONDS }
}

/** The workflow chart: events (or lumis) per output dataset over time, and the expected total. */
export function workflowChartData(doc: WorkflowDoc, colours: ChartColours = LIGHT_CHART_COLOURS): WorkflowChartData {
  return chartDataFromSeries(workflowSeries(doc), colours)
}

export const BUCKETS = [
  { key: 'valid', type: 'VALID', label: 'VALID (done)' },
  { key: 'production', type: 'PRODUCTION', label: 'PRODUCTION (produced)' },
  { key: 'invalid', type: 'INVALID', label: 'INVALID / DELETED' },
  { key: 'other', type: 'other', label: 'Other types' }
] as const

/** pMp-like stacked areas (VALID at the bottom, then PRODUCTION, INVALID, other) and the expected line. */
export function searchChartData(series: AggregateSeries, colours: ChartColours = LIGHT_CHART_COLOURS): Stats2LineDataset[] {
  const datasets: Stats2LineDataset[] = BUCKETS.map((bucket, index) => ({
    label: bucket.label,
    data: series.times.map((time, i) => ({ x: time, y: series[bucket.key][i] ?? 0 })),
    borderColor: colours.types[bucket.key],
    backgroundColor: withAlpha(colours.types[bucket.key], 0.55),
    borderWidth: 1,
    // A single moment draws no area: show it as points.
    pointRadius: series.times.length === 1 ? 4 : 0,
    pointHoverRadius: 3,
    pointStyle: 'rect',
    tension: 0,
    stack: 'progress',
    fill: index === 0 ? 'origin' : '-1',
    stats2: { kind: 'type', type: bucket.type }
  }))
  if (series.times.length > 0 && series.expected > 0) {
    const first = series.times[0]!
    const last = series.times[series.times.length - 1]!
    datasets.push({
      label: `Expected: ${groupDigits(series.expected)} events`,
      data: first === last ? [{ x: first, y: series.expected }] : [{ x: first, y: series.expected }, { x: last, y: series.expected }],
      borderColor: colours.total,
      backgroundColor: colours.total,
      borderDash: [6, 4],
      borderWidth: 1.5,
      pointRadius: 0,
      pointHoverRadius: 0,
      pointStyle: 'line',
      stack: 'expected',
      fill: false,
      stats2: { kind: 'expected' }
    })
  }
  return datasets
}

/**
 * Short legend text for a dataset line: its tier (plus the processed dataset when two outputs share
 * a tier), and the ETA when there is one (and `formatEta` is given).
 */
export function legendLabel(dataset: Stats2LineDataset, formatEta: ((eta: number) => string) | undefined, all: readonly Stats2LineDataset[] = []): string {
  if (dataset.stats2.kind !== 'dataset' || !dataset.stats2.dataset) return dataset.label
  const name = dataset.stats2.dataset
  const tier = tierOf(name)
  const shared = all.some((other) => other !== dataset && other.stats2.kind === 'dataset' && other.stats2.dataset && tierOf(other.stats2.dataset) === tier)
  const processed = name.split('/')[2] ?? ''
  const short = processed.length > 40 ? `${processed.slice(0, 38)}…` : processed
  const eta = dataset.stats2.eta !== undefined && formatEta ? ` · ETA ${formatEta(dataset.stats2.eta)}` : ''
  return `${tier}${shared ? ` (${short})` : ''}${eta}`
}
