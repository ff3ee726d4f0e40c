/**
 * Reading a ReqMgr2 request document (spec §2, §3): which fields Stats2 takes, from where, and what
 * makes a document unusable. Pure functions; no I/O.
 */
import { sortByTier } from '../../shared/rules/tiers'
import type { Transition, WorkflowDoc } from '../../shared/stats2-doc'

export type RawRequest = Record<string, unknown>

/** ReqMgr2 answered something the updater cannot use; the workflow goes to the retry list with this reason. */
export class MalformedRequestError extends Error {
  override name = 'MalformedRequestError'
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Fields copied verbatim when present (spec §2). */
const COPIED_FIELDS = [
  'AcquisitionEra', 'CMSSWVersion', 'InputDataset', 'OutputDatasets', 'PrepID', 'ProcessingString',
  'RequestName', 'RequestPriority', 'RequestTransition', 'RequestType', 'LumiList', 'TotalInputLumis',
  'SizePerEvent', 'TimePerEvent'
] as const

/** Checks the parts of a ReqMgr2 document the updater relies on, naming what is wrong. */
export function assertUsableRequest(raw: unknown, name: string): asserts raw is RawRequest {
  if (!isRecord(raw)) {
    throw new MalformedRequestError(`ReqMgr2 document of ${name} is not a JSON object`)
  }
  if (!Array.isArray(raw.OutputDatasets)) {
    throw new MalformedRequestError(`ReqMgr2 document of ${name} has no OutputDatasets list`)
  }
  for (const dataset of flatten(raw.OutputDatasets)) {
    if (typeof dataset !== 'string') {
      throw new MalformedRequestError(`ReqMgr2 document of ${name} has a non-string output dataset: ${JSON.stringify(dataset)}`)
    }
  }
  if (raw.RequestTransition !== undefined) {
    if (!Array.isArray(raw.RequestTransition) || !raw.RequestTransition.every(isRecord)) {
      throw new MalformedRequestError(`ReqMgr2 document of ${name} has a malformed RequestTransition`)
    }
  }
  if (raw.RequestPriority !== undefined && !Number.isFinite(Number.parseInt(String(raw.RequestPriority), 10))) {
    throw new MalformedRequestError(`ReqMgr2 document of ${name} has a non-numeric RequestPriority: ${JSON.stringify(raw.RequestPriority)}`)
  }
  if (raw.RequestType !== undefined && typeof raw.RequestType !== 'string') {
    throw new MalformedRequestError(`ReqMgr2 document of ${name} has a non-string RequestType`)
  }
}

export function flatten(list: unknown[]): unknown[] {
  const out: unknown[] = []
  for (const element of list) {
    if (Array.isArray(element)) out.push(...flatten(element))
    else out.push(element)
  }
  return out
}

/** `Task1, Task2, …` or, when the document has a `StepChain` key, `Step1, Step2, …`, until one is missing. */
export function chainParts(raw: RawRequest): Record<string, unknown>[] {
  const prefix = 'StepChain' in raw ? 'Step' : 'Task'
  const parts: Record<string, unknown>[] = []
  for (let index = 1; ; index++) {
    const part = raw[`${prefix}${index}`]
    if (part === undefined) break
    parts.push(isRecord(part) ? part : {})
  }
  return parts
}

function firstPart(raw: RawRequest, key: 'Task1' | 'Step1'): Record<string, unknown> | undefined {
  const part = raw[key]
  return isRecord(part) ? part : undefined
}

/** Python truthiness of `x is not None and len(x) > 0` for what ReqMgr2 puts in Campaign/AcquisitionEra/PrepID. */
function hasLength(value: unknown): boolean {
  if (value === null || value === undefined) return false
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0
  if (isRecord(value)) return Object.keys(value).length > 0
  return false
}

export function campaignsOf(raw: RawRequest): unknown[] {
  const campaigns: unknown[] = []
  for (const part of chainParts(raw)) {
    if (hasLength(part.Campaign)) campaigns.push(part.Campaign)
    else if (hasLength(part.AcquisitionEra)) campaigns.push(part.AcquisitionEra)
  }
  if (campaigns.length === 0) {
    if (hasLength(raw.Campaign)) campaigns.push(raw.Campaign)
    else if (hasLength(raw.AcquisitionEra)) campaigns.push(raw.AcquisitionEra)
  }
  return campaigns
}

export function taskRequestsOf(raw: RawRequest): unknown[] {
  return chainParts(raw)
    .map((part) => part.PrepID)
    .filter(hasLength)
}

function fromTask1Step1OrTop(raw: RawRequest, key: string): { found: boolean; value: unknown } {
  for (const part of [firstPart(raw, 'Task1'), firstPart(raw, 'Step1')]) {
    if (part && key in part) return { found: true, value: part[key] }
  }
  return key in raw ? { found: true, value: raw[key] } : { found: false, value: undefined }
}

export function filterEfficiency(raw: RawRequest): number {
  const sources = [raw, firstPart(raw, 'Task1'), firstPart(raw, 'Step1')]
  const holder = sources.find((source) => source !== undefined && 'FilterEfficiency' in source)
  if (!holder) return 1
  const value = holder.FilterEfficiency
  const efficiency = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '') ? Number(value) : Number.NaN
  if (!Number.isFinite(efficiency)) {
    throw new MalformedRequestError(`FilterEfficiency is not a number: ${JSON.stringify(holder.FilterEfficiency)}`)
  }
  return efficiency
}

export function isResubmission(raw: RawRequest): boolean {
  return typeof raw.RequestType === 'string' && raw.RequestType.toLowerCase() === 'resubmission'
}

/** The LumiList of Task1/Step1 (or the top level when the input dataset comes from there). */
export type LumiMask = Record<string, [number, number][]>

export function toLumiMask(value: unknown): LumiMask | undefined {
  if (!isRecord(value) || Object.keys(value).length === 0) return undefined
  const mask: LumiMask = {}
  for (const [run, ranges] of Object.entries(value)) {
    if (!Array.isArray(ranges)) throw new MalformedRequestError(`LumiList run ${run} is not a list of ranges`)
    mask[run] = ranges.map((range) => {
      if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => Number.isInteger(n))) {
        throw new MalformedRequestError(`LumiList run ${run} has a malformed range: ${JSON.stringify(range)}`)
      }
      return [range[0] as number, range[1] as number]
    })
  }
  return mask
}

function toInt(value: unknown, what: string): number {
  const number = typeof value === 'string' ? Number(value.trim()) : value
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new MalformedRequestError(`${what} is not a number: ${JSON.stringify(value)}`)
  }
  return Math.trunc(number)
}

/** What the expected event total needs, before any network call (spec §3). */
export type ExpectedEventsPlan =
  | { kind: 'value'; events: number }
  | { kind: 'input-dataset'; dataset: string; lumiMask?: LumiMask }
  | { kind: 'resubmission'; prepId: string; efficiency: number }
  | { kind: 'unknown' }

export function planExpectedEvents(raw: RawRequest): ExpectedEventsPlan {
  const efficiency = filterEfficiency(raw)
  if (isResubmission(raw)) {
    return typeof raw.PrepID === 'string' && raw.PrepID.length > 0
      ? { kind: 'resubmission', prepId: raw.PrepID, efficiency }
      : { kind: 'unknown' }
  }
  const totalInputFiles = raw.TotalInputFiles
  if (typeof totalInputFiles === 'number' && totalInputFiles > 0 && 'TotalInputEvents' in raw) {
    return { kind: 'value', events: Math.floor(efficiency * toInt(raw.TotalInputEvents, 'TotalInputEvents')) }
  }
  if (raw.RequestNumEvents !== undefined && raw.RequestNumEvents !== null) {
    return { kind: 'value', events: toInt(raw.RequestNumEvents, 'RequestNumEvents') }
  }
  const task1 = firstPart(raw, 'Task1')
  const step1 = firstPart(raw, 'Step1')
  if (task1 && 'RequestNumEvents' in task1) return { kind: 'value', events: toInt(task1.RequestNumEvents, 'Task1.RequestNumEvents') }
  if (step1 && 'RequestNumEvents' in step1) return { kind: 'value', events: toInt(step1.RequestNumEvents, 'Step1.RequestNumEvents') }
  for (const part of [task1, step1]) {
    if (part && 'InputDataset' in part) {
      if (typeof part.InputDataset !== 'string') {
        throw new MalformedRequestError(`InputDataset of the first task is not a string: ${JSON.stringify(part.InputDataset)}`)
      }
      const lumiMask = toLumiMask(part.LumiList)
      return lumiMask ? { kind: 'input-dataset', dataset: part.InputDataset, lumiMask } : { kind: 'input-dataset', dataset: part.InputDataset }
    }
  }
  return { kind: 'unknown' }
}

/** The ReqMgr2 request-API answer for one PrepID: name → masked fields. */
export type PrepIdRequests = Record<string, Record<string, unknown>>

/** The first non-Resubmission request with a non-null value for `field` (spec §3). */
export function firstNonResubmissionValue(requests: PrepIdRequests | undefined, field: string): unknown {
  if (!requests) return undefined
  for (const fields of Object.values(requests)) {
    if (!isRecord(fields)) continue
    const type = fields.RequestType
    if (typeof type === 'string' && type.toLowerCase() !== 'resubmission' && fields[field] !== null && fields[field] !== undefined) {
      return fields[field]
    }
  }
  return undefined
}

export function resubmissionEvents(requests: PrepIdRequests | undefined, efficiency: number): number {
  const value = firstNonResubmissionValue(requests, 'TotalInputEvents')
  return value === undefined ? -1 : Math.floor(efficiency * toInt(value, 'TotalInputEvents of the original request'))
}

/**
 * Expected lumis of a Resubmission: the original request's TotalInputLumis; null (not -1) when no
 * non-Resubmission request with one exists, so that its history carries no Lumis (spec §3).
 */
export function resubmissionLumis(requests: PrepIdRequests | undefined): number | null {
  const value = firstNonResubmissionValue(requests, 'TotalInputLumis')
  return value === undefined ? null : toInt(value, 'TotalInputLumis of the original request')
}

export interface ExpectedTotals {
  events: number
  /** null when ReqMgr2's own TotalInputLumis is null, or a Resubmission's original has none. */
  lumis: number | null
}

/**
 * The stored workflow document for a ReqMgr2 document (spec §2), with the expected totals already
 * resolved. EventNumberHistory is carried over from the stored document by the caller.
 */
export function buildWorkflowDoc(raw: RawRequest, name: string, totals: ExpectedTotals): WorkflowDoc {
  const doc: Record<string, unknown> = {}
  for (const field of COPIED_FIELDS) {
    if (field in raw) doc[field] = raw[field]
  }
  const input = fromTask1Step1OrTop(raw, 'InputDataset')
  if (input.found) doc.InputDataset = input.value
  const processing = fromTask1Step1OrTop(raw, 'ProcessingString')
  if (processing.found) doc.ProcessingString = processing.value
  if (typeof doc.ProcessingString !== 'string') delete doc.ProcessingString
  if (doc.PrepID === null) delete doc.PrepID
  const transitions = Array.isArray(raw.RequestTransition) ? raw.RequestTransition : []
  doc.RequestTransition = transitions.map(
    (entry): Transition => ({ Status: (entry as Transition).Status, UpdateTime: (entry as Transition).UpdateTime })
  )
  doc.RequestPriority = raw.RequestPriority === undefined ? 0 : Number.parseInt(String(raw.RequestPriority), 10)
  doc.OutputDatasets = sortByTier(flatten(raw.OutputDatasets as unknown[]) as string[])
  doc.Campaigns = campaignsOf(raw)
  doc.Requests = taskRequestsOf(raw)
  doc.TotalEvents = totals.events
  doc.TotalInputLumis = totals.lumis
  doc.EventNumberHistory = []
  doc._id = name
  return doc as unknown as WorkflowDoc
}

/**
 * Expected lumis for a non-Resubmission: the document's TotalInputLumis as it is (ReqMgr2 leaves it
 * null until it has estimated it, and the old Stats2 stored that null), or -1 when absent.
 */
export function ownExpectedLumis(raw: RawRequest): number | null {
  if (!('TotalInputLumis' in raw)) return -1
  const value = raw.TotalInputLumis
  return value === null ? null : toInt(value, 'TotalInputLumis')
}
