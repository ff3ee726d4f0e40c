#!/usr/bin/env node
// The stats2 command: runs the TypeScript CLI through tsx, so `npx stats2 …` works right after
// `npm install` without a separate build step.
const path = require('node:path')
require('tsx/cjs/api').register()
const { main } = require(path.join(__dirname, '..', 'src', 'main', 'cli', 'main.ts'))
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    process.stderr.write(`stats2: ${error && error.stack ? error.stack : error}\n`)
    process.exitCode = 1
  }
)
