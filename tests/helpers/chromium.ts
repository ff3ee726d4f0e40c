/**
 * Debian's Chromium as every browser test starts it (never a downloaded browser), and where their
 * screenshots go. No app code here: the desktop stand-in (tests/electron-standin) loads this in its
 * own process, beside the built main bundle only.
 */
import { resolve } from 'node:path'
import { REPO_ROOT } from './paths'

export const CHROMIUM = process.env.STATS2_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'
]
/** Screenshots of the main views, kept as test artifacts. */
export const ARTIFACTS = resolve(REPO_ROOT, 'test-results', 'screenshots')
