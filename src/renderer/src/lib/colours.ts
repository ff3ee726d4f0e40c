/**
 * Chart colours. The dashboard's colours are the `--color-*` tokens of styles/theme.css (light, and
 * dark under prefers-color-scheme); charts draw on a canvas, so they read those tokens when they are
 * built (`readChartColours`) and are rebuilt when the theme changes. The light values below are the
 * fallback where no stylesheet is loaded (unit tests); tests/renderer/theme.test.ts keeps them equal
 * to theme.css and checks every series colour against the chart background in both themes.
 */
import { typeColour } from '../../../shared/rules/completion'

export type TypeClass = ReturnType<typeof typeColour>

export interface ChartColours {
  background: string
  text: string
  grid: string
  /** The expected total of one workflow (dashed). */
  expected: string
  /** The expected total of a summed search (dashed). */
  total: string
  /** The drag-to-zoom rectangle. */
  zoom: string
  /** Lines for telling a workflow's datasets apart; none of them is a Type colour. */
  series: readonly string[]
  /** The four dataset-Type colours (bars, badges, chart areas and dots). */
  types: Readonly<Record<TypeClass, string>>
}

export const LIGHT_CHART_COLOURS: ChartColours = {
  background: '#ffffff',
  text: '#374151',
  grid: '#eef0f3',
  expected: '#6b7280',
  total: '#111827',
  zoom: 'rgba(31, 99, 198, 0.12)',
  series: ['#0e8a7e', '#7a4cc2', '#4d8f1f', '#b8367f', '#8a5a2b', '#4f6d8a', '#a08700', '#2b9ac9'],
  types: { production: '#dc7700', valid: '#1f63c6', invalid: '#c9302c', other: '#39414d' }
}

/** The light Type colours (tests compare chart dots with them). */
export const TYPE_COLOURS = LIGHT_CHART_COLOURS.types

export function colourOfType(type: string, types: ChartColours['types'] = TYPE_COLOURS): string {
  return types[typeColour(type)]
}

/** The token names behind each chart colour. */
const TOKENS = {
  background: '--color-chart-bg',
  text: '--color-chart-text',
  grid: '--color-chart-grid',
  expected: '--color-chart-expected',
  total: '--color-chart-total',
  zoom: '--color-chart-zoom'
} as const

/** Chart colours from computed style (`getComputedStyle(document.documentElement)`); a missing token keeps its light value. */
export function readChartColours(style: { getPropertyValue(name: string): string }): ChartColours {
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback
  const base = LIGHT_CHART_COLOURS
  const colours = { ...base }
  for (const [key, token] of Object.entries(TOKENS) as Array<[keyof typeof TOKENS, string]>) colours[key] = read(token, base[key])
  colours.series = base.series.map((fallback, index) => read(`--color-series-${index + 1}`, fallback))
  colours.types = {
    production: read('--color-type-production', base.types.production),
    valid: read('--color-type-valid', base.types.valid),
    invalid: read('--color-type-invalid', base.types.invalid),
    other: read('--color-type-other', base.types.other)
  }
  return colours
}

/** `#rrggbb` with an alpha, for area fills. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16)
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`
}
