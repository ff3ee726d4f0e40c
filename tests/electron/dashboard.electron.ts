/**
 * `npm run test:electron`: the desktop scenario (tests/desktop-app/desktop-scenario.ts) in the real
 * desktop app: Electron's binary, the built main, preload and renderer, driven by Playwright's
 * Electron support. Not part of `npm test`: the binary cannot be downloaded on the CI machines;
 * scripts/test-electron.mjs refuses to run without it. `npm test` runs the same scenario on the
 * Chromium-backed stand-in (tests/desktop-app/desktop-app.test.ts). Here the main process's dialogs,
 * shell and notifications are replaced by recording ones, so nothing opens on the desktop.
 */
import { expect } from 'vitest'
import { desktopScenario } from '../desktop-app/desktop-scenario'
import { recordingRecorder } from '../desktop-app/recorders'

const EXECUTABLE = process.env.STATS2_ELECTRON_EXECUTABLE
if (!EXECUTABLE) throw new Error('STATS2_ELECTRON_EXECUTABLE is not set: run these tests with `npm run test:electron`')

desktopScenario({
  name: 'the desktop app on Electron',
  executablePath: EXECUTABLE,
  recorder: recordingRecorder,
  checks: {
    diagnostics(text) {
      expect(text).toMatch(/\nElectron \d+\.\d+\.\d+\n/)
    }
  }
})
