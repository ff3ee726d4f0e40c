import type { Stats2Api } from '../shared/ipc-contract'

declare global {
  interface Window {
    /** Set by the preload (Electron) or a test shim; absent in browser mode (the HTTP bridge is used). */
    stats2?: Stats2Api
  }
}

export {}
