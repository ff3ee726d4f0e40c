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

load().runFromCommandLine(process.argv.slice(2))
