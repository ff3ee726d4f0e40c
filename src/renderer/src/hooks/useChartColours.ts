import { useSyncExternalStore } from 'react'
import { readChartColours, type ChartColours } from '../lib/colours'

const DARK = '(prefers-color-scheme: dark)'

// Read once per theme, shared by every chart: the tokens change only with the theme.
let cached: { dark: boolean; colours: ChartColours } | undefined

function snapshot(): ChartColours {
  const dark = window.matchMedia(DARK).matches
  if (cached?.dark !== dark) cached = { dark, colours: readChartColours(getComputedStyle(document.documentElement)) }
  return cached.colours
}

function subscribe(onChange: () => void): () => void {
  const query = window.matchMedia(DARK)
  query.addEventListener('change', onChange)
  return () => query.removeEventListener('change', onChange)
}

/** The chart colours of the current theme (styles/theme.css); charts using them are rebuilt when the OS theme changes. */
export function useChartColours(): ChartColours {
  return useSyncExternalStore(subscribe, snapshot)
}
