import { useMemo, useRef, useState, type ReactNode } from 'react'
import type { OverviewDrill } from '../../../shared/overview/drill'
import { durationsCsv, histogramCsv, overviewFilename, slowTailCsv } from '../../../shared/overview/csv'
import { DURATION_BIN_LABELS, type DurationRow, type OverviewView } from '../../../shared/overview/types'
import { useBarChart, useColourScheme, type BarData } from './bar-chart'
import { formatUtc, groupDigits, hoursText } from './format'
import { onGridKeyDown } from './grid-keys'
import { CsvButton, SectionHead } from './TableTools'

interface Props {
  view: OverviewView
  onDrill: (drill: OverviewDrill) => void
  onOpen: (name: string) => void
}

const ALL = ''

/** Time in each status: per pair of statuses, per campaign; the distribution of one pair; the slow tail. */
export function DurationsSection({ view, onDrill, onOpen }: Props): ReactNode {
  const { durations, slowest } = view
  const [campaign, setCampaign] = useState(ALL)
  const rows: DurationRow[] = campaign === ALL ? durations.pairs : (durations.byCampaign.find((entry) => entry.campaign === campaign)?.pairs ?? [])
  const [picked, setPicked] = useState<string>()
  const pair = durations.pairs.find((row) => row.pair === picked) ?? durations.pairs.reduce<DurationRow | undefined>((a, b) => (!a || b.n > a.n ? b : a), undefined)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const scheme = useColourScheme()
  const data = useMemo((): BarData | undefined => pair ? { labels: [...DURATION_BIN_LABELS], values: pair.histogram, label: 'Workflows', axis: 'Workflows' } : undefined, [pair])
  const exportPng = useBarChart(canvasRef, data, scheme)
  if (durations.pairs.length === 0) {
    return (
      <section className="overview-section" aria-labelledby="overview-durations">
        <SectionHead title="Time in each status" id="overview-durations" />
        <p className="muted">No workflow of this selection has moved from one status to another yet.</p>
      </section>
    )
  }
  return (
    <section className="overview-section" aria-labelledby="overview-durations">
      <SectionHead title="Time in each status" id="overview-durations">
        <label className="inline-field">
          Campaign{' '}
          <select value={campaign} onChange={(event) => setCampaign(event.target.value)} data-testid="durations-campaign">
            <option value={ALL}>All of the selection</option>
            {durations.byCampaign.map((entry) => <option key={entry.campaign} value={entry.campaign}>{entry.campaign} ({groupDigits(entry.workflows)})</option>)}
          </select>
        </label>
        <CsvButton file={() => ({ filename: overviewFilename(view, `durations${campaign === ALL ? '' : `-${campaign}`}`), content: durationsCsv(rows, campaign === ALL ? undefined : campaign) })} />
      </SectionHead>
      <p className="overview-note">Between consecutive RequestTransition entries: how many workflows, and their hours in the first status (median, 90th percentile, longest). Choose a pair to see its distribution.</p>
      <div className="board-grid">
        <table className="overview-table" onKeyDown={onGridKeyDown} data-testid="durations-table">
          <caption className="visually-hidden">Time in each status, {campaign === ALL ? 'every campaign of the selection' : `campaign ${campaign}`}</caption>
          <thead>
            <tr>
              <th scope="col">From → to</th>
              <th scope="col" className="num">Workflows</th>
              <th scope="col" className="num">Median</th>
              <th scope="col" className="num">90 %</th>
              <th scope="col" className="num">Longest</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.pair} className={row.pair === pair?.pair && campaign === ALL ? 'is-picked' : undefined}>
                <th scope="row">
                  <button type="button" className="cell-link" aria-pressed={row.pair === pair?.pair} onClick={() => setPicked(row.pair)} title="Show its distribution">
                    {row.from} → {row.to}
                  </button>
                </th>
                <td className="num">
                  <button type="button" className="cell-link" aria-label={`${groupDigits(row.n)} workflows made ${row.from} → ${row.to}: list them, longest first`}
                    onClick={() => onDrill({ pair: row.pair, ...(campaign === ALL ? {} : { campaign }) })}>
                    {groupDigits(row.n)}
                  </button>
                </td>
                <td className="num">{hoursText(row.medianH)}</td>
                <td className="num">{hoursText(row.p90H)}</td>
                <td className="num">{hoursText(row.maxH)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <figure className="overview-chart">
          <div className="chart-toolbar">
            <figcaption className="chart-caption" data-testid="durations-chart-caption">{pair ? `${pair.from} → ${pair.to}: workflows by time in ${pair.from}` : ''}</figcaption>
            <span className="spacer-flex" />
            {pair ? <CsvButton file={() => ({ filename: overviewFilename(view, `distribution-${pair.from}-${pair.to}`), content: histogramCsv(pair, DURATION_BIN_LABELS) })} /> : null}
            <button type="button" className="button small" onClick={() => exportPng(overviewFilename(view, `distribution-${pair?.from}-${pair?.to}`))} disabled={!data}>PNG</button>
          </div>
          <div className="chart-frame">
            <canvas ref={canvasRef} data-testid="durations-chart" role="img" aria-label={pair ? `Bar chart of workflows by hours in ${pair.from} before ${pair.to}; the table below has the numbers` : 'No pair chosen'} />
          </div>
          {pair ? (
            <details className="chart-table">
              <summary>The chart as a table</summary>
              <table className="overview-table compact" data-testid="durations-histogram">
                <caption className="visually-hidden">Workflows by time in {pair.from} before {pair.to}</caption>
                <thead><tr><th scope="col">Time in {pair.from}</th><th scope="col" className="num">Workflows</th></tr></thead>
                <tbody>{DURATION_BIN_LABELS.map((label, index) => <tr key={label}><th scope="row">{label}</th><td className="num">{groupDigits(pair.histogram[index] ?? 0)}</td></tr>)}</tbody>
              </table>
            </details>
          ) : null}
        </figure>
      </div>
      <div className="overview-section-head">
        <h3 id="overview-slowest">Longest in their current status</h3>
        <span className="spacer-flex" />
        <CsvButton file={() => ({ filename: overviewFilename(view, 'slowest'), content: slowTailCsv(slowest) })} />
      </div>
      {slowest.length === 0 ? <p className="muted">No workflow here is waiting in a status (announced, rejected, aborted-completed and archived ones are left out).</p> : (
        <table className="overview-table" onKeyDown={onGridKeyDown} aria-labelledby="overview-slowest" data-testid="slow-tail">
          <thead>
            <tr><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Since (UTC)</th><th scope="col" className="num">For</th></tr>
          </thead>
          <tbody>
            {slowest.map((entry) => (
              <tr key={entry.workflow}>
                <td><button type="button" className="cell-link mono" onClick={() => onOpen(entry.workflow)}>{entry.workflow}</button></td>
                <td>{entry.status}</td>
                <td className="nowrap">{formatUtc(entry.since)}</td>
                <td className="num">{hoursText(entry.hours)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
