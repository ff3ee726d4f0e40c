import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'
import { META_CSP } from './src/shared/csp'

/** The strict CSP in the built page only: the dev server needs its inline refresh script. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'stats2-content-security-policy',
    apply: 'build',
    transformIndexHtml: (html) =>
      html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${META_CSP}" />`)
  }
}

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The embedded store runs in a process of its own (out/main/store-server.js: src/store-server/process/launch.ts),
        // updates in a worker thread (out/main/update-worker.js: src/main/updater/worker).
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          'store-server': resolve(__dirname, 'src/store-server/main.ts'),
          'update-worker': resolve(__dirname, 'src/main/updater/worker/update-worker.ts')
        }
      }
    }
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/renderer/index.html') }
      }
    },
    plugins: [react(), contentSecurityPolicy()]
  }
})
