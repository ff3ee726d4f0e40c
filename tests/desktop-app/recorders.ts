/**
 * What the desktop app did on the operator's desktop: notifications shown, message boxes, links and
 * folders opened, the window asked to take the focus. With the stand-in these are its own records
 * (it never shows or opens anything); with Electron's real binary the test replaces those calls in
 * the main process by recording ones, so nothing pops up on the machine running the tests.
 */
import type { ElectronApplication } from 'playwright-core'
import type { StandinRecords } from '../electron-standin/records'

export interface Shown {
  title: string
  body: string
}

export interface Dialog {
  title?: string
  message: string
  detail?: string
}

export interface DesktopRecorder {
  notifications(): Promise<Shown[]>
  /** Clicks the n-th notification shown, as the operator would. */
  clickNotification(index: number): Promise<void>
  dialogs(): Promise<Dialog[]>
  openedExternal(): Promise<string[]>
  openedPaths(): Promise<string[]>
  /** How often the first window was asked to take the focus. */
  focusRequests(): Promise<number>
}

interface StandinModule {
  standin: { records: StandinRecords; clickNotification(index: number): boolean; focusRequests(): number[] }
}

/** The stand-in's own records, read in its main process. */
export function standinRecorder(app: ElectronApplication): DesktopRecorder {
  return {
    notifications: () => app.evaluate((electron) => (electron as unknown as StandinModule).standin.records.notifications),
    clickNotification: async (index) => {
      const clicked = await app.evaluate((electron, n) => (electron as unknown as StandinModule).standin.clickNotification(n), index)
      if (!clicked) throw new Error(`no notification ${index} was shown`)
    },
    dialogs: () => app.evaluate((electron) => (electron as unknown as StandinModule).standin.records.dialogs),
    openedExternal: () => app.evaluate((electron) => (electron as unknown as StandinModule).standin.records.openedExternal),
    openedPaths: () => app.evaluate((electron) => (electron as unknown as StandinModule).standin.records.openedPaths),
    focusRequests: () => app.evaluate((electron) => (electron as unknown as StandinModule).standin.focusRequests()[0] ?? 0)
  }
}

interface Recorded {
  notifications: Shown[]
  shown: Array<{ emit(event: string): void }>
  dialogs: Dialog[]
  openedExternal: string[]
  openedPaths: string[]
  focus: number
}

/** Electron's real binary: recording replacements installed in its main process, once per start. */
export async function recordingRecorder(app: ElectronApplication): Promise<DesktopRecorder> {
  await app.evaluate(({ BrowserWindow, dialog, Notification, shell }) => {
    const scope = globalThis as unknown as { __stats2Recorded?: Recorded }
    const recorded: Recorded = { notifications: [], shown: [], dialogs: [], openedExternal: [], openedPaths: [], focus: 0 }
    scope.__stats2Recorded = recorded
    dialog.showMessageBox = (async (...args: unknown[]) => {
      const options = (args.length > 1 ? args[1] : args[0]) as Dialog
      recorded.dialogs.push({ title: options.title, message: options.message, detail: options.detail })
      return { response: 0, checkboxChecked: false }
    }) as typeof dialog.showMessageBox
    shell.openExternal = async (url: string) => void recorded.openedExternal.push(url)
    shell.openPath = async (path: string) => {
      recorded.openedPaths.push(path)
      return ''
    }
    Notification.prototype.show = function show(this: { title: string; body: string; emit(event: string): void }) {
      recorded.notifications.push({ title: this.title, body: this.body })
      recorded.shown.push(this)
    }
    const window = BrowserWindow.getAllWindows()[0]!
    const focus = window.focus.bind(window)
    window.focus = () => {
      recorded.focus += 1
      focus()
    }
  })
  const read = <K extends keyof Recorded>(key: K): Promise<Recorded[K]> =>
    app.evaluate((_electron, name) => (globalThis as unknown as { __stats2Recorded: Recorded }).__stats2Recorded[name], key) as Promise<Recorded[K]>
  return {
    notifications: () => read('notifications'),
    clickNotification: async (index) => {
      await app.evaluate((_electron, n) => (globalThis as unknown as { __stats2Recorded: Recorded }).__stats2Recorded.shown[n]!.emit('click'), index)
    },
    dialogs: () => read('dialogs'),
    openedExternal: () => read('openedExternal'),
    openedPaths: () => read('openedPaths'),
    focusRequests: () => read('focus')
  }
}
