import { useCallback, useEffect, useState } from 'react'

export type AppView = 'search' | 'watchlist'

/** The hash of the Watchlist tab; any other hash is a search (see hash-query). */
export const WATCHLIST_HASH = '#watchlist'

/** Which main view the URL hash shows: Back/Forward and reload keep it. */
export function useView(): { view: AppView; showWatchlist: () => void } {
  const read = (): AppView => (location.hash === WATCHLIST_HASH ? 'watchlist' : 'search')
  const [view, setView] = useState<AppView>(read)
  useEffect(() => {
    const onHashChange = (): void => setView(read())
    window.addEventListener('hashchange', onHashChange)
    return () => window.removeEventListener('hashchange', onHashChange)
  }, [])
  const showWatchlist = useCallback(() => {
    location.hash = WATCHLIST_HASH
  }, [])
  return { view, showWatchlist }
}
