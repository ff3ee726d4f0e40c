/**
 * Watchlist notifications in browser mode, through the Web Notifications API. Permission is asked
 * only when the operator clicks (browsers ignore or penalise a request at page load); in the
 * Electron app main shows them instead. Testable with any object shaped like `Notification`.
 */
import { notificationsToShow, type WatchEvent } from '../../../shared/watchlist'

/** The DOM's NotificationPermission, spelled out so this module also compiles for Node tests. */
export type WebNotificationPermission = 'default' | 'granted' | 'denied'

export interface WebNotificationApi {
  readonly permission: WebNotificationPermission
  requestPermission(): Promise<WebNotificationPermission>
  new (title: string, options?: { body?: string; tag?: string }): unknown
}

export function webNotificationApi(): WebNotificationApi | undefined {
  const api = (globalThis as { Notification?: unknown }).Notification
  return typeof api === 'function' ? (api as WebNotificationApi) : undefined
}

/** Shows the events when permission was granted; returns how many notifications were created. */
export function showWebNotifications(api: WebNotificationApi | undefined, events: readonly WatchEvent[]): number {
  if (!api || api.permission !== 'granted' || events.length === 0) return 0
  const shown = notificationsToShow(events)
  for (const { title, body, tag } of shown) new api(title, { body, tag })
  return shown.length
}
