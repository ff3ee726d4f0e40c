/**
 * The overview's bar charts (workflows per status, the distribution of a pair's durations): Chart.js
 * with the bar parts registered here, colours from the theme's tokens (so the dark theme draws light
 * text on a dark surface, and an exported PNG has the page's background), PNG export.
 */
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react'
import { BarController, BarElement, CategoryScale, type ChartConfiguration } from 'chart.js'
import { Chart, chartBackground } from '../chart-setup'
import { downloadUrl, safeFilename } from '../download'

Chart.register(BarController, BarElement, CategoryScale)

export interface ThemeColours {
  text: string
  muted: string
  grid: string
  surface: string
  accent: string
  warning: string
}

/** The theme's colours as the page resolves them now (light fallbacks when a token is not set). */
export function themeColours(element: Element | null): ThemeColours {
  const style = element ? getComputedStyle(element) : undefined
  const token = (name: string, fallback: string): string => style?.getPropertyValue(name).trim() || fallback
  return {
    text: token('--color-chart-text', '#374151'),
    muted: token('--color-text-muted', '#5d6675'),
    grid: token('--color-chart-grid', '#eef0f3'),
    surface: token('--color-chart-bg', '#ffffff'),
    accent: token('--color-series-1', token('--color-accent', '#26497f')),
    warning: token('--color-warning', '#9a5b00')
  }
}

export interface BarData {
  labels: string[]
  values: number[]
  label: string
  /** The y axis title. */
  axis: string
}

export function barConfig(data: BarData, colours: ThemeColours): ChartConfiguration<'bar', number[], string> {
  return {
    type: 'bar',
    data: { labels: data.labels, datasets: [{ label: data.label, data: data.values, backgroundColor: colours.accent, borderRadius: 2 }] },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { ticks: { color: colours.text, maxRotation: 45, autoSkip: false }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: colours.text, precision: 0 }, grid: { color: colours.grid }, title: { display: true, text: data.axis, color: colours.muted } }
      },
      plugins: { legend: { display: false }, tooltip: { enabled: true } }
    },
    plugins: [chartBackground<'bar'>(colours.surface)]
  }
}

/** Draws `data` on the canvas (again when it or the theme changes); answers the PNG export. */
export function useBarChart(canvasRef: RefObject<HTMLCanvasElement | null>, data: BarData | undefined, themeKey: string): (name: string) => void {
  const chartRef = useRef<Chart<'bar', number[], string> | undefined>(undefined)
  useLayoutEffect(() => {
    const canvas = canvasRef.current
    if (!canvas || !data) return
    const chart = new Chart(canvas, barConfig(data, themeColours(canvas)))
    chartRef.current = chart
    canvas.dataset.series = JSON.stringify({ labels: data.labels, values: data.values })
    return () => {
      chart.destroy()
      chartRef.current = undefined
    }
  }, [canvasRef, data, themeKey])
  return (name: string) => {
    const canvas = canvasRef.current
    if (canvas) downloadUrl(`${safeFilename(name)}.png`, canvas.toDataURL('image/png'))
  }
}

/** 'dark' or 'light', following the operating system (charts are drawn again in the new colours). */
export function useColourScheme(): string {
  const query = (): MediaQueryList | undefined => (typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined)
  const [scheme, setScheme] = useState(() => (query()?.matches ? 'dark' : 'light'))
  useEffect(() => {
    const list = query()
    if (!list) return
    const changed = (): void => setScheme(list.matches ? 'dark' : 'light')
    list.addEventListener('change', changed)
    return () => list.removeEventListener('change', changed)
  }, [])
  return scheme
}
