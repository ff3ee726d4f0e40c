/**
 * `/md`: the matches as a Markdown table (RequestName, InputDataset, OutputDatasets), laid out as the
 * old service's table (a "pipe" table: columns padded to their widest line, at least the header plus
 * two, left-aligned `:---` rules; a multi-line cell continues on the following lines).
 */
import type { WorkflowDoc } from '../../shared/stats2-doc'

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

/** Link text and target as the old table wrote them (names and datasets are plain path characters). */
function cells(doc: WorkflowDoc, publicUrl: string): string[][] {
  const name = typeof doc.RequestName === 'string' ? doc.RequestName : ''
  const input = typeof doc.InputDataset === 'string' ? doc.InputDataset : ''
  const outputs = Array.isArray(doc.OutputDatasets) ? doc.OutputDatasets.filter((d): d is string => typeof d === 'string') : []
  return [
    [name ? `[${name}](${stats2WorkflowLink(publicUrl, name)})` : ''],
    [input ? `[${input}](${das(input)})` : ''],
    outputs.length > 0 ? outputs.map((dataset) => `- [${dataset}](${das(dataset)})`) : ['']
  ]
}

/** Each workflow once (first occurrence), as a table; '' for no match. */
export function markdownTable(docs: readonly WorkflowDoc[], publicUrl: string): string {
  const seen = new Set<string>()
  const rows: string[][][] = []
  for (const doc of docs) {
    if (seen.has(doc._id)) continue
    seen.add(doc._id)
    rows.push(cells(doc, publicUrl))
  }
  if (rows.length === 0) return ''
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length + 2, ...rows.flatMap((row) => row[column]!.map((line) => line.length)))
  )
  const line = (values: readonly string[]): string => `| ${values.map((value, column) => value.padEnd(widths[column]!)).join(' | ')} |`
  const out = [line(HEADERS), `|${widths.map((width) => `:${'-'.repeat(width + 1)}`).join('|')}|`]
  for (const row of rows) {
    const height = Math.max(...row.map((cell) => cell.length))
    for (let index = 0; index < height; index++) out.push(line(row.map((cell) => cell[index] ?? '')))
  }
  return out.join('\n')
}
