/**
 * The table alternative of a chart, and the one-sentence summary its canvas is labelled with. The
 * table has one row per UTC day with history (newest first, at most `maxRows`): each column holds
 * its line's last value on or before the end of that day, so it stays small whatever the number of
 * points. Pure.
 */
import { groupDigits } from '../../../shared/rules/size'
import { formatUtc } from '../../../shared/rules/time-ago'

const DAY = 86_400

export interface ChartLine {
  label: string
  /** Sorted by x (unix seconds). */
  data: ReadonlyArray<{ x: number; y: number }>
}

export interface DailyTable {
  columns: string[]
  rows: Array<{ day: string; values: Array<number | undefined> }>
  /** Days with history left out (older than the rows shown). */
  omitted: number
}

export const TABLE_MAX_ROWS = 100

export function dailyTable(lines: readonly ChartLine[], maxRows = TABLE_MAX_ROWS): DailyTable {
  const days = new Set<number>()
  for (const line of lines) for (const point of line.data) days.add(Math.floor(point.x / DAY))
  const newest = [...days].sort((a, b) => b - a)
  const shown = newest.slice(0, Math.max(0, maxRows))
  const ascending = [...shown].reverse()
  const columns = lines.map((line) => line.label)
  const values: Array<Array<number | undefined>> = ascending.map(() => new Array<number | undefined>(lines.length).fill(undefined))
  lines.forEach((line, column) => {
    let next = 0
    let last: number | undefined
    ascending.forEach((day, row) => {
      const end = (day + 1) * DAY
      while (next < line.data.length && line.data[next]!.x < end) last = line.data[next++]!.y
      values[row]![column] = last
    })
  })
  const rows = ascending.map((day, row) => ({ day: formatUtc(day * DAY).slice(0, 10), values: values[row]! })).reverse()
  return { columns, rows, omitted: newest.length - shown.length }
}

/** "3 lines from 2026-11-01 to 2026-12-01 UTC; latest GEN-SIM 1,200 events, …" for the canvas's label. */
export function chartSummary(what: string, lines: readonly ChartLine[], unit: string, maxNamed = 6): string {
  const drawn = lines.filter((line) => line.data.length > 0)
  if (drawn.length === 0) return `${what}: no history yet.`
  let min = Infinity
  let max = -Infinity
  for (const line of drawn) {
    min = Math.min(min, line.data[0]!.x)
    max = Math.max(max, line.data[line.data.length - 1]!.x)
  }
  const latest = drawn.slice(0, maxNamed).map((line) => `${line.label} ${groupDigits(line.data[line.data.length - 1]!.y)} ${unit}`)
  const more = drawn.length > maxNamed ? `, and ${drawn.length - maxNamed} more` : ''
  const span = formatUtc(min).slice(0, 10) === formatUtc(max).slice(0, 10) ? `on ${formatUtc(min).slice(0, 10)}` : `from ${formatUtc(min).slice(0, 10)} to ${formatUtc(max).slice(0, 10)}`
  return `${what}, ${span} UTC. Latest: ${latest.join(', ')}${more}. The Table button shows the values by day.`
}
