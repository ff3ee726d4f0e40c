import { useCallback, useEffect, useState } from 'react'
import { formatHash, parseHash, type QueryState } from '../lib/hash-query'

/**
 * The search in the URL hash is the single source of truth: searching sets the hash (a history
 * entry, so Back/Forward work), and a hash change (typed, Back, reload) runs the search.
 * `nonce` changes when the same query is asked for again, so it is re-run.
 */
export function useHashQuery(): { query: QueryState; nonce: number; navigate: (next: QueryState) => void } {
  const [query, setQuery] = useState<QueryState>(() => parseHash(location.hash))
  const [nonce, setNonce] = useState(0)

  useEffect(() => {
    const onHashChange = (): void => setQuery(parseHash(location.hash))
    window.addEventListener('hashchange', onHashChange)
    return () => window.removeEventListener('hashchange', onHashChange)
  }, [])

  const navigate = useCallback((next: QueryState) => {
    const hash = formatHash(next)
    if (hash === location.hash) {
      setNonce((value) => value + 1)
      return
    }
    location.hash = hash
  }, [])

  return { query, nonce, navigate }
}
