/**
 * The `stats2` command as one CommonJS file, out/cli/stats2.cjs: no TypeScript at run time, the
 * production dependencies loaded from node_modules as they are (native LevelDB included). Its
 * siblings, each its own build: `--mode store-server` out/cli/store-server.cjs, the embedded store's
 * own process (src/store-server/main.ts, started by src/store-server/process/launch.ts), and
 * `--mode update-worker` out/cli/update-worker.cjs, the worker thread `stats2 ui` runs updates in
 * (src/main/updater/worker), and `--mode store-check` out/cli/store-check.cjs, `stats2 store
 * check|repair`'s module, loaded only by them (src/store-server/index.ts).
 */
import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import pkg from './package.json' with { type: 'json' }

const external = [...builtinModules, ...builtinModules.map((name) => `node:${name}`), ...Object.keys(pkg.dependencies)]

const ENTRIES: Record<string, { source: string; file: string }> = {
  production: { source: 'src/main/cli/bin.ts', file: 'stats2.cjs' },
  'store-server': { source: 'src/store-server/main.ts', file: 'store-server.cjs' },
  'update-worker': { source: 'src/main/updater/worker/update-worker.ts', file: 'update-worker.cjs' },
  'store-check': { source: 'src/store-server/check/store-check.ts', file: 'store-check.cjs' }
}

export default defineConfig(({ mode }) => {
  const entry = ENTRIES[mode]
  if (!entry) throw new Error(`vite.cli.config.mts: unknown mode ${mode} (${Object.keys(ENTRIES).join(', ')})`)
  return {
    build: {
      ssr: resolve(import.meta.dirname, entry.source),
      outDir: resolve(import.meta.dirname, 'out/cli'),
      // The command's build empties the folder; its siblings' builds then add their files.
      emptyOutDir: mode === 'production',
      target: 'node20',
      minify: false,
      sourcemap: false,
      rollupOptions: {
        external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
        output: { format: 'cjs', entryFileNames: entry.file, codeSplitting: false }
      }
    },
    ssr: { target: 'node', noExternal: [] }
  }
})
