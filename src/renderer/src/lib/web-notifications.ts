/**
 * Watchlist notifications in browser mode, through the Web Notifications API. Permission is asked
 * only when the operator clicks (browsers ignore or penalise a request at page load); in the
 * Electron app main shows them instead. Testable with any object shaped like `Notification`.
 */
import { notificationsToShow, type WatchEvent } from '../../../shared/watchlist'

export interface WebNotificationApi {
  readonly permission: NotificationPermission
  requestPermission(): Promise<NotificationPermission>
  new (title: string, options?: NotificationOptions): unknown
}

export function webNotificationApi(): WebNotificationApi | undefined {
  return typeof window !== 'undefined' && 'Notification' in window ? (window.Notification as unknown as WebNotificationApi) : undefined
}

/** Shows the events when permission was granted; returns how many notifications were created. */
export function showWebNotifications(api: WebNotificationApi | undefined, events: readonly WatchEvent[]): number {
  if (!api || api.permission !== 'granted' || events.length === 0) return 0
  const shown = notificationsToShow(events)
  for (const { title, body, tag } of shown) new api(title, { body, tag })
  return shown.length
}
