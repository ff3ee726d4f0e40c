import { useMemo, type ReactNode } from 'react'
import { groupDigits } from '../../../shared/rules/size'
import { dailyTable, type ChartLine } from '../lib/chart-table'
import '../styles/charts.css'

interface Props {
  id: string
  caption: string
  lines: readonly ChartLine[]
  /** Full names for the column headers' tooltips (the headers themselves are short). */
  titles?: readonly string[]
}

/** What a chart draws, as a table: one row per day (newest first), each line's value at the end of that day. */
export function ChartDataTable({ id, caption, lines, titles }: Props): ReactNode {
  const table = useMemo(() => dailyTable(lines), [lines])
  return (
    <div className="table-scroll chart-table" id={id} tabIndex={0} role="region" aria-label={caption} data-testid="chart-table">
      <table className="history-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            {table.columns.map((column, index) => <th key={`${column}#${index}`} scope="col" className="num" title={titles?.[index]}>{column}</th>)}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row) => (
            <tr key={row.day}>
              <th scope="row" className="nowrap">{row.day}</th>
              {row.values.map((value, index) => <td key={index} className="num">{value === undefined ? '–' : groupDigits(value)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {table.omitted > 0 ? <p className="muted">{table.omitted} older days left out.</p> : null}
    </div>
  )
}
