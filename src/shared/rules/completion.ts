/** Completion of a workflow's output datasets (spec §9). Pure; used by the renderer and exports. */
import type { DatasetStat, HistoryEntry, WorkflowDoc } from '../stats2-doc'

export type CompletionUnit = 'events' | 'lumis'

/** Lumi-based progress (spec §3): ReReco or Resubmission with a non-empty LumiList and truthy TotalInputLumis. */
export function usesLumis(doc: Pick<WorkflowDoc, 'RequestType' | 'LumiList' | 'TotalInputLumis'>): boolean {
  const type = doc.RequestType
  const lumiList = doc.LumiList
  return (
    (type === 'ReReco' || type === 'Resubmission') &&
    typeof lumiList === 'object' && lumiList !== null && Object.keys(lumiList).length > 0 &&
    Boolean(doc.TotalInputLumis)
  )
}

export function newestEntry(history: readonly HistoryEntry[] | undefined): HistoryEntry | undefined {
  let newest: HistoryEntry | undefined
  for (const entry of history ?? []) if (!newest || (entry.Time ?? 0) >= (newest.Time ?? 0)) newest = entry
  return newest
}

export interface DatasetCompletion {
  dataset: string
  type: string
  events: number
  lumis: number
  size: number
  /** Done ÷ expected in percent (not capped: over 100 % is worth seeing); undefined when nothing is expected. */
  percent: number | undefined
  unit: CompletionUnit
}

export function expectedTotal(doc: Pick<WorkflowDoc, 'RequestType' | 'LumiList' | 'TotalInputLumis' | 'TotalEvents'>): { unit: CompletionUnit; total: number } {
  return usesLumis(doc) ? { unit: 'lumis', total: doc.TotalInputLumis ?? -1 } : { unit: 'events', total: doc.TotalEvents }
}

export function percentOf(done: number, total: number): number | undefined {
  if (!(total > 0)) return undefined
  return (done / total) * 100
}

/** One row per output dataset, in the document's (tier) order, from the newest history entry. */
export function datasetCompletions(doc: WorkflowDoc): DatasetCompletion[] {
  const { unit, total } = expectedTotal(doc)
  const datasets: Record<string, DatasetStat> = newestEntry(doc.EventNumberHistory)?.Datasets ?? {}
  return (doc.OutputDatasets ?? []).map((dataset) => {
    const stat = datasets[dataset]
    const events = stat?.Events ?? 0
    const lumis = stat?.Lumis ?? 0
    return {
      dataset,
      type: stat?.Type ?? 'NONE',
      events,
      lumis,
      size: stat?.Size ?? 0,
      percent: percentOf(unit === 'lumis' ? lumis : events, total),
      unit
    }
  })
}

/** Bar colour class by dataset Type: PRODUCTION orange, VALID blue, INVALID/DELETED red, others dark. */
export function typeColour(type: string): 'production' | 'valid' | 'invalid' | 'other' {
  if (type === 'PRODUCTION') return 'production'
  if (type === 'VALID') return 'valid'
  if (type === 'INVALID' || type === 'DELETED') return 'invalid'
  return 'other'
}

/** `12.3 %` with one decimal under 100, none above. */
export function formatPercent(percent: number | undefined): string {
  if (percent === undefined) return '–'
  return percent >= 100 ? `${Math.floor(percent)} %` : `${(Math.floor(percent * 10) / 10).toFixed(1)} %`
}
