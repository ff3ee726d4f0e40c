/** Chart.js with only what the charts use, the zoom plugin, and shared options. */
import {
  Chart, Filler, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip,
  type ChartOptions, type ChartType, type Plugin, type Scale, type Tick
} from 'chart.js'
import zoomPlugin from 'chartjs-plugin-zoom'
import { formatAxisTime, timeTicks } from './lib/format'
import { compactNumber } from './lib/numbers'
import type { ChartColours } from './lib/colours'

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend, Filler, zoomPlugin)
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
Chart.defaults.font.size = 12
Chart.defaults.animation = false

/** Paints the canvas in the theme's chart background first, so an exported PNG is not transparent. */
export function chartBackground<T extends ChartType = 'line'>(colour: string): Plugin<T> {
  return {
    id: 'stats2ChartBackground',
    beforeDraw(chart) {
      const { ctx } = chart
      ctx.save()
      ctx.globalCompositeOperation = 'destination-over'
      ctx.fillStyle = colour
      ctx.fillRect(0, 0, chart.width, chart.height)
      ctx.restore()
    }
  }
}

function timeTick(value: number | string, index: number, ticks: Tick[]): string {
  const step = ticks.length > 1 ? ticks[1]!.value - ticks[0]!.value : 0
  return formatAxisTime(Number(value), step)
}

/** Replaces Chart.js's decimal ticks with round UTC hours and days. */
function roundTimeTicks(scale: Scale): void {
  scale.ticks = timeTicks(scale.min, scale.max, Math.max(2, Math.floor(scale.width / 110))).map((value) => ({ value }))
}

/** Linear x axis of unix seconds shown as UTC dates, in the theme's colours; drag to zoom on x, shift-drag to pan. */
export function baseLineOptions(colours: ChartColours): ChartOptions<'line'> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    color: colours.text,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    scales: {
      x: {
        type: 'linear',
        title: { display: true, text: 'Time (UTC)', color: colours.text },
        ticks: { callback: timeTick, maxRotation: 0, autoSkip: false, color: colours.text },
        afterBuildTicks: roundTimeTicks,
        grid: { color: colours.grid },
        border: { color: colours.grid }
      },
      y: {
        type: 'linear',
        beginAtZero: true,
        ticks: { callback: (value) => compactNumber(Number(value)), color: colours.text },
        grid: { color: colours.grid },
        border: { color: colours.grid }
      }
    },
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 18, boxHeight: 8, usePointStyle: true, color: colours.text } },
      zoom: {
        zoom: {
          drag: { enabled: true, backgroundColor: colours.zoom, borderColor: colours.types.valid, borderWidth: 1 },
          wheel: { enabled: false },
          pinch: { enabled: false },
          mode: 'x'
        },
        pan: { enabled: true, mode: 'x', modifierKey: 'shift' },
        limits: { x: { min: 'original', max: 'original' } }
      }
    }
  }
}

export { Chart }
