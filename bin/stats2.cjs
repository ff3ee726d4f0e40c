#!/usr/bin/env node
// The stats2 command. Runs the built CLI (out/cli/stats2.cjs, made by `npm run build`, which
// `npm install` runs). Only in a development checkout whose build is missing does it fall back to
// the TypeScript sources through tsx (a devDependency): installed copies never need it.
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const built = path.join(root, 'out', 'cli', 'stats2.cjs')

function load() {
  if (fs.existsSync(built)) return require(built)
  const source = path.join(root, 'src', 'main', 'cli', 'bin.ts')
  let tsx
  try {
    tsx = require('tsx/cjs/api')
  } catch {
    tsx = undefined
  }
  if (!fs.existsSync(source) || !tsx) {
    process.stderr.write(`stats2: the built command is missing (${built}); run "npm run build" in ${root}\n`)
    process.exit(1)
  }
  tsx.register()
  return require(source)
}

/**
 * `stats2 update` in a Node with a sized heap (bin/heap.cjs): this process only waits for it,
 * passes on SIGTERM and SIGHUP (Ctrl-C reaches both from the terminal already) and exits as it did.
 */
function relaunch({ args, env }) {
  const { spawn } = require('node:child_process')
  const child = spawn(process.execPath, args, { stdio: 'inherit', env })
  const forward = (signal) => () => child.kill(signal)
  const handlers = { SIGINT: () => undefined, SIGTERM: forward('SIGTERM'), SIGHUP: forward('SIGHUP') }
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler)
  child.on('error', (error) => {
    process.stderr.write(`stats2: could not start Node (${process.execPath}): ${error.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    for (const [name, handler] of Object.entries(handlers)) process.off(name, handler)
    if (signal) process.kill(process.pid, signal)
    else process.exit(code ?? 1)
  })
}

let sized
try {
  sized = require('./heap.cjs').heapRelaunch(path.join(__dirname, 'stats2.cjs'), process.argv.slice(2))
} catch (error) {
  process.stderr.write(`stats2: ${error.message}\n`)
  process.exit(2)
}
if (sized) relaunch(sized)
else load().runFromCommandLine(process.argv.slice(2))
