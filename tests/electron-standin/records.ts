/**
 * What the Electron stand-in's main process records: what a real desktop would have shown or
 * opened (notifications, message boxes, the browser, the file manager) and the IPC traffic between
 * main and the page. Tests read it through Playwright's `electronApp.evaluate(({ standin }) => …)`.
 */

export interface NotificationRecord {
  title: string
  body: string
}

export interface DialogRecord {
  kind: 'messageBox' | 'errorBox'
  title?: string
  message: string
  detail?: string
  type?: string
  /** The id of the window it was modal to, if any. */
  window?: number
}

export interface IpcRecord {
  /** `invoke`: page → main and its answer; `send`: main → page (webContents.send); `renderer-send`: ipcRenderer.send. */
  direction: 'invoke' | 'send' | 'renderer-send'
  channel: string
  frameUrl?: string
  /** JSON of what the page sent (invoke's arguments). */
  toMain?: string
  /** JSON of what reached the page (invoke's answer, send's arguments). */
  toPage?: string
}

export interface StandinRecords {
  notifications: NotificationRecord[]
  dialogs: DialogRecord[]
  openedExternal: string[]
  openedPaths: string[]
  loginItems: Array<{ openAtLogin?: boolean }>
  ipc: IpcRecord[]
  /** Errors the main process did not catch (Electron shows them in a dialog and goes on). */
  mainErrors: string[]
  /** `second-instance` deliveries: the argv of each later start. */
  secondInstances: string[][]
}

export const records: StandinRecords = {
  notifications: [],
  dialogs: [],
  openedExternal: [],
  openedPaths: [],
  loginItems: [],
  ipc: [],
  mainErrors: [],
  secondInstances: []
}

/** JSON for the IPC log; what cannot be serialised is named instead. */
export function logText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined'
  } catch (error) {
    return `(not serialisable: ${(error as Error).message})`
  }
}
