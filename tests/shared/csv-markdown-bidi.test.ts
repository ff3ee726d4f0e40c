/**
 * Issue 14, reproduction 10: CSV cells that start with characters a spreadsheet skips or reads as a
 * line break (NEL, U+001C, a zero-width space…) or with full-width formula signs are guarded, `;`
 * (the separator of `;`-spreadsheets) is quoted; Markdown cells cannot be broken by any kind of line
 * break; bidirectional controls are shown as visible marks in both.
 */
import { describe, expect, it } from 'vitest'
import { csvCell, mdEscape, mdLinkTarget, toCsv, toMarkdown } from '../../src/shared/rules/exports'
import { hasBidiControls, showBidiControls } from '../../src/shared/rules/bidi'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

const unquote = (cell: string): string => (cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell)

describe('CSV cells', () => {
  const guarded = [
    '\u0085=1+1', '\u001c=1+1', '\u001d@SUM(A1)', '\u001e-2', '\u001f+3', '\u200b=1+1', '\ufeff=1+1', '\u2060=cmd',
    '\uff1d1+1', '\uff0bcmd', '\uff0d2+3', '\uff20SUM(1)', ' \u00a0\uff1dx', '\u2028=1', '\u0000=x', '\u200b', '\u0085'
  ]
  for (const text of guarded) {
    it(`guards ${JSON.stringify(text)}: prefixed with ' and quoted`, () => {
      const cell = csvCell(text)
      expect(cell.startsWith('"\'')).toBe(true)
      expect(unquote(cell)).toBe(`'${text}`)
    })
  }

  it('quotes a cell with ; for spreadsheets that separate with it, and every kind of line break', () => {
    expect(csvCell('a;=1+1')).toBe('"a;=1+1"')
    for (const text of ['a\u0085b', 'a\u001cb', 'a\u2028b', 'a\u2029b', 'a\vb', 'a\fb']) expect(csvCell(text), JSON.stringify(text)).toBe(`"${text}"`)
    expect(csvCell('plain_name-1')).toBe('plain_name-1')
  })

  it('shows bidirectional controls as visible marks (a cell that started with one no longer hides a formula)', () => {
    expect(csvCell('evil\u202egnp.exe')).toBe('evil[U+202E]gnp.exe')
    expect(csvCell('\u202e=1+1')).toBe('[U+202E]=1+1')
    const row = toCsv([{ _id: 'x\u2066y', PrepID: 'p\u200fq', Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0, RequestTransition: [], Requests: [], TotalEvents: 1, TotalInputLumis: -1 } as WorkflowDoc]).split('\r\n')[1]!
    expect(hasBidiControls(row)).toBe(false)
    expect(row).toContain('x[U+2066]y,p[U+200F]q')
  })
})

describe('Markdown cells', () => {
  it('turns every kind of line break into a space and other controls into U+FFFD', () => {
    expect(mdEscape('a\u0085b\u2028c\u2029d\u001ce\vf\fg\r\nh')).toBe('a b c d e f g h')
    expect(mdEscape('a\u0000b\u0007c')).toBe('a\ufffdb\ufffdc')
  })

  it('shows bidirectional controls as visible marks', () => {
    // The mark's brackets are escaped like any other: rendered, it reads [U+202E].
    expect(mdEscape('evil\u202egnp.exe')).toBe('evil\\[U+202E\\]gnp.exe')
    expect(showBidiControls('a\u061cb\u200ec\u2069')).toBe('a[U+061C]b[U+200E]c[U+2069]')
  })

  it('encodes in a link target whatever could end it or start another', () => {
    expect(mdLinkTarget('https://x.example/?workflow_name=a](javascript:alert(1))')).toBe('https://x.example/?workflow_name=a%5D%28javascript:alert%281%29%29')
    expect(mdLinkTarget('https://x/a b<c>`d|e')).toBe('https://x/a%20b%3Cc%3E%60d%7Ce')
    expect(mdLinkTarget('https://cmsweb.cern.ch/das/request?view=list&input=dataset%3D/A/B-v1/AOD')).toBe('https://cmsweb.cern.ch/das/request?view=list&input=dataset%3D/A/B-v1/AOD')
  })

  it('keeps one row per workflow in the export whatever its name holds', () => {
    const md = toMarkdown([{ _id: 'a\u2028b\u0085c|d](javascript:x)<script>', Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 0, RequestTransition: [], Requests: [], TotalEvents: 1, TotalInputLumis: -1 } as WorkflowDoc])
    const lines = md.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).not.toMatch(/\u2028|\u0085|(?<!\\)<script|(?<!\\)\]\(javascript/)
    expect(lines[2]!.split(/(?<!\\)\|/).length).toBe(5)
  })
})
