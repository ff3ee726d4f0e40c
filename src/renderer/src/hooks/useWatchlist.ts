import { createContext, useCallback, useContext, useEffect, useState } from 'react'
import type { WatchEvent, WatchItem, WatchlistView } from '../../../shared/watchlist'
import { sameWatchItem, WATCH_KIND_LABELS } from '../../../shared/watchlist'
import { getApi, isBrowserMode } from '../api'
import { showWebNotifications, webNotificationApi } from '../lib/web-notifications'
import { useNotify } from './notices'

export interface WatchlistState {
  view: WatchlistView | undefined
  error: string | undefined
  isPinned: (item: WatchItem) => boolean
  toggle: (item: WatchItem) => void
  setStallHours: (hours: number) => void
  refresh: () => void
}

const noop = (): void => undefined
export const WatchlistContext = createContext<WatchlistState>({ view: undefined, error: undefined, isPinned: () => false, toggle: noop, setStallHours: noop, refresh: noop })

export function useWatchlistContext(): WatchlistState {
  return useContext(WatchlistContext)
}

/**
 * The watchlist: loaded when `refreshKey` changes (an update ended), changed by pin buttons, and
 * followed through `watchNotifications` events — shown as Web Notifications in browser mode (when
 * permitted) and as a notice at the bottom of the window.
 */
export function useWatchlist(refreshKey: number): WatchlistState {
  const notify = useNotify()
  const [view, setView] = useState<WatchlistView>()
  const [error, setError] = useState<string>()

  const refresh = useCallback(() => {
    void getApi().getWatchlist({}).then((result) => {
      if (result.ok) {
        setView(result.value)
        setError(undefined)
      } else {
        setError(result.error.message)
      }
    })
  }, [])

  useEffect(refresh, [refresh, refreshKey])

  useEffect(
    () =>
      getApi().on('watchNotifications', (events: WatchEvent[]) => {
        if (isBrowserMode()) showWebNotifications(webNotificationApi(), events)
        const first = events[0]
        if (first) notify(events.length === 1 ? `${first.title}: ${first.body}` : `${events.length} watchlist events — see the Watchlist`, 'info')
        refresh()
      }),
    [notify, refresh]
  )

  const isPinned = useCallback((item: WatchItem) => Boolean(view?.items.some((known) => sameWatchItem(known.item, item))), [view])

  const toggle = useCallback(
    (item: WatchItem) => {
      const pinned = view?.items.some((known) => sameWatchItem(known.item, item))
      const api = getApi()
      void (pinned ? api.watchlistRemove({ item }) : api.watchlistAdd({ item })).then((result) => {
        if (result.ok) {
          setView(result.value)
          notify(`${WATCH_KIND_LABELS[item.kind]} ${item.value} ${pinned ? 'unpinned' : 'pinned to the watchlist'}`, 'success')
        } else {
          notify(`The watchlist could not change: ${result.error.message}`, 'error')
        }
      })
    },
    [view, notify]
  )

  const setStallHours = useCallback(
    (hours: number) => {
      void getApi().setWatchlistOptions({ stallHours: hours }).then((result) => {
        if (result.ok) setView(result.value)
        else notify(`Not saved: ${result.error.message}`, 'error')
      })
    },
    [notify]
  )

  return { view, error, isPinned, toggle, setStallHours, refresh }
}
