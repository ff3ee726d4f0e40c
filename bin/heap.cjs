// The JavaScript heap `stats2 update` runs with. Its live data stays under 100 MB for 10 000 changed
// workflows over a 100 000-workflow store, but V8 lets the heap grow to four times that before it
// collects when collecting is cheap, which is most of the process's peak memory. Started without a
// heap size, the launchers start the update in a Node with `--max-old-space-size=<STATS2_HEAP_MB>`
// instead (see README, "Performance"). An operator's own heap size wins: `--max-old-space-size` or
// `--max-heap-size` in NODE_OPTIONS or on Node's command line, or STATS2_HEAP_MB=0 (no limit set).
// The update's Node also gets MALLOC_ARENA_MAX=2 unless it is set: LevelDB's threads otherwise
// each keep a C heap of their own (glibc), about 50 MB of the peak; other C libraries ignore it.
'use strict'

/** MB of old space for `stats2 update` (STATS2_HEAP_MB); the update needs about half of it at most. */
const DEFAULT_HEAP_MB = 192
/** Below this the update's own data would not fit. */
const MIN_HEAP_MB = 96
/** The commands that get the sized heap: the long update runs (cron, terminals). */
const SIZED_COMMANDS = new Set(['update'])

const HEAP_OPTION = /(^|\s)--max[-_](old[-_]space|heap)[-_]size(=|\s|$)/

/** The heap size to set in MB, or undefined when the operator chose one (or none), or the command does not need it. */
function heapSizeFor(argv, env, execArgv) {
  if (!SIZED_COMMANDS.has(argv[0])) return undefined
  if (HEAP_OPTION.test(env.NODE_OPTIONS ?? '') || execArgv.some((arg) => HEAP_OPTION.test(arg))) return undefined
  const given = (env.STATS2_HEAP_MB ?? '').trim()
  if (given === '') return DEFAULT_HEAP_MB
  if (!/^\d+$/.test(given)) throw new Error(`STATS2_HEAP_MB must be a whole number of MB (0: no limit set), not "${given}"`)
  const mb = Number(given)
  if (mb === 0) return undefined
  if (mb < MIN_HEAP_MB) throw new Error(`STATS2_HEAP_MB must be 0 or at least ${MIN_HEAP_MB}, not ${mb}`)
  return mb
}

/**
 * Node's arguments and environment to run `script argv…` with the sized heap, or undefined to run
 * in this process. Node's own options of this process (execArgv) are kept.
 */
function heapRelaunch(script, argv, env = process.env, execArgv = process.execArgv) {
  const mb = heapSizeFor(argv, env, execArgv)
  if (mb === undefined) return undefined
  return {
    args: [...execArgv, `--max-old-space-size=${mb}`, script, ...argv],
    env: { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2' }
  }
}

module.exports = { DEFAULT_HEAP_MB, MIN_HEAP_MB, heapSizeFor, heapRelaunch }
