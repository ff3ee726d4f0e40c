import { useMemo, useRef, type ReactNode } from 'react'
import type { OverviewDrill } from '../../../shared/overview/drill'
import { boardCsv, boardRowsCsv, overviewFilename } from '../../../shared/overview/csv'
import type { BoardCell, BoardRow, OverviewView } from '../../../shared/overview/types'
import { LAST_BLOCK } from '../../../shared/overview/priority-blocks'
import { useBarChart, useColourScheme, type BarData } from './bar-chart'
import { cellPercent, etaText, groupDigits } from './format'
import { onGridKeyDown } from './grid-keys'
import { CsvButton, ScrollRegion, SectionHead, useShowMore } from './TableTools'

interface Props {
  view: OverviewView
  now: number
  onDrill: (drill: OverviewDrill) => void
}

/** A number that opens the list of its workflows. */
function DrillButton({ count, label, drill, onDrill }: { count: number; label: string; drill: OverviewDrill; onDrill: (drill: OverviewDrill) => void }): ReactNode {
  if (count === 0) return <span className="muted">0</span>
  // The whole selection is what the page already shows: no list of its own.
  if (Object.keys(drill).length === 0) return <span>{groupDigits(count)}</span>
  return (
    <button type="button" className="cell-link" aria-label={`${groupDigits(count)} workflows ${label}: list them`} onClick={() => onDrill(drill)}>
      {groupDigits(count)}
    </button>
  )
}

function blockOf(row: BoardRow): number | undefined {
  const block = Number(row.key.replace('block ', ''))
  return Number.isInteger(block) && block >= 0 && block <= LAST_BLOCK ? block : undefined
}

/** Rows (campaigns or priority blocks) × statuses: workflows per cell, each opening its list. */
function Matrix({ view, rows, what, drillOf, onDrill, now }: {
  view: OverviewView
  rows: readonly BoardRow[]
  what: string
  drillOf: (row: BoardRow) => OverviewDrill
  onDrill: (drill: OverviewDrill) => void
  now: number
}): ReactNode {
  const { statuses } = view.board
  const { shown, more } = useShowMore(rows, 30)
  return (
    <>
      <ScrollRegion label={`Workflows by ${what} and status`}>
        <table className="overview-table matrix" onKeyDown={onGridKeyDown} data-testid={`board-by-${what.replace(' ', '-')}`}>
          <caption className="visually-hidden">Workflows by {what} and status; each number opens the list of its workflows</caption>
          <thead>
            <tr>
              <th scope="col">{what[0]!.toUpperCase() + what.slice(1)}</th>
              <th scope="col" className="num">Workflows</th>
              <th scope="col" className="num">Done</th>
              <th scope="col">ETA (UTC)</th>
              {statuses.map((status) => <th key={status} scope="col" className="num status-col">{status}</th>)}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={row.key}>
                <th scope="row"><span className={what === 'campaign' ? 'mono' : undefined}>{row.label}</span></th>
                <td className="num"><DrillButton count={row.workflows} label={`in ${row.label}`} drill={drillOf(row)} onDrill={onDrill} /></td>
                <td className="num">{cellPercent(row)}</td>
                <td className="nowrap">{etaText(row, now)}</td>
                {statuses.map((status) => (
                  <td key={status} className="num">
                    <DrillButton count={row.byStatus[status]?.workflows ?? 0} label={`${status} in ${row.label}`} drill={{ ...drillOf(row), status }} onDrill={onDrill} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      {more}
    </>
  )
}

/** The status board: per status, by campaign and by McM priority block, with its chart. */
export function BoardSection({ view, now, onDrill }: Props): ReactNode {
  const { board } = view
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const scheme = useColourScheme()
  const data = useMemo((): BarData | undefined => board.statuses.length === 0 ? undefined : {
    labels: board.statuses,
    values: board.statuses.map((status) => board.byStatus[status]?.workflows ?? 0),
    label: 'Workflows',
    axis: 'Workflows'
  }, [board])
  const exportPng = useBarChart(canvasRef, data, scheme)
  const row = (status: string, cell: BoardCell, drill: OverviewDrill): ReactNode => (
    <tr key={status}>
      <th scope="row">{status}</th>
      <td className="num"><DrillButton count={cell.workflows} label={drill.status ? `in status ${status}` : 'in all'} drill={drill} onDrill={onDrill} /></td>
      <td className="num">{groupDigits(cell.events)}</td>
      <td className="num">{groupDigits(cell.expected)}</td>
      <td className="num">{cellPercent(cell)}</td>
      <td className="nowrap">{etaText(cell, now)}</td>
    </tr>
  )
  return (
    <section className="overview-section" aria-labelledby="overview-board">
      <SectionHead title="Status board" id="overview-board">
        <CsvButton label="CSV: by status" file={() => ({ filename: overviewFilename(view, 'status'), content: boardCsv(board) })} />
        <CsvButton label="CSV: by campaign" file={() => ({ filename: overviewFilename(view, 'campaigns'), content: boardRowsCsv(board, board.byCampaign, 'Campaign') })} />
        <CsvButton label="CSV: by block" file={() => ({ filename: overviewFilename(view, 'blocks'), content: boardRowsCsv(board, board.byPriorityBlock, 'PriorityBlock') })} />
      </SectionHead>
      <p className="overview-note">Events and expected events of each workflow's final output dataset (its last in tier order). ETA: when a cell's remaining events are done at the summed rate of the last two days. Each number opens the list of its workflows.</p>
      <div className="board-grid">
        <table className="overview-table" onKeyDown={onGridKeyDown} data-testid="board-by-status">
          <caption className="visually-hidden">Workflows and events per status (the chart beside it shows the workflows column)</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col" className="num">Workflows</th>
              <th scope="col" className="num">Events</th>
              <th scope="col" className="num">Expected</th>
              <th scope="col" className="num">Done</th>
              <th scope="col">ETA (UTC)</th>
            </tr>
          </thead>
          <tbody>{board.statuses.map((status) => row(status, board.byStatus[status]!, { status }))}</tbody>
          <tfoot>{row('All', board.total, {})}</tfoot>
        </table>
        <figure className="overview-chart">
          <div className="chart-toolbar">
            <figcaption className="chart-caption">Workflows per status (the table holds the same numbers)</figcaption>
            <span className="spacer-flex" />
            <button type="button" className="button small" onClick={() => exportPng(`${overviewFilename(view, 'status-chart')}`)} disabled={!data}>PNG</button>
          </div>
          <div className="chart-frame">
            <canvas ref={canvasRef} data-testid="board-chart" role="img" aria-label={`Bar chart of workflows per status: ${board.statuses.map((status) => `${status} ${board.byStatus[status]?.workflows ?? 0}`).join(', ')}`} />
          </div>
        </figure>
      </div>
      <h3>By campaign</h3>
      <Matrix view={view} rows={board.byCampaign} what="campaign" drillOf={(r) => ({ campaign: r.key })} onDrill={onDrill} now={now} />
      <h3>By McM priority block</h3>
      <Matrix view={view} rows={board.byPriorityBlock} what="priority block" drillOf={(r) => { const block = blockOf(r); return block === undefined ? {} : { block } }} onDrill={onDrill} now={now} />
    </section>
  )
}
