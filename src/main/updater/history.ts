/** Event history entries (spec §4) and how they are merged when two updaters wrote at once. */
import type { DatasetStat, HistoryEntry } from '../../shared/stats2-doc'
import { canonicalJson } from '../util/canonical-json'

/** What DBS says about one dataset during one run; `NONE` when DBS does not know it. */
export interface DatasetInfo {
  type: string
  events: number
  size: number
  lumis: number
}

export const UNKNOWN_DATASET: DatasetInfo = { type: 'NONE', events: 0, size: 0, lumis: 0 }

export function datasetStat(info: DatasetInfo, withLumis: boolean): DatasetStat {
  const stat: DatasetStat = { Type: info.type, Events: info.events, Size: info.size }
  if (withLumis) stat.Lumis = info.lumis
  return stat
}

/** A new entry over the workflow's distinct output datasets; undefined when it has none. */
export function newHistoryEntry(
  outputDatasets: readonly string[],
  infoOf: (dataset: string) => DatasetInfo,
  withLumis: boolean,
  time: number
): HistoryEntry | undefined {
  const distinct = [...new Set(outputDatasets)]
  if (distinct.length === 0) return undefined
  const Datasets: Record<string, DatasetStat> = {}
  for (const dataset of distinct) Datasets[dataset] = datasetStat(infoOf(dataset), withLumis)
  return { Time: time, Datasets }
}

function byTime(entries: readonly HistoryEntry[]): HistoryEntry[] {
  return [...entries].sort((a, b) => (a.Time ?? 0) - (b.Time ?? 0))
}

/**
 * Appends `entry` when its Datasets differ from the newest entry's (entries sorted by Time).
 * Returns the new history, or undefined when nothing changed.
 */
export function appendIfChanged(history: readonly HistoryEntry[], entry: HistoryEntry | undefined): HistoryEntry[] | undefined {
  if (!entry || Object.keys(entry.Datasets).length === 0) return undefined
  const sorted = byTime(history)
  const newest = sorted[sorted.length - 1]
  if (newest && canonicalJson(newest.Datasets) === canonicalJson(entry.Datasets)) return undefined
  sorted.push(entry)
  return sorted
}

/**
 * Union of two histories of one workflow (two updaters on one CouchDB): every entry of either side,
 * once, sorted by Time; an entry that only repeats the Datasets of the entry before it is dropped,
 * as the updater itself would not have appended it.
 */
export function mergeHistories(a: readonly HistoryEntry[], b: readonly HistoryEntry[]): HistoryEntry[] {
  const seen = new Set<string>()
  const union: HistoryEntry[] = []
  for (const entry of [...a, ...b]) {
    const key = canonicalJson(entry)
    if (seen.has(key)) continue
    seen.add(key)
    union.push(entry)
  }
  const merged: HistoryEntry[] = []
  let previous: string | undefined
  for (const entry of byTime(union)) {
    const datasets = canonicalJson(entry.Datasets)
    if (datasets === previous) continue
    merged.push(entry)
    previous = datasets
  }
  return merged
}

