/**
 * `/md`: the matches as a Markdown table (RequestName, InputDataset, OutputDatasets), laid out as the
 * old service's table (a "pipe" table: columns padded to their widest line, at least the header plus
 * two, left-aligned `:---` rules; a multi-line cell continues on the following lines). Cells come from
 * the row view model (read-model.ts `rowOf`); every value is Markdown- and HTML-escaped (link text
 * cannot close its link, start another, split a cell or a row; bidirectional controls are visible) and
 * every link target percent-encodes what could end it. Plain names and datasets come out exactly as
 * the old table wrote them.
 */
import type { WorkflowRow } from '../../shared/search-types'
import type { WorkflowDoc } from '../../shared/stats2-doc'
import { rowOf } from '../read-model/read-model'
import { mdEscape, mdLinkTarget } from '../../shared/rules/exports'

const HEADERS = ['RequestName', 'InputDataset', 'OutputDatasets'] as const

/**
 * DAS's dataset page with the name unencoded, exactly as the old table wrote it (stats2-web.md); dataset
 * names are `/A/B/C` of plain characters, which DAS reads either way. (The HTML page encodes it.)
 */
export const MD_DAS_PREFIX = 'https://cmsweb.cern.ch/das/request?view=list&limit=50&instance=prod%2Fglobal&input=dataset%3D'
const das = (dataset: string): string => `${MD_DAS_PREFIX}${dataset}`

/** The Stats2 page of one workflow on the public service. */
export function stats2WorkflowLink(publicUrl: string, name: string): string {
  return `${publicUrl}/?workflow_name=${name}`
}

const link = (label: string, url: string): string => `[${mdEscape(label)}](${mdLinkTarget(url)})`

/** The three cells of one workflow, each a list of lines. */
function cells(row: WorkflowRow, publicUrl: string): string[][] {
  const name = row.name
  const invalid = row.invalid ? ` (invalid document: ${mdEscape((row.issues ?? []).slice(0, 3).join('; '))})` : ''
  return [
    [name ? `${link(name, stats2WorkflowLink(publicUrl, name))}${invalid}` : invalid.trim()],
    [row.inputDataset ? link(row.inputDataset, das(row.inputDataset)) : ''],
    row.datasets.length > 0 ? row.datasets.map(({ dataset }) => `- ${link(dataset, das(dataset))}`) : ['']
  ]
}

/** The table built a workflow at a time (each id once, first occurrence): only its cells are kept. */
export class MarkdownTable {
  private readonly seen = new Set<string>()
  private readonly rows: string[][][] = []

  constructor(private readonly publicUrl: string) {}

  add(id: string, row: WorkflowRow): void {
    if (this.seen.has(id)) return
    this.seen.add(id)
    this.rows.push(cells(row, this.publicUrl))
  }

  /** The table; '' for no match. */
  text(): string {
    if (this.rows.length === 0) return ''
    const widths = HEADERS.map((header, column) =>
      Math.max(header.length + 2, ...this.rows.flatMap((row) => row[column]!.map((line) => line.length)))
    )
    const line = (values: readonly string[]): string => `| ${values.map((value, column) => value.padEnd(widths[column]!)).join(' | ')} |`
    const out = [line(HEADERS), `|${widths.map((width) => `:${'-'.repeat(width + 1)}`).join('|')}|`]
    for (const row of this.rows) {
      const height = Math.max(...row.map((cell) => cell.length))
      for (let index = 0; index < height; index++) out.push(line(row.map((cell) => cell[index] ?? '')))
    }
    return out.join('\n')
  }
}

/** The table of these documents (each id once). */
export function markdownTable(docs: readonly WorkflowDoc[], publicUrl: string): string {
  const table = new MarkdownTable(publicUrl)
  for (const doc of docs) table.add(doc._id, rowOf(doc, doc._id))
  return table.text()
}
