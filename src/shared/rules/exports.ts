/**
 * Exports of a search: the seed's Markdown table, JSON and CSV. Pure, shared by main and tests.
 * The documents come straight from the store, so every field is read defensively: a document that
 * does not fit the schema is exported (never dropped), as text, and cannot make an export fail or
 * smuggle a formula or a link into it.
 */
import type { WorkflowDoc } from '../stats2-doc'
import type { ExportFile, ExportFormat } from '../ipc-contract'
import { datasetCompletions, expectedTotal } from './completion'
import { dasDatasetLink, reqmgrLink } from './links'

/** Lone UTF-16 surrogates (not text) as U+FFFD, so files are valid UTF-8. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}

/** Any stored value as one line of text: strings as they are, anything else as JSON. */
function asText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'string') return wellFormed(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  try {
    return wellFormed(JSON.stringify(value) ?? '')
  } catch {
    return ''
  }
}

/**
 * Markdown-safe text for a table cell or link text: backslash, `[`, `]`, `|`, backticks and `<`
 * are escaped (no nested links, no cell breaks, no code spans, no HTML); line breaks become spaces.
 */
export function mdEscape(text: string): string {
  return wellFormed(text).replace(/[\r\n]+/g, ' ').replace(/[\\`[\]|<]/g, (char) => `\\${char}`)
}

function mdLink(text: string, url: string): string {
  // encodeURIComponent leaves ( ) as they are: a `)` would end the link target early.
  return `[${mdEscape(text)}](${url.replace(/\(/g, '%28').replace(/\)/g, '%29')})`
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** RequestName, InputDataset and OutputDatasets, each linked (ReqMgr2, DAS). */
export function toMarkdown(docs: readonly WorkflowDoc[]): string {
  const lines = ['| RequestName | InputDataset | OutputDatasets |', '| --- | --- | --- |']
  for (const doc of docs as readonly unknown[]) {
    const record = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>
    const name = asText(record._id)
    const inputValue = record.InputDataset
    // A non-string InputDataset (a stored object) is shown as text, not linked.
    const input = typeof inputValue === 'string' ? (inputValue ? mdLink(inputValue, dasDatasetLink(inputValue)) : '') : mdEscape(asText(inputValue))
    const outputs = strings(record.OutputDatasets).map((dataset) => mdLink(dataset, dasDatasetLink(dataset))).join('<br>')
    lines.push(`| ${name ? mdLink(name, reqmgrLink(name)) : ''} | ${input} | ${outputs} |`)
  }
  return lines.join('\n') + '\n'
}

export function toJson(docs: readonly WorkflowDoc[]): string {
  return JSON.stringify(docs, null, 2) + '\n'
}

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (OWASP CSV injection: starting with
 * = + - @ tab or CR, after any leading spaces) is prefixed with `'` and quoted; numbers we wrote
 * ourselves are left as numbers.
 */
export function csvCell(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  const text = asText(value)
  if (/^[\s]*[=+\-@\t\r]/.test(text)) return `"'${text.replace(/"/g, '""')}"`
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export const CSV_COLUMNS = [
  'RequestName', 'PrepID', 'RequestType', 'Status', 'RequestPriority', 'Campaigns', 'ExpectedUnit', 'Expected',
  'OutputDataset', 'Type', 'Events', 'Lumis', 'Size', 'CompletionPercent', 'LastUpdate'
] as const

type CsvValue = string | number | undefined

/** The dataset columns of one workflow; empty when its history cannot be read. */
function datasetRows(doc: WorkflowDoc): CsvValue[][] {
  try {
    const completions = datasetCompletions(doc)
    if (completions.length > 0) {
      return completions.map((c) => [asText(c.dataset), asText(c.type), c.events, c.lumis, c.size, c.percent === undefined ? '' : c.percent.toFixed(2)])
    }
  } catch {
    // a history that is not a list of entries: the workflow's own columns are still exported
  }
  return [['', '', '', '', '', '']]
}

/** One row per output dataset (a workflow without outputs gets one row with the dataset columns empty). */
export function toCsv(docs: readonly WorkflowDoc[]): string {
  const rows: string[] = [CSV_COLUMNS.join(',')]
  for (const doc of docs) {
    const transitions = Array.isArray(doc.RequestTransition) ? doc.RequestTransition : []
    const status = (transitions[transitions.length - 1] as { Status?: unknown } | undefined)?.Status
    let expected: { unit: string; total: unknown } = { unit: '', total: '' }
    try {
      expected = expectedTotal(doc)
    } catch {
      // left empty
    }
    const campaigns = Array.isArray(doc.Campaigns) ? doc.Campaigns.map(asText).join(' ') : asText(doc.Campaigns)
    const base: unknown[] = [doc._id, doc.PrepID, doc.RequestType, status, doc.RequestPriority, campaigns, expected.unit, expected.total]
    for (const datasetRow of datasetRows(doc)) {
      rows.push([...base, ...datasetRow, doc.LastUpdate].map(csvCell).join(','))
    }
  }
  return rows.join('\r\n') + '\r\n'
}

/** The export of a search's workflows as a file (desktop and the served dashboard alike). */
export function searchExportFile(text: string, docs: readonly WorkflowDoc[], format: ExportFormat): ExportFile {
  const base = `stats2-${(text || 'all').replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80)}`
  switch (format) {
    case 'markdown':
      return { filename: `${base}.md`, mimeType: 'text/markdown', content: toMarkdown(docs) }
    case 'csv':
      return { filename: `${base}.csv`, mimeType: 'text/csv', content: toCsv(docs) }
    case 'json':
      return { filename: `${base}.json`, mimeType: 'application/json', content: toJson(docs) }
  }
}

/** One stored document as a JSON file; any stored name may arrive (spaces, `/`, `..`), the file name keeps safe characters only. */
export function workflowExportFile(name: string, doc: unknown): ExportFile {
  const filename = `${name.replace(/[^A-Za-z0-9_.+-]+/g, '_').replace(/^\.+/, '_').slice(0, 200)}.json`
  return { filename, mimeType: 'application/json', content: JSON.stringify(doc, null, 2) + '\n' }
}
