import { useId, useMemo, useRef, useState, type ReactNode } from 'react'
import { Chart, type ChartConfiguration, type LegendItem, type TooltipItem } from 'chart.js'
import type { WorkflowSeries } from '../../../shared/rules/series'
import { formatPercent } from '../../../shared/rules/completion'
import { dasDatasetLink, harvestingLink } from '../../../shared/rules/links'
import { groupDigits } from '../../../shared/rules/size'
import { formatUtc } from '../../../shared/rules/time-ago'
import { tierOf } from '../../../shared/rules/tiers'
import { baseLineOptions, chartBackground } from '../chart-setup'
import { useLineChart } from '../hooks/useChart'
import { useChartColours } from '../hooks/useChartColours'
import { chartSummary } from '../lib/chart-table'
import { chartDataFromSeries, legendLabel, timeAxisBounds, type Stats2LineDataset, type XY } from '../lib/chart-data'
import { timeUntil } from '../lib/format'
import { ChartDataTable } from './ChartDataTable'
import { DatasetName } from './DatasetName'
import { ExternalLink } from './ExternalLink'
import { SearchLink } from './SearchLink'
import { TypeBadge } from './TypeBadge'
import '../styles/charts.css'

const etaText = (eta: number): string => `${formatUtc(eta)} UTC`

/**
 * Events (or lumis) over time per output dataset, the expected total as a dashed line, ETA per
 * dataset in the legend, tooltips and the table below; drag to zoom, Reset zoom, Export PNG.
 */
export function WorkflowChart({ name, series, now }: { name: string; series: WorkflowSeries; now: number }): ReactNode {
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const colours = useChartColours()
  const data = useMemo(() => chartDataFromSeries(series, colours), [series, colours])
  const [showTable, setShowTable] = useState(false)
  const tableId = useId()

  const config = useMemo((): ChartConfiguration<'line', XY[]> | undefined => {
    if (!data.range) return undefined
    const options = baseLineOptions(colours)
    const datasets = data.datasets
    const unit = data.unit
    const expected = data.expected
    options.scales!.y!.title = { display: true, text: unit === 'lumis' ? 'Lumis' : 'Events', color: colours.text }
    const bounds = timeAxisBounds(data.range)
    if (bounds) {
      options.scales!.x!.min = bounds.min
      options.scales!.x!.max = bounds.max
    }
    options.plugins!.legend!.labels!.generateLabels = (chart): LegendItem[] =>
      Chart.defaults.plugins.legend.labels.generateLabels(chart).map((item) => {
        const dataset = datasets[item.datasetIndex ?? -1]
        if (!dataset) return item
        const colour = String(dataset.borderColor)
        return { ...item, text: legendLabel(dataset, etaText, datasets), fillStyle: colour, strokeStyle: colour, pointStyle: dataset.stats2.kind === 'expected' ? 'line' : 'rect' }
      })
    options.plugins!.tooltip = {
      callbacks: {
        title: (items) => (items[0] ? `${formatUtc(items[0].parsed.x ?? 0)} UTC` : ''),
        label: (item: TooltipItem<'line'>) => {
          const dataset = item.dataset as Stats2LineDataset
          const value = item.parsed.y ?? 0
          if (dataset.stats2.kind === 'expected') return dataset.label
          const type = dataset.stats2.types?.[item.dataIndex] ?? ''
          const percent = expected ? ` (${formatPercent((value / expected) * 100)})` : ''
          return `${tierOf(dataset.label)}: ${groupDigits(value)} ${unit}${percent} · ${type}`
        },
        labelColor: (item: TooltipItem<'line'>) => {
          const colour = String(item.dataset.borderColor)
          return { borderColor: colour, backgroundColor: colour }
        },
        afterLabel: (item: TooltipItem<'line'>) => {
          const dataset = item.dataset as Stats2LineDataset
          return dataset.stats2.eta !== undefined ? `ETA ${etaText(dataset.stats2.eta)}` : ''
        }
      }
    }
    return { type: 'line', data: { datasets }, options, plugins: [chartBackground(colours.background)] }
  }, [data, colours])

  const { zoomed, resetZoom, exportPng } = useLineChart(canvasRef, config)
  const lines = useMemo(() => data.datasets.filter((dataset) => dataset.stats2.kind === 'dataset'), [data])
  const unitWord = data.unit === 'lumis' ? 'Lumis' : 'Events'
  // Short column names (the tier, the processed dataset when two share it), the full name as tooltip.
  const tableLines = useMemo(() => lines.map((dataset) => ({ label: legendLabel(dataset, undefined, lines), data: dataset.data })), [lines])

  if (!data.range) {
    return <p className="empty-note">No event history yet: it starts with the first update that finds the output datasets in DBS.</p>
  }
  return (
    <div className="chart-block">
      <div className="chart-toolbar">
        <span className="muted">Drag across the chart to zoom in on a period; shift-drag to pan.</span>
        <span className="spacer-flex" />
        <button type="button" className="button small" onClick={() => setShowTable((value) => !value)} aria-expanded={showTable} aria-controls={tableId} data-testid="chart-table-toggle">
          {showTable ? 'Hide table' : 'Table'}
        </button>
        <button type="button" className="button small" onClick={resetZoom} disabled={!zoomed} data-testid="reset-zoom">Reset zoom</button>
        <button type="button" className="button small" onClick={() => exportPng(`${name}-history`)} data-testid="export-png">Export PNG</button>
      </div>
      <div className="chart-frame chart-frame-tall">
        <canvas ref={canvasRef} data-testid="history-chart" role="img" aria-label={chartSummary(`${unitWord} over time per output dataset of ${name}`, tableLines, data.unit)} />
      </div>
      {showTable ? <ChartDataTable id={tableId} caption={`${unitWord} per output dataset of ${name}, by day`} lines={tableLines} titles={lines.map((dataset) => dataset.label)} /> : null}
      <table className="eta-table">
        <thead>
          <tr><th scope="col">Output dataset</th><th scope="col">Type</th><th scope="col" className="num">{unitWord}</th><th scope="col" className="num">Done</th><th scope="col">ETA</th><th scope="col"><span className="visually-hidden">Links</span></th></tr>
        </thead>
        <tbody>
          {lines.map((dataset) => {
            const last = dataset.data[dataset.data.length - 1]
            const type = dataset.stats2.types?.[dataset.stats2.types.length - 1] ?? 'NONE'
            const eta = dataset.stats2.eta
            return (
              <tr key={dataset.label}>
                <td className="mono wrap">
                  <span className="swatch" aria-hidden="true" style={{ backgroundColor: String(dataset.borderColor) }} />
                  <SearchLink text={dataset.label} field="output_dataset"><DatasetName name={dataset.label} /></SearchLink>
                </td>
                <td><TypeBadge type={type} /></td>
                <td className="num">{groupDigits(last?.y ?? 0)}</td>
                <td className="num">{data.expected ? formatPercent(((last?.y ?? 0) / data.expected) * 100) : '–'}</td>
                <td className="nowrap">{eta !== undefined ? <span title={etaText(eta)}>{formatUtc(eta)} <span className="muted">({eta > now ? timeUntil(eta, now) : 'overdue'})</span></span> : <span className="muted">{data.expected && (last?.y ?? 0) >= data.expected ? 'done' : 'no rising trend'}</span>}</td>
                <td className="nowrap dataset-links">
                  <ExternalLink url={dasDatasetLink(dataset.label)} title={`${dataset.label} in DAS`}>DAS</ExternalLink>
                  {tierOf(dataset.label) === 'DQMIO' ? <ExternalLink url={harvestingLink(name)} title="The harvesting job of this DQMIO output">Harvesting</ExternalLink> : null}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
