/**
 * The renderer's only door to main: `window.stats2`, one method per contract channel plus `on` for
 * events, built from the contract's lists. Runs sandboxed with context isolation: no Node, no zod.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { CHANNEL_NAMES, EVENT_NAMES, ipcChannel, type EventName } from '../shared/ipc-channels'

const api: Record<string, unknown> = {}
for (const name of CHANNEL_NAMES) {
  api[name] = (request: unknown) => ipcRenderer.invoke(ipcChannel(name), request ?? {})
}
api.on = (event: EventName, listener: (payload: unknown) => void): (() => void) => {
  if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`Unknown event ${String(event)}`)
  const wrapped = (_event: IpcRendererEvent, payload: unknown): void => listener(payload)
  ipcRenderer.on(ipcChannel(event), wrapped)
  return () => {
    ipcRenderer.removeListener(ipcChannel(event), wrapped)
  }
}

contextBridge.exposeInMainWorld('stats2', Object.freeze(api))
