/** Exports of a search: the seed's Markdown table, JSON and CSV. Pure, shared by main and tests. */
import type { WorkflowDoc } from '../stats2-doc'
import { datasetCompletions, expectedTotal } from './completion'
import { dasDatasetLink, reqmgrLink } from './links'

function mdEscape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\[/g, '\\[').replace(/\]/g, '\\]')
}

function mdLink(text: string, url: string): string {
  return `[${mdEscape(text)}](${url})`
}

/** RequestName, InputDataset and OutputDatasets, each linked (ReqMgr2, DAS). */
export function toMarkdown(docs: readonly WorkflowDoc[]): string {
  const lines = ['| RequestName | InputDataset | OutputDatasets |', '| --- | --- | --- |']
  for (const doc of docs) {
    const input = doc.InputDataset ? mdLink(doc.InputDataset, dasDatasetLink(doc.InputDataset)) : ''
    const outputs = (doc.OutputDatasets ?? []).map((dataset) => mdLink(dataset, dasDatasetLink(dataset))).join('<br>')
    lines.push(`| ${mdLink(doc._id, reqmgrLink(doc._id))} | ${input} | ${outputs} |`)
  }
  return lines.join('\n') + '\n'
}

export function toJson(docs: readonly WorkflowDoc[]): string {
  return JSON.stringify(docs, null, 2) + '\n'
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value)
  // Quote when needed; a leading = + - @ is prefixed so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export const CSV_COLUMNS = [
  'RequestName', 'PrepID', 'RequestType', 'Status', 'RequestPriority', 'Campaigns', 'ExpectedUnit', 'Expected',
  'OutputDataset', 'Type', 'Events', 'Lumis', 'Size', 'CompletionPercent', 'LastUpdate'
] as const

/** One row per output dataset (a workflow without outputs gets one row with the dataset columns empty). */
export function toCsv(docs: readonly WorkflowDoc[]): string {
  const rows: string[] = [CSV_COLUMNS.join(',')]
  for (const doc of docs) {
    const transitions = doc.RequestTransition ?? []
    const status = transitions[transitions.length - 1]?.Status ?? ''
    const { unit, total } = expectedTotal(doc)
    const base = [doc._id, doc.PrepID ?? '', doc.RequestType ?? '', status, doc.RequestPriority, (doc.Campaigns ?? []).join(' '), unit, total]
    const completions = datasetCompletions(doc)
    const datasetRows = completions.length > 0
      ? completions.map((c) => [c.dataset, c.type, c.events, c.lumis, c.size, c.percent === undefined ? '' : c.percent.toFixed(2)])
      : [['', '', '', '', '', '']]
    for (const datasetRow of datasetRows) {
      rows.push([...base, ...datasetRow, doc.LastUpdate ?? ''].map(csvCell).join(','))
    }
  }
  return rows.join('\r\n') + '\r\n'
}
