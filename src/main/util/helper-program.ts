/**
 * Where the program of a helper process or thread is (the store process, the update worker): in a
 * build, next to the running bundle (out/cli/<name>.cjs beside stats2.cjs, out/main/<name>.js beside
 * Electron's index.js; code in a shared chunk sits one folder down); under the sources (vitest,
 * `tsx bench/…`), the TypeScript entry, run through tsx.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

export type HelperProgram =
  | { kind: 'built'; path: string }
  /** `loader`: tsx's module loader for `node --import`; `register`: its CommonJS hook, for worker threads. */
  | { kind: 'source'; path: string; loader: string; register: string }

/**
 * The helper `name`, for the code in `file` (its `__filename`), whose TypeScript entry is `source`.
 * Throws when a build lacks it.
 */
export function helperProgram(name: string, source: string, file: string): HelperProgram {
  if (/\.[cm]?ts$/.test(file)) {
    const require = createRequire(file)
    return { kind: 'source', path: source, loader: pathToFileURL(require.resolve('tsx')).href, register: require.resolve('tsx/cjs/api') }
  }
  const here = dirname(file)
  const names = [`${name}.cjs`, `${name}.js`]
  for (const dir of [here, dirname(here)]) {
    for (const candidate of names) {
      const path = join(dir, candidate)
      if (existsSync(path)) return { kind: 'built', path }
    }
  }
  throw new Error(`${names.join(' or ')} is missing next to ${file}: the build is incomplete; run "npm run build"`)
}
