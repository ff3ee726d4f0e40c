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
import { showBidiControls } from './bidi'

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

/** Everything a Markdown or CSV reader may take as a line break: CR, LF, VT, FF, FS/GS/RS, NEL, LS, PS. */
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = /[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+/g
// eslint-disable-next-line no-control-regex
const OTHER_CONTROLS = /[\u0000-\u0008\u000e-\u001b\u001f\u007f-\u0084\u0086-\u009f]/g

/**
 * Markdown-safe text for a table cell or link text: backslash, `[`, `]`, `|`, backticks and `<`
 * are escaped (no nested links, no cell breaks, no code spans, no HTML); line breaks become spaces,
 * other control characters U+FFFD, bidirectional controls visible marks (bidi.ts).
 */
export function mdEscape(text: string): string {
  return showBidiControls(wellFormed(text))
    .replace(LINE_BREAKS, ' ')
    .replace(OTHER_CONTROLS, '\uFFFD')
    .replace(/[\\`[\]|<]/g, (char) => `\\${char}`)
}

/**
 * A link target safe inside `(…)` of a Markdown link: characters outside plain URL text (spaces,
 * brackets, parentheses, `<>`, backticks, `|`, controls, non-ASCII) percent-encoded, so the target
 * cannot end early or carry a second link. Plain dataset and workflow names are left as they are.
 */
export function mdLinkTarget(url: string): string {
  // encodeURIComponent leaves ( ) ! ' * as they are: ASCII is encoded by hand.
  return wellFormed(url).replace(/[^A-Za-z0-9\-._~:/?#@!$&'*+,;=%]/gu, (char) =>
    char.length === 1 && char.charCodeAt(0) < 0x80 ? `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(char))
}

function mdLink(text: string, url: string): string {
  return `[${mdEscape(text)}](${mdLinkTarget(url)})`
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

const MARKDOWN_HEADER = '| RequestName | InputDataset | OutputDatasets |\n| --- | --- | --- |\n'

/** One table line per document, each ending with a line break. */
function markdownRows(docs: readonly WorkflowDoc[]): string {
  let text = ''
  for (const doc of docs as readonly unknown[]) {
    const record = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>
    const name = asText(record._id)
    const inputValue = record.InputDataset
    // A non-string InputDataset (a stored object) is shown as text, not linked.
    const input = typeof inputValue === 'string' ? (inputValue ? mdLink(inputValue, dasDatasetLink(inputValue)) : '') : mdEscape(asText(inputValue))
    const outputs = strings(record.OutputDatasets).map((dataset) => mdLink(dataset, dasDatasetLink(dataset))).join('<br>')
    text += `| ${name ? mdLink(name, reqmgrLink(name)) : ''} | ${input} | ${outputs} |\n`
  }
  return text
}

/** RequestName, InputDataset and OutputDatasets, each linked (ReqMgr2, DAS). */
export function toMarkdown(docs: readonly WorkflowDoc[]): string {
  return MARKDOWN_HEADER + markdownRows(docs)
}

/** The documents as elements of an indented JSON array (`JSON.stringify(docs, null, 2)` without the brackets). */
function jsonElements(docs: readonly WorkflowDoc[]): string {
  return docs.map((doc) => `  ${JSON.stringify(doc, null, 2).replace(/\n/g, '\n  ')}`).join(',\n')
}

export function toJson(docs: readonly WorkflowDoc[]): string {
  return docs.length === 0 ? '[]\n' : `[\n${jsonElements(docs)}\n]\n`
}

/** What a spreadsheet may skip before reading a formula: white space, controls, format characters (zero-width, bidi). */
const CSV_LEADING_INVISIBLE = /^[\s\p{Cc}\p{Cf}\p{Z}]*/u
/** Formula starts, full-width and small forms included (`＝＋－＠`, `﹢﹣`, the minus sign). */
const CSV_FORMULA_START = /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE62\uFE63\u2212]/
/** A cell that starts with a control or format character (tab, CR, NEL, U+001C, U+200B, …) is guarded whatever follows. */
const CSV_INVISIBLE_START = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u
/** Quoted: the separators of both CSV dialects (`,` and `;`), quotes and anything a reader may take as a line break. */
// eslint-disable-next-line no-control-regex
const CSV_NEEDS_QUOTES = /[",;\r\n\v\f\x1c-\x1e\x85\u2028\u2029]/

/**
 * One CSV cell. Text that a spreadsheet could run as a formula (OWASP CSV injection: starting with
 * = + - @ or their full-width forms after any leading spaces, controls or invisible characters, or
 * starting with a control or format character at all) is prefixed with `'` and quoted; cells with
 * `,` or `;` (the separator of either dialect), quotes or line breaks are quoted; bidirectional
 * controls are shown as visible marks (bidi.ts). Numbers we wrote ourselves are left as numbers.
 */
export function csvCell(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  const text = showBidiControls(asText(value))
  const quoted = (): string => text.replace(/"/g, '""')
  if (CSV_INVISIBLE_START.test(text) || CSV_FORMULA_START.test(text.replace(CSV_LEADING_INVISIBLE, ''))) return `"'${quoted()}"`
  return CSV_NEEDS_QUOTES.test(text) ? `"${quoted()}"` : text
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

/** One line per output dataset (a workflow without outputs gets one with the dataset columns empty), each ending with CRLF. */
function csvRows(docs: readonly WorkflowDoc[]): string {
  let text = ''
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
      text += [...base, ...datasetRow, doc.LastUpdate].map(csvCell).join(',') + '\r\n'
    }
  }
  return text
}

export function toCsv(docs: readonly WorkflowDoc[]): string {
  return CSV_COLUMNS.join(',') + '\r\n' + csvRows(docs)
}

const EXPORT_TYPES: Record<ExportFormat, { extension: string; mimeType: string }> = {
  markdown: { extension: 'md', mimeType: 'text/markdown' },
  csv: { extension: 'csv', mimeType: 'text/csv' },
  json: { extension: 'json', mimeType: 'application/json' }
}

/**
 * A search's export built a page of documents at a time, so that only the text is kept, not every
 * document; `add` in result order, then `file()`. `length` is the text's length so far (callers cap it).
 */
export class SearchExport {
  private readonly parts: string[] = []
  private documents = 0
  length = 0

  constructor(private readonly text: string, private readonly format: ExportFormat) {}

  add(docs: readonly WorkflowDoc[]): this {
    if (docs.length === 0) return this
    const part = this.format === 'markdown' ? markdownRows(docs) : this.format === 'csv' ? csvRows(docs) : (this.documents > 0 ? ',\n' : '') + jsonElements(docs)
    this.documents += docs.length
    this.parts.push(part)
    this.length += part.length
    return this
  }

  file(): ExportFile {
    const { extension, mimeType } = EXPORT_TYPES[this.format]
    const body = this.parts.join('')
    const content = this.format === 'markdown' ? MARKDOWN_HEADER + body
      : this.format === 'csv' ? CSV_COLUMNS.join(',') + '\r\n' + body
        : this.documents === 0 ? '[]\n' : `[\n${body}\n]\n`
    return { filename: `stats2-${(this.text || 'all').replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80)}.${extension}`, mimeType, content }
  }
}

/** The export of a search's workflows as a file (desktop and the served dashboard alike). */
export function searchExportFile(text: string, docs: readonly WorkflowDoc[], format: ExportFormat): ExportFile {
  return new SearchExport(text, format).add(docs).file()
}

/** One stored document as a JSON file; any stored name may arrive (spaces, `/`, `..`), the file name keeps safe characters only. */
export function workflowExportFile(name: string, doc: unknown): ExportFile {
  const filename = `${name.replace(/[^A-Za-z0-9_.+-]+/g, '_').replace(/^\.+/, '_').slice(0, 200)}.json`
  return { filename, mimeType: 'application/json', content: JSON.stringify(doc, null, 2) + '\n' }
}
