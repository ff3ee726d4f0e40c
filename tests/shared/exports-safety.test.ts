/**
 * Exports are safe to open: CSV cells a spreadsheet would run as formulas are neutralised (OWASP
 * CSV injection), Markdown link text cannot break out of its link or cell, and documents that do
 * not fit the schema are exported as text instead of making the export fail.
 */
import { describe, expect, it } from 'vitest'
import { csvCell, mdEscape, toCsv, toMarkdown } from '../../src/shared/rules/exports'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

const doc = (over: Record<string, unknown>): WorkflowDoc => ({
  _id: 'pdmvserv_X_230627_101500_1111', Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0,
  RequestTransition: [], Requests: [], TotalEvents: -1, TotalInputLumis: -1, ...over
}) as WorkflowDoc

/** The cell as a spreadsheet reads it: unquoted, "" → ". */
function unquote(cell: string): string {
  return cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell
}

describe('CSV cells (OWASP CSV injection)', () => {
  const dangerous = [
    '=cmd|\' /C calc\'!A0', '+1+cmd|x', '-2+3+cmd|\' /C calc\'!A0', '@SUM(1+1)*cmd|x', '\t=1+1', '\r=1+1', '   =1+1', ' \t @x',
    '-1', '-', '=', '\t', '\r\n=HYPERLINK("https://evil.example")'
  ]
  for (const text of dangerous) {
    it(`neutralises ${JSON.stringify(text)}: prefixed with ' and quoted`, () => {
      const cell = csvCell(text)
      expect(cell.startsWith('"\'')).toBe(true)
      expect(cell.endsWith('"')).toBe(true)
      expect(unquote(cell)).toBe(`'${text}`)
    })
  }

  for (const text of ['pdmvserv_X', 'HIG-RunIII-00001', '/a/b-c/AODSIM', 'a=b', 'x+y', '']) {
    it(`leaves ${JSON.stringify(text)} as it is`, () => {
      expect(unquote(csvCell(text))).toBe(text)
    })
  }

  it('writes our own numbers as numbers (-1 stays -1), and quotes commas, quotes and line breaks', () => {
    expect(csvCell(-1)).toBe('-1')
    expect(csvCell(12.5)).toBe('12.5')
    expect(csvCell(Number.NaN)).toBe('')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('a\nb')).toBe('"a\nb"')
  })

  it('a whole export: a formula in any text field is neutralised, the numbers stay', () => {
    const csv = toCsv([doc({ PrepID: '-2+3+cmd|\' /C calc\'!A0', RequestType: ' =1+1', Campaigns: ['@evil', 'Run3'], TotalEvents: -1 })])
    const line = csv.split('\r\n')[1]!
    expect(line).toContain('"\'-2+3+cmd|\' /C calc\'!A0"')
    expect(line).toContain('"\' =1+1"')
    expect(line).toContain('"\'@evil Run3"')
    expect(line).toContain(',events,-1,')
  })
})

describe('Markdown export', () => {
  it('escapes link text: [ ] | backticks < and line breaks cannot break out of the link or the cell', () => {
    expect(mdEscape('a]b[c|d`e<f\\g\nh')).toBe('a\\]b\\[c\\|d\\`e\\<f\\\\g h')
    const md = toMarkdown([doc({ _id: 'x](https://evil.example)[y', InputDataset: '/in|put/`code`/<b>RAW', OutputDatasets: ['/o/p)q/AOD'] })])
    const row = md.split('\n')[2]!
    expect(row).toContain('[x\\](https://evil.example)\\[y](https://cmsweb.cern.ch/reqmgr2/fetch?rid=x%5D%28https')
    expect(row).toContain('[/in\\|put/\\`code\\`/\\<b>RAW](')
    expect(row).toContain('p%29q')
    expect(row).not.toContain('p)q/AOD)')
    // Still exactly three cells: no unescaped | inside.
    expect(row.split(/(?<!\\)\|/).length).toBe(5)
  })

  it('a non-string InputDataset, non-list outputs, a lone surrogate or a missing _id do not make it fail', () => {
    const md = toMarkdown([
      doc({ InputDataset: { dataset: '/a/b/RAW' } }),
      doc({ _id: 'b', InputDataset: 42, OutputDatasets: 'not a list' }),
      doc({ _id: 'c\ud800', InputDataset: ['/x|y'], OutputDatasets: ['/o/p/AOD', { no: 1 }] }),
      { Campaigns: null } as unknown as WorkflowDoc
    ])
    const rows = md.trim().split('\n').slice(2)
    expect(rows).toHaveLength(4)
    expect(rows[0]).toContain('{"dataset":"/a/b/RAW"}')
    expect(rows[1]).toContain('| 42 |')
    expect(rows[2]).toContain('c\ufffd')
    expect(rows[2]).toContain('\\|y')
    expect(Buffer.from(md, 'utf8').toString('utf8')).toBe(md)
  })

  it('CSV over hostile documents: every document gets a row, none makes it fail', () => {
    const csv = toCsv([
      doc({ PrepID: { $gt: '' }, RequestTransition: [{ Status: { x: 1 }, UpdateTime: 'now' }] }),
      doc({ _id: 'h', EventNumberHistory: { Time: 1 }, OutputDatasets: ['/o/p/AOD'], LastUpdate: 1e20 }),
      doc({ _id: 'i', Campaigns: 'Run3\ud800' })
    ])
    const rows = csv.trim().split('\r\n')
    expect(rows).toHaveLength(4)
    expect(rows[1]).toContain('"{""$gt"":""""}"')
    expect(rows[2]!.startsWith('h,')).toBe(true)
    expect(rows[3]).toContain('Run3\ufffd')
  })
})
