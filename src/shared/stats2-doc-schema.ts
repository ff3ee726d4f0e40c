/**
 * The stored workflow document (`stats2-doc.ts`, spec §2) as a schema, checked where documents
 * leave main for the renderer (search results, getWorkflow). A document from a shared CouchDB can
 * hold anything; one that does not fit becomes an `InvalidWorkflow` (raw JSON and the reasons)
 * instead of reaching React, where an object PrepID or a 1e20 time would blank the whole page.
 *
 * Tolerant where the old Stats2 wrote or tolerated odd values: TotalInputLumis null, a null
 * PrepID/InputDataset/ProcessingString (left out), RequestPriority null (a NaN the old code
 * stored; read as 0), Campaigns/Requests lists of anything (only strings are shown), fields the
 * dashboard never shows (SizePerEvent, TimePerEvent, CMSSWVersion, AcquisitionEra) of any type.
 */
import { z } from 'zod'
import { RAW_JSON_LIMIT, type InvalidWorkflow, type ValidWorkflow, type WorkflowView } from './workflow-view'

/** A UTF-16 half without its other half: not text (encodeURIComponent throws on it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Unix seconds a Date can show (±8.64e15 ms); negative times are not Stats2 times. */
const MAX_SECONDS = 8.64e12

const unixSeconds = z.number().min(0, 'is a negative time').max(MAX_SECONDS, 'is not a time in seconds')
/** Optional text that the old Stats2 sometimes stored as null: null reads as absent. */
const optionalText = z.string().nullish().transform((value) => value ?? undefined)
/** A field the dashboard does not show: kept only when it has the documented type. */
const shownIfNumber = z.unknown().transform((value) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)).optional()
const shownIfString = z.unknown().transform((value) => (typeof value === 'string' ? value : undefined)).optional()

export const datasetStatSchema = z.object({
  Type: z.string(),
  Events: z.number(),
  Size: z.number(),
  Lumis: z.number().optional()
})

export const historyEntrySchema = z.object({
  Time: unixSeconds,
  Datasets: z.record(z.string(), datasetStatSchema)
})

export const transitionSchema = z.object({
  Status: z.string(),
  UpdateTime: unixSeconds
})

export const workflowDocSchema = z.object({
  _id: z.string().min(1, 'is empty'),
  _rev: z.string().optional(),
  AcquisitionEra: z.unknown().optional(),
  CMSSWVersion: shownIfString,
  Campaigns: z.array(z.unknown()).default([]),
  EventNumberHistory: z.array(historyEntrySchema).default([]),
  InputDataset: optionalText,
  LastUpdate: unixSeconds.optional(),
  // Only its size matters to the dashboard (lumi-based or not); the ranges are not shown.
  LumiList: z.record(z.string(), z.array(z.unknown())).optional(),
  OutputDatasets: z.array(z.string()).default([]),
  PrepID: optionalText,
  ProcessingString: optionalText,
  RequestName: optionalText,
  RequestPriority: z.number().nullish().transform((value) => value ?? 0),
  RequestTransition: z.array(transitionSchema).default([]),
  RequestType: optionalText,
  Requests: z.array(z.unknown()).default([]),
  SizePerEvent: shownIfNumber,
  TimePerEvent: shownIfNumber,
  TotalEvents: z.number().default(-1),
  TotalInputLumis: z.number().nullable().default(-1)
})

const MAX_ISSUES = 5
const MAX_DEPTH = 64

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.length > 0 ? path.map((part) => printable(String(part))).join('.') : 'document'
}

/** Lone surrogates escaped as `\udXXX`, so the text can be shown and logged. */
export function printable(text: string): string {
  return LONE_SURROGATE.test(text) ? JSON.stringify(text).slice(1, -1) : text
}

/** Every string (values and keys) must be well-formed text; bounded depth. */
function textIssues(value: unknown, path: Array<string | number>, issues: string[], depth = 0): void {
  if (issues.length >= MAX_ISSUES) return
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) issues.push(`${pathText(path)}: contains a lone surrogate (not valid Unicode text)`)
    return
  }
  if (typeof value !== 'object' || value === null) return
  if (depth >= MAX_DEPTH) {
    issues.push(`${pathText(path)}: nested more than ${MAX_DEPTH} levels deep`)
    return
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => textIssues(item, [...path, index], issues, depth + 1))
    return
  }
  for (const [key, item] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) issues.push(`${pathText([...path, key])}: the key contains a lone surrogate`)
    textIssues(item, [...path, key], issues, depth + 1)
  }
}

function nameOf(doc: unknown): string {
  if (typeof doc !== 'object' || doc === null) return '(not a document)'
  const record = doc as Record<string, unknown>
  for (const key of ['_id', 'RequestName']) {
    const value = record[key]
    if (typeof value === 'string' && value !== '') return printable(value).slice(0, 300)
  }
  return '(no _id)'
}

export function rawJson(doc: unknown): string {
  let text: string
  try {
    // JSON.stringify escapes lone surrogates (well-formed JSON.stringify), so the text is safe to show.
    text = JSON.stringify(doc, null, 2) ?? String(doc)
  } catch {
    text = String(doc)
  }
  return text.length > RAW_JSON_LIMIT ? `${text.slice(0, RAW_JSON_LIMIT)}\n… (${(text.length - RAW_JSON_LIMIT).toLocaleString('en-US')} more characters)` : text
}

/** Cheap first pass (no allocation): is there any string or key that is not well-formed text? */
function mayHaveTextIssues(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value)
  if (typeof value !== 'object' || value === null) return false
  if (depth >= MAX_DEPTH) return true
  if (Array.isArray(value)) {
    for (const item of value) if (mayHaveTextIssues(item, depth + 1)) return true
    return false
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue
    if (LONE_SURROGATE.test(key) || mayHaveTextIssues((value as Record<string, unknown>)[key], depth + 1)) return true
  }
  return false
}

/**
 * The document as the renderer may show it, or `{invalid: true, issues, raw}`. Never throws:
 * whatever a store holds, the caller gets one of the two.
 */
export function toWorkflowView(doc: unknown): WorkflowView {
  try {
    const issues: string[] = []
    if (mayHaveTextIssues(doc)) textIssues(doc, [], issues)
    const parsed = workflowDocSchema.safeParse(doc)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issues.length >= MAX_ISSUES) break
        issues.push(`${pathText(issue.path)}: ${issue.message}`)
      }
    }
    if (issues.length === 0 && parsed.success) return parsed.data as ValidWorkflow
    return invalidWorkflow(doc, issues)
  } catch (error) {
    return invalidWorkflow(doc, [`could not be checked: ${error instanceof Error ? error.message : String(error)}`])
  }
}

export function invalidWorkflow(doc: unknown, issues: string[]): InvalidWorkflow {
  return { invalid: true, name: nameOf(doc), issues: issues.length > 0 ? issues : ['does not fit the document schema'], raw: rawJson(doc) }
}
