import { useCallback, useEffect, useState } from 'react'

import { OVERVIEW_HASH, isOverviewHash } from '../overview/address'

export type AppView = 'search' | 'watchlist' | 'overview'

/** The hash of the Watchlist tab; `#overview…` is the Overview's (overview/address.ts); any other hash is a search (see hash-query). */
export const WATCHLIST_HASH = '#watchlist'

/** Which main view the URL hash shows: Back/Forward and reload keep it. */
export function useView(): { view: AppView; showWatchlist: () => void; showOverview: () => void } {
  const read = (): AppView => (location.hash === WATCHLIST_HASH ? 'watchlist' : isOverviewHash(location.hash) ? 'overview' : 'search')
  const [view, setView] = useState<AppView>(read)
  useEffect(() => {
    const onHashChange = (): void => setView(read())
    window.addEventListener('hashchange', onHashChange)
    return () => window.removeEventListener('hashchange', onHashChange)
  }, [])
  const showWatchlist = useCallback(() => {
    location.hash = WATCHLIST_HASH
  }, [])
  const showOverview = useCallback(() => {
    location.hash = OVERVIEW_HASH
  }, [])
  return { view, showWatchlist, showOverview }
}
