/**
 * The row view model of one workflow (what a result row shows), built from a stored document of
 * any shape. Total: a document that does not fit the Stats2 shape (an object PrepID, a text
 * UpdateTime, a history that is not a list, …) gives a row marked `invalid` with the reasons in
 * `issues`, never an exception. Pure; used by the main process for search pages and by the
 * renderer for the detail panel's whole document.
 */
import type { WorkflowRow, WorkflowRowDataset, WorkflowRowStatus } from '../search-types'
import { percentOf, type CompletionUnit } from './completion'

type Json = Record<string, unknown>

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** Collects what does not fit, at most a few reasons (a broken document may be broken everywhere). */
class Issues {
  readonly list: string[] = []
  add(message: string): void {
    if (this.list.length < 10 && !this.list.includes(message)) this.list.push(message)
  }
}

function optionalString(doc: Json, field: string, issues: Issues): string | undefined {
  const value = doc[field]
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value === '' ? undefined : value
  issues.add(`${field} is ${describe(value)}, not text`)
  return undefined
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Distinct non-empty strings of a list field; other entries are reported. */
function stringList(doc: Json, field: string, issues: Issues): string[] {
  const value = doc[field]
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) {
    issues.add(`${field} is ${describe(value)}, not a list`)
    return []
  }
  const seen = new Set<string>()
  for (const item of value) {
    if (typeof item === 'string') {
      if (item !== '') seen.add(item)
    } else {
      issues.add(`${field} holds ${describe(item)}`)
    }
  }
  return [...seen]
}

function transitions(doc: Json, issues: Issues): WorkflowRowStatus[] {
  const value = doc.RequestTransition
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) {
    issues.add(`RequestTransition is ${describe(value)}, not a list`)
    return []
  }
  const list: WorkflowRowStatus[] = []
  for (const item of value) {
    if (!isRecord(item) || typeof item.Status !== 'string' || !isNumber(item.UpdateTime)) {
      issues.add('RequestTransition has an entry without a text Status and a numeric UpdateTime')
      continue
    }
    list.push({ status: item.Status, time: item.UpdateTime })
  }
  return list
}

/** Lumi-based progress (spec §3), on any shape: ReReco/Resubmission, non-empty LumiList, truthy TotalInputLumis. */
function unitOf(doc: Json, type: string | undefined): CompletionUnit {
  const lumiList = doc.LumiList
  const lumis = (type === 'ReReco' || type === 'Resubmission') && isRecord(lumiList) && Object.keys(lumiList).length > 0 && Boolean(doc.TotalInputLumis)
  return lumis ? 'lumis' : 'events'
}

/** The history entry with the greatest numeric Time (the last of equals, as `newestEntry`). */
function newestDatasets(doc: Json, issues: Issues): Json {
  const history = doc.EventNumberHistory
  if (history === undefined || history === null) return {}
  if (!Array.isArray(history)) {
    issues.add(`EventNumberHistory is ${describe(history)}, not a list`)
    return {}
  }
  let newest: Json | undefined
  let newestTime = -Infinity
  for (const entry of history) {
    if (!isRecord(entry) || !isNumber(entry.Time) || !isRecord(entry.Datasets)) {
      issues.add('EventNumberHistory has an entry without a numeric Time and Datasets')
      continue
    }
    if (entry.Time >= newestTime) {
      newest = entry
      newestTime = entry.Time
    }
  }
  return (newest?.Datasets as Json | undefined) ?? {}
}

function datasetRow(dataset: string, stat: unknown, unit: CompletionUnit, total: number, issues: Issues): WorkflowRowDataset {
  const row: WorkflowRowDataset = { dataset, type: 'NONE', events: 0, lumis: 0, size: 0, unit }
  if (stat !== undefined) {
    if (!isRecord(stat)) {
      issues.add(`the newest history of ${dataset} is ${describe(stat)}`)
    } else {
      if (typeof stat.Type === 'string') row.type = stat.Type
      for (const [field, key] of [['Events', 'events'], ['Lumis', 'lumis'], ['Size', 'size']] as const) {
        const value = stat[field]
        if (isNumber(value)) row[key] = value
        else if (value !== undefined && value !== null) issues.add(`${field} of ${dataset} is ${describe(value)}, not a number`)
      }
    }
  }
  const percent = percentOf(unit === 'lumis' ? row.lumis : row.events, total)
  if (percent !== undefined) row.percent = percent
  return row
}

/**
 * The row of `raw` (a stored document, or anything the store answered). `fallbackName` names the
 * row when the document has no usable name (the id the search found it under).
 */
export function workflowRow(raw: unknown, fallbackName = ''): WorkflowRow {
  const issues = new Issues()
  if (!isRecord(raw)) {
    return { name: fallbackName, priority: 0, expected: { unit: 'events', total: -1 }, requests: [], campaigns: [], datasets: [], historyLength: 0, invalid: true, issues: [`the stored document is ${describe(raw)}, not an object`] }
  }
  const doc = raw
  const name = optionalString(doc, 'RequestName', issues) ?? (typeof doc._id === 'string' ? doc._id : undefined) ?? fallbackName
  const requestType = optionalString(doc, 'RequestType', issues)
  const unit = unitOf(doc, requestType)
  const totalField = unit === 'lumis' ? 'TotalInputLumis' : 'TotalEvents'
  const totalValue = doc[totalField]
  let total = -1
  if (isNumber(totalValue)) total = totalValue
  else if (totalValue !== undefined && totalValue !== null) issues.add(`${totalField} is ${describe(totalValue)}, not a number`)
  const priority = isNumber(doc.RequestPriority) ? doc.RequestPriority : 0
  if (doc.RequestPriority !== undefined && doc.RequestPriority !== null && !isNumber(doc.RequestPriority)) issues.add(`RequestPriority is ${describe(doc.RequestPriority)}, not a number`)
  const lastUpdate = isNumber(doc.LastUpdate) ? doc.LastUpdate : undefined
  if (doc.LastUpdate !== undefined && doc.LastUpdate !== null && lastUpdate === undefined) issues.add(`LastUpdate is ${describe(doc.LastUpdate)}, not a number`)

  const outputs = stringList(doc, 'OutputDatasets', issues)
  const newest = newestDatasets(doc, issues)
  const datasets = outputs.map((dataset) => datasetRow(dataset, newest[dataset], unit, total, issues))
  const history = doc.EventNumberHistory

  const row: WorkflowRow = {
    name,
    priority,
    expected: { unit, total },
    requests: stringList(doc, 'Requests', issues),
    campaigns: stringList(doc, 'Campaigns', issues),
    datasets,
    historyLength: Array.isArray(history) ? history.length : 0
  }
  const statuses = transitions(doc, issues)
  if (statuses.length > 0) {
    row.firstStatus = statuses[0]
    if (statuses.length > 1) row.lastStatus = statuses[statuses.length - 1]
  }
  const prepId = optionalString(doc, 'PrepID', issues)
  if (prepId !== undefined) row.prepId = prepId
  if (requestType !== undefined) row.requestType = requestType
  if (lastUpdate !== undefined) row.lastUpdate = lastUpdate
  const processingString = optionalString(doc, 'ProcessingString', issues)
  if (processingString !== undefined) row.processingString = processingString
  const inputDataset = optionalString(doc, 'InputDataset', issues)
  if (inputDataset !== undefined) row.inputDataset = inputDataset
  if (issues.list.length > 0) {
    row.invalid = true
    row.issues = issues.list
  }
  return row
}
