#!/usr/bin/env node
// @ts-check
/**
 * `npm run test:electron`: the dashboard's end-to-end tests against the real desktop app, driven
 * by Playwright's Electron support. Needs Electron's binary (`npm start` downloads it once); where
 * it is absent this says so and exits non-zero instead of passing without testing anything.
 */
import { spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronPackageDir, findElectron } from './electron-launch.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const executable = findElectron(electronPackageDir(root), process.env)
if (!executable) {
  process.stderr.write(
    'test:electron: Electron\'s binary is not installed, so the desktop tests cannot run here (none were run). ' +
      'Run `npm start` once with Node 22.12+ and network access (it downloads the binary), or set ELECTRON_OVERRIDE_DIST_PATH to an Electron 45 folder.\n'
  )
  process.exit(1)
}

/** @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env */
function run(command, args, env = process.env) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env })
    child.on('close', (code) => done(code ?? 1))
  })
}

const build = await run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])
if (build !== 0) process.exit(build)
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
process.exit(await run(process.execPath, [vitest, 'run', '--config', 'vitest.electron.config.mts', ...process.argv.slice(2)], { ...process.env, STATS2_ELECTRON_EXECUTABLE: executable }))
