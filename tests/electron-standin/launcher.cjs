/**
 * The Electron stand-in's executable (run by ./electron): `electron [switches] <appPath> [args]` as
 * Electron takes it, for the app's BUILT main bundle (package.json `main`, out/main/index.js).
 *
 * - `--inspect[=port]` opens Node's inspector (Playwright's Electron support evaluates in main
 *   through it and waits for its "Debugger listening on ws://…" line);
 * - the module id 'electron' resolves to the stand-in (electron.cjs) for every require in this
 *   process: module resolution, the bundle is not rewritten;
 * - process.versions.electron is the installed electron package's version marked `-standin`
 *   (the app starts its desktop shell only when it is set); process.versions.chrome is the
 *   stand-in Chromium's once it runs.
 *
 * The stand-in then starts the app as Electron would (index.ts): package.json, main, Chromium
 * (printing "DevTools listening on ws://…"), ready.
 */
'use strict'
const Module = require('node:module')
const { readFileSync } = require('node:fs')
const { join } = require('node:path')

const args = process.argv.slice(2)
const inspect = args.find((arg) => /^--inspect(-brk)?(=|$)/.test(arg))
if (inspect) {
  const port = Number(inspect.split('=')[1] ?? 9229)
  require('node:inspector').open(Number.isInteger(port) ? port : 0, '127.0.0.1')
}
const appArg = args.find((arg) => !arg.startsWith('-'))
if (!appArg) {
  process.stderr.write('electron-standin: usage: electron [switches] <app folder> [args]\n')
  process.exit(9)
}

const STANDIN = require.resolve('./electron.cjs')
const resolveFilename = Module._resolveFilename
Module._resolveFilename = function resolveElectron(request, ...rest) {
  return request === 'electron' ? STANDIN : resolveFilename.call(this, request, ...rest)
}

const electronVersion = JSON.parse(readFileSync(join(require.resolve('electron/package.json', { paths: [appArg] })), 'utf8')).version
Object.defineProperty(process.versions, 'electron', { value: `${electronVersion}-standin`, enumerable: true })

require('electron').standin
  .start({
    appPath: appArg,
    args: args.filter((arg) => arg !== inspect),
    executable: join(__dirname, 'electron'),
    loadMain: (path) => require(path)
  })
  .catch((error) => {
    process.stderr.write(`electron-standin: start failed: ${error && error.stack ? error.stack : error}\n`)
    process.exit(1)
  })
