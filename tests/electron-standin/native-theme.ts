/**
 * Electron's `nativeTheme` as far as the app uses it: the operating system's colour scheme, which
 * the stand-in's Chromium windows also get (`prefers-color-scheme`). The "operating system" here is
 * STATS2_STANDIN_COLOR_SCHEME (`light`, the default, or `dark`); `themeSource` overrides it as in
 * Electron ('system' follows it).
 */
import { EventEmitter } from 'node:events'

export type ColorScheme = 'light' | 'dark'

/** The colour scheme the stand-in's "operating system" uses. */
export function systemColorScheme(env: NodeJS.ProcessEnv = process.env): ColorScheme {
  return env.STATS2_STANDIN_COLOR_SCHEME === 'dark' ? 'dark' : 'light'
}

class NativeTheme extends EventEmitter {
  private source: 'system' | 'light' | 'dark' = 'system'

  get themeSource(): 'system' | 'light' | 'dark' {
    return this.source
  }

  set themeSource(value: 'system' | 'light' | 'dark') {
    if (value === this.source) return
    this.source = value
    this.emit('updated')
  }

  get shouldUseDarkColors(): boolean {
    return this.source === 'system' ? systemColorScheme() === 'dark' : this.source === 'dark'
  }
}

export const nativeTheme = new NativeTheme()
