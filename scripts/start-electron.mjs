#!/usr/bin/env node
// @ts-check
/**
 * `npm start` (`preview`: build, then open the built app) and `npm run dev` (`dev`: dev server with
 * reload): makes sure Electron's binary is there, then hands over to electron-vite with the
 * executable named in ELECTRON_EXEC_PATH. Exits non-zero with one line when it cannot.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronPackageDir, ensureElectron } from './electron-launch.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const [mode, ...rest] = process.argv.slice(2)
if (mode !== 'preview' && mode !== 'dev') {
  process.stderr.write('usage: node scripts/start-electron.mjs preview|dev [electron-vite options]\n')
  process.exit(2)
}

const result = await ensureElectron({
  electronDir: electronPackageDir(root),
  env: process.env,
  log: (line) => process.stderr.write(`${line}\n`)
})
if (!result.ok) {
  process.stderr.write(`npm ${mode === 'dev' ? 'run dev' : 'start'}: ${result.message}\n`)
  process.exit(1)
}

const electronVite = join(dirname(createRequire(join(root, 'package.json')).resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
const child = spawn(process.execPath, [electronVite, mode, ...rest], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ELECTRON_EXEC_PATH: result.executable }
})
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => child.kill(signal))
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
