import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// Tests never see the operator's real home: a store, settings or TLS folder that a test forgets to
// point elsewhere lands in this throw-away HOME instead of ~/.config/Stats2.
const testHome = mkdtempSync(join(tmpdir(), 'stats2-test-home-'))

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests start real servers (CouchDB-protocol store, mTLS simulator, Chromium): two cores only.
    pool: 'forks',
    maxWorkers: 2,
    env: { HOME: testHome, XDG_CONFIG_HOME: join(testHome, '.config'), STATS2_LOG_LEVEL: process.env.STATS2_LOG_LEVEL ?? 'warn' },
    setupFiles: ['tests/helpers/setup.ts'],
    reporters: ['default']
  }
})
