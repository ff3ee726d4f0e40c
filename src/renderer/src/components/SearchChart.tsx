import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react'
import type { ChartConfiguration, TooltipItem } from 'chart.js'
import type { AggregateSeries } from '../../../shared/rules/series'
import type { SearchField } from '../../../shared/search-types'
import { formatPercent } from '../../../shared/rules/completion'
import { groupDigits } from '../../../shared/rules/size'
import { formatUtc } from '../../../shared/rules/time-ago'
import { getApi } from '../api'
import { baseLineOptions, chartBackground } from '../chart-setup'
import { useLineChart } from '../hooks/useChart'
import { useChartColours } from '../hooks/useChartColours'
import { searchChartData, timeAxisBounds, type XY } from '../lib/chart-data'
import { chartSummary } from '../lib/chart-table'
import { ChartDataTable } from './ChartDataTable'
import { workflowsWord } from '../lib/search-summary'
import '../styles/charts.css'

interface Props {
  text: string
  field: SearchField
  /** Changes when the rows were refreshed (after an update), to reload the sums. */
  refreshKey: number
}

/** pMp-like summed progress of every workflow the search matches: stacked areas by Type and the expected total. */
export function SearchChart({ text, field, refreshKey }: Props): ReactNode {
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const [series, setSeries] = useState<AggregateSeries>()
  const [error, setError] = useState<string>()
  const [loading, setLoading] = useState(true)
  const [showTable, setShowTable] = useState(false)
  const tableId = useId()
  const colours = useChartColours()

  useEffect(() => {
    let current = true
    setLoading(true)
    void getApi().getSearchHistory({ text, field }).then((result) => {
      if (!current) return
      setLoading(false)
      if (result.ok) {
        setSeries(result.value)
        setError(undefined)
      } else {
        setSeries(undefined)
        setError(result.error.message)
      }
    })
    return () => {
      current = false
    }
  }, [text, field, refreshKey])

  const datasets = useMemo(() => (series && series.times.length > 0 ? searchChartData(series, colours) : undefined), [series, colours])
  const tableLines = useMemo(() => (datasets ?? []).filter((dataset) => dataset.stats2.kind === 'type'), [datasets])

  const config = useMemo((): ChartConfiguration<'line', XY[]> | undefined => {
    if (!series || !datasets) return undefined
    const options = baseLineOptions(colours)
    options.scales!.y!.stacked = true
    const bounds = timeAxisBounds({ min: series.times[0]!, max: series.times[series.times.length - 1]! })
    if (bounds) {
      // One moment only (a first update): an hour either side, so the stacked point shows.
      options.scales!.x!.min = bounds.min
      options.scales!.x!.max = bounds.max
    }
    options.scales!.y!.title = { display: true, text: 'Events (final datasets)', color: colours.text }
    options.interaction = { mode: 'index', intersect: false }
    const expected = series.expected
    options.plugins!.tooltip = {
      callbacks: {
        title: (items) => (items[0] ? `${formatUtc(items[0].parsed.x ?? 0)} UTC` : ''),
        label: (item: TooltipItem<'line'>) => {
          const value = item.parsed.y ?? 0
          const label = item.dataset.label ?? ''
          if (label.startsWith('Expected')) return label
          return `${label}: ${groupDigits(value)}${expected > 0 ? ` (${formatPercent((value / expected) * 100)})` : ''}`
        }
      }
    }
    return { type: 'line', data: { datasets }, options, plugins: [chartBackground(colours.background)] }
  }, [series, datasets, colours])

  const { zoomed, resetZoom, exportPng } = useLineChart(canvasRef, config)

  return (
    <section className="search-chart" aria-label="Summed progress of this search">
      <div className="chart-toolbar">
        <span className="chart-caption">
          {series
            ? `Summed events of the final output dataset of ${workflowsWord(series.workflows)}${series.skipped > 0 ? ` (${groupDigits(series.skipped)} without history or expected events, or not readable, left out)` : ''}`
            : loading ? 'Summing the history of the matching workflows…' : ''}
        </span>
        <span className="spacer-flex" />
        {config ? (
          <>
            <button type="button" className="button small" onClick={() => setShowTable((value) => !value)} aria-expanded={showTable} aria-controls={tableId} data-testid="chart-table-toggle">
              {showTable ? 'Hide table' : 'Table'}
            </button>
            <button type="button" className="button small" onClick={resetZoom} disabled={!zoomed}>Reset zoom</button>
            <button type="button" className="button small" onClick={() => exportPng(`stats2-${text || 'all'}-progress`)}>Export PNG</button>
          </>
        ) : null}
      </div>
      {error ? <p className="inline-error" role="alert">The summed chart is not available: {error}</p> : null}
      {series && series.times.length === 0 && !error ? <p className="empty-note">None of these workflows has event history yet.</p> : null}
      <div className={`chart-frame${config || (loading && !error) ? '' : ' is-empty'}`}>
        <canvas ref={canvasRef} data-testid="search-chart" role="img" aria-label={chartSummary('Summed events over time by dataset Type', tableLines, 'events')} />
      </div>
      {showTable && config ? <ChartDataTable id={tableId} caption="Summed events of the matching workflows by dataset Type, by day" lines={tableLines} /> : null}
    </section>
  )
}
