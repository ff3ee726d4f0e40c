import { useLayoutEffect, useRef, useState, type RefObject } from 'react'
import type { ChartConfiguration } from 'chart.js'
import { Chart } from '../chart-setup'
import { downloadUrl, safeFilename } from '../download'

/**
 * A Chart.js line chart on a canvas, rebuilt when `config` changes and destroyed on unmount; with
 * zoom state, Reset zoom and Export PNG.
 */
export function useLineChart(canvasRef: RefObject<HTMLCanvasElement | null>, config: ChartConfiguration<'line', { x: number; y: number }[]> | undefined): {
  zoomed: boolean
  resetZoom: () => void
  exportPng: (name: string) => void
} {
  const chartRef = useRef<Chart<'line', { x: number; y: number }[]> | undefined>(undefined)
  const [zoomed, setZoomed] = useState(false)

  // Drawn before the frame that shows the canvas is painted: in a passive effect the panel was
  // painted once with an empty canvas and the chart a frame later.
  useLayoutEffect(() => {
    const canvas = canvasRef.current
    if (!canvas || !config) return
    const zoom = config.options?.plugins?.zoom
    if (zoom?.zoom) zoom.zoom.onZoomComplete = ({ chart }) => setZoomed(chart.isZoomedOrPanned())
    if (zoom?.pan) zoom.pan.onPanComplete = ({ chart }) => setZoomed(chart.isZoomedOrPanned())
    const chart = new Chart(canvas, config)
    chartRef.current = chart
    // What the chart draws, readable without pixels (assistive tools, end-to-end tests).
    canvas.dataset.series = JSON.stringify(chart.data.datasets.map((dataset) => ({ label: dataset.label, data: dataset.data })))
    canvas.dataset.xRange = JSON.stringify({ min: chart.scales.x?.min, max: chart.scales.x?.max })
    return () => {
      chart.destroy()
      chartRef.current = undefined
      setZoomed(false)
    }
  }, [canvasRef, config])

  const resetZoom = (): void => {
    chartRef.current?.resetZoom()
    setZoomed(false)
  }

  const exportPng = (name: string): void => {
    const canvas = canvasRef.current
    if (!canvas) return
    downloadUrl(`${safeFilename(name)}.png`, canvas.toDataURL('image/png'))
  }

  return { zoomed, resetZoom, exportPng }
}
