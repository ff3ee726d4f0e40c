/**
 * Registers the contract's handlers on Electron's ipcMain (every channel of CHANNEL_NAMES, nothing
 * else) and forwards app events to the window. Calls from any frame other than the app's own page
 * are refused.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { CHANNEL_NAMES, ipcChannel, type EventName, type PayloadOf } from '../../shared/ipc-contract'
import { fail, type Result } from '../../shared/result'
import { notificationsToShow, type WatchEvent } from '../../shared/watchlist'
import { dispatch, type Handlers } from './handlers'

export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  handlers: Handlers,
  isTrustedFrame: (url: string) => boolean
): () => void {
  for (const name of CHANNEL_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event: IpcMainInvokeEvent, request: unknown): Promise<Result<unknown>> => {
      const url = event.senderFrame?.url ?? ''
      if (!isTrustedFrame(url)) return fail('forbidden', `IPC refused from ${url.slice(0, 120) || 'an unknown frame'}`)
      return dispatch(handlers, name, request)
    })
  }
  return () => {
    for (const name of CHANNEL_NAMES) ipcMain.removeHandler(ipcChannel(name))
  }
}

/** Sends an app event to a window, if it is still open. */
export function sendEvent<E extends EventName>(contents: WebContents | undefined, event: E, payload: PayloadOf<E>): void {
  if (contents && !contents.isDestroyed()) contents.send(ipcChannel(event), payload)
}

/** The part of Electron's `Notification` the app uses (tests pass a stand-in: no Electron binary here). */
export interface NotificationClass {
  new (options: { title: string; body: string; silent?: boolean }): { show(): void; on(event: 'click', listener: () => void): unknown }
  isSupported(): boolean
}

/** Shows watchlist notifications on the desktop; a click brings the window forward. Returns how many were shown. */
export function showWatchNotifications(Notification: NotificationClass, events: readonly WatchEvent[], onClick: () => void): number {
  if (events.length === 0 || !Notification.isSupported()) return 0
  const shown = notificationsToShow(events)
  for (const { title, body } of shown) {
    const notification = new Notification({ title, body })
    notification.on('click', onClick)
    notification.show()
  }
  return shown.length
}
