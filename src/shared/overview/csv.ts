/**
 * The overview's tables as CSV files, one per table, with the exports' guards (rules/exports.ts
 * `csvCell`: a value a spreadsheet would run as a formula is quoted and neutralised). Times are ISO
 * 8601 (UTC). Pure: the renderer saves what these return.
 */
import { csvCell } from '../rules/exports'
import type { AttentionItem, Board, BoardCell, BoardRow, DurationRow, OverviewView, SinceEntry, SlowEntry, AcdcFamily } from './types'

export interface CsvFile {
  filename: string
  content: string
}

const iso = (seconds: number | undefined): string => (seconds === undefined || !Number.isFinite(seconds) ? '' : new Date(seconds * 1000).toISOString())

function csv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

function percent(cell: BoardCell): string {
  return cell.expected > 0 ? ((cell.events / cell.expected) * 100).toFixed(2) : ''
}

function cellColumns(cell: BoardCell | undefined): unknown[] {
  return cell ? [cell.workflows, cell.events, cell.expected, percent(cell), iso(cell.eta)] : [0, 0, 0, '', '']
}

export function boardCsv(board: Board): string {
  return csv(['Status', 'Workflows', 'Events', 'Expected', 'DonePercent', 'ETA'], [
    ...board.statuses.map((status) => [status, ...cellColumns(board.byStatus[status])]),
    ['(all)', ...cellColumns(board.total)]
  ])
}

/** Rows (campaigns or blocks) × statuses: the total, then workflows and events per status. */
export function boardRowsCsv(board: Board, rows: readonly BoardRow[], what: string): string {
  const header = [what, 'Workflows', 'Events', 'Expected', 'DonePercent', 'ETA', ...board.statuses.flatMap((status) => [`${status} workflows`, `${status} events`])]
  return csv(header, rows.map((row) => [row.label, ...cellColumns(row), ...board.statuses.flatMap((status) => {
    const cell = row.byStatus[status]
    return [cell?.workflows ?? 0, cell?.events ?? 0]
  })]))
}

export function durationsCsv(rows: readonly DurationRow[], campaign?: string): string {
  return csv(['From', 'To', ...(campaign !== undefined ? ['Campaign'] : []), 'Workflows', 'MedianHours', 'P90Hours', 'MaxHours'],
    rows.map((row) => [row.from, row.to, ...(campaign !== undefined ? [campaign] : []), row.n, row.medianH, row.p90H, row.maxH]))
}

export function histogramCsv(row: DurationRow, labels: readonly string[]): string {
  return csv(['From', 'To', 'Bin', 'Workflows'], labels.map((label, index) => [row.from, row.to, label, row.histogram[index] ?? 0]))
}

export function slowTailCsv(entries: readonly SlowEntry[]): string {
  return csv(['RequestName', 'Status', 'Since', 'Hours'], entries.map((entry) => [entry.workflow, entry.status, iso(entry.since), entry.hours]))
}

export function attentionCsv(items: readonly AttentionItem[]): string {
  return csv(['RequestName', 'Reason', 'Since', 'Why'], items.map((item) => [item.workflow, item.reason, iso(item.since), item.detail]))
}

export function familiesCsv(families: readonly AcdcFamily[]): string {
  return csv(['PrepID', 'Original', 'Workflows', 'Resubmissions', 'Events', 'Expected', 'DonePercent', 'FirstResubmission'], families.map((family) => [
    family.prepId, family.original ?? '', family.members.map((member) => member.workflow).join(' '), family.members.filter((member) => member.resubmission).length,
    family.events, family.expected, family.expected > 0 ? ((family.events / family.expected) * 100).toFixed(2) : '', iso(family.since)
  ]))
}

export function sinceLookCsv(entries: readonly SinceEntry[]): string {
  return csv(['Kind', 'RequestName', 'Time', 'What'], entries.map((entry) => [entry.kind, entry.workflow, iso(entry.time), entry.detail]))
}

/** `stats2-overview-<selection>-<table>.csv`, safe as a file name. */
export function overviewFilename(view: Pick<OverviewView, 'label'>, table: string): string {
  return `stats2-overview-${view.label}-${table}`.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/_+/g, '_').slice(0, 150)
}
