import { defineConfig } from 'vitest/config'

/** `npm run test:electron` only: the real desktop app through Playwright's Electron support. */
export default defineConfig({
  test: {
    include: ['tests/electron/**/*.electron.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1
  }
})
