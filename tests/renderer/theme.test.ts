/**
 * The theme tokens (src/renderer/src/styles/theme.css), read as the browser would pick them: the
 * light block, then the dark block over it. Every text colour has 4.5:1 against every surface it is
 * drawn on, the focus ring 3:1, every chart series 3:1 against the chart background, in both
 * themes; and the chart colours the renderer falls back on outside a page are the light tokens.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LIGHT_CHART_COLOURS, readChartColours } from '../../src/renderer/src/lib/colours'
import { REPO_ROOT } from '../helpers/paths'

const CSS = readFileSync(resolve(REPO_ROOT, 'src/renderer/src/styles/theme.css'), 'utf8')
const DARK_AT = CSS.indexOf('@media (prefers-color-scheme: dark)')

function tokens(css: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const match of css.matchAll(/(--color-[a-z0-9-]+):\s*([^;]+);/g)) found.set(match[1]!, match[2]!.trim())
  return found
}

const LIGHT = tokens(CSS.slice(0, DARK_AT))
const DARK = new Map([...LIGHT, ...tokens(CSS.slice(DARK_AT))])
const THEMES = { light: LIGHT, dark: DARK }

function luminance(hex: string): number {
  const value = hex.length === 4 ? hex.slice(1).split('').map((c) => c + c).join('') : hex.slice(1)
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(value.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (light! + 0.05) / (dark! + 0.05)
}

/** Text tokens and the surfaces each is drawn on. */
const TEXT: Array<[string, string[]]> = [
  ['--color-text', ['--color-bg', '--color-surface', '--color-surface-alt', '--color-toolbar', '--color-selected', '--color-row-hover', '--color-code-bg']],
  ['--color-text-muted', ['--color-bg', '--color-surface', '--color-surface-alt', '--color-surface-subtle', '--color-toolbar', '--color-selected']],
  ['--color-text-faint', ['--color-surface', '--color-surface-alt', '--color-selected', '--color-row-hover']],
  ['--color-link', ['--color-bg', '--color-surface', '--color-surface-alt', '--color-toolbar', '--color-selected']],
  ['--color-accent-text', ['--color-accent', '--color-accent-hover']],
  ['--color-danger', ['--color-surface', '--color-danger-bg']],
  ['--color-danger-text', ['--color-danger-bg']],
  ['--color-warning', ['--color-surface']],
  ['--color-warning-text', ['--color-warning-bg']],
  ['--color-success', ['--color-surface', '--color-success-bg']],
  ['--color-info', ['--color-surface', '--color-info-bg']],
  ['--color-demo-text', ['--color-demo-bg']],
  ['--color-pinned', ['--color-surface', '--color-ghost-hover']],
  ['--color-notice-text', ['--color-notice-bg', '--color-notice-danger-bg', '--color-notice-success-bg']],
  ['--color-type-text', ['--color-type-valid', '--color-type-invalid', '--color-type-other']],
  ['--color-type-production-text', ['--color-type-production']],
  ['--color-chart-text', ['--color-chart-bg']]
]

describe.each(Object.entries(THEMES))('the %s theme', (_name, theme) => {
  const get = (token: string): string => {
    const value = theme.get(token)
    expect(value, token).toMatch(/^#[0-9a-f]{3,6}$/i)
    return value!
  }

  it('gives every text colour 4.5:1 against the surfaces it is drawn on', () => {
    const failures: string[] = []
    for (const [text, surfaces] of TEXT) {
      for (const surface of surfaces) {
        const ratio = contrast(get(text), get(surface))
        if (ratio < 4.5) failures.push(`${text} on ${surface}: ${ratio.toFixed(2)}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('draws the focus ring at 3:1 against every surface, and chart lines at 3:1 against the chart', () => {
    for (const surface of ['--color-bg', '--color-surface', '--color-surface-alt', '--color-toolbar', '--color-selected']) {
      expect(contrast(get('--color-focus'), get(surface)), surface).toBeGreaterThanOrEqual(3)
    }
    const lines = [...Array.from({ length: 8 }, (_, i) => `--color-series-${i + 1}`), '--color-type-production', '--color-type-valid', '--color-type-invalid', '--color-type-other', '--color-chart-expected', '--color-chart-total']
    for (const line of lines) expect(contrast(get(line), get('--color-chart-bg')), line).toBeGreaterThanOrEqual(3)
  })

  it('defines every token the light theme does', () => {
    expect([...LIGHT.keys()].filter((token) => !theme.has(token))).toEqual([])
  })
})

describe('chart colours', () => {
  it('fall back on exactly the light tokens', () => {
    expect(readChartColours({ getPropertyValue: (name) => LIGHT.get(name) ?? '' })).toEqual(LIGHT_CHART_COLOURS)
    expect(readChartColours({ getPropertyValue: () => '' })).toEqual(LIGHT_CHART_COLOURS)
  })

  it('follow the dark tokens when the page has them', () => {
    const dark = readChartColours({ getPropertyValue: (name) => ` ${DARK.get(name) ?? ''}` })
    expect(dark.background).toBe(DARK.get('--color-chart-bg'))
    expect(dark.series).toEqual(Array.from({ length: 8 }, (_, i) => DARK.get(`--color-series-${i + 1}`)))
    expect(dark.types.production).toBe(DARK.get('--color-type-production'))
    expect(dark.background).not.toBe(LIGHT_CHART_COLOURS.background)
  })
})
