/**
 * The `stats2` command as one CommonJS file, out/cli/stats2.cjs: no TypeScript at run time, the
 * production dependencies loaded from node_modules as they are (native LevelDB included).
 */
import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import pkg from './package.json' with { type: 'json' }

const external = [...builtinModules, ...builtinModules.map((name) => `node:${name}`), ...Object.keys(pkg.dependencies)]

export default defineConfig({
  build: {
    ssr: resolve(import.meta.dirname, 'src/main/cli/bin.ts'),
    outDir: resolve(import.meta.dirname, 'out/cli'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rollupOptions: {
      external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
      output: { format: 'cjs', entryFileNames: 'stats2.cjs', codeSplitting: false }
    }
  },
  ssr: { target: 'node', noExternal: [] }
})
