import { useEffect, useState } from 'react'
import type { AppError } from '../../../shared/result'
import type { SearchRowsResult } from '../../../shared/search-types'
import { getApi } from '../api'
import type { QueryState } from '../lib/hash-query'

export interface SearchState {
  loading: boolean
  result: SearchRowsResult | undefined
  error: AppError | undefined
  /** The query the shown result (or error) belongs to. */
  query: QueryState | undefined
  /** Milliseconds the last answer took. */
  tookMs: number | undefined
}

/** Runs the search for `query` whenever it (or `refreshKey`) changes; the previous rows stay while loading. */
export function useSearch(query: QueryState, refreshKey: string, enabled: boolean): SearchState {
  const [state, setState] = useState<SearchState>({ loading: enabled, result: undefined, error: undefined, query: undefined, tookMs: undefined })

  useEffect(() => {
    if (!enabled) return
    let current = true
    const started = performance.now()
    setState((previous) => ({ ...previous, loading: true }))
    const request = { text: query.text, field: query.field, page: query.page, pageSize: query.pageSize }
    void getApi().search(request).then((answer) => {
      if (!current) return
      const tookMs = Math.round(performance.now() - started)
      setState(answer.ok
        ? { loading: false, result: answer.value, error: undefined, query, tookMs }
        : { loading: false, result: undefined, error: answer.error, query, tookMs })
    })
    return () => {
      current = false
    }
  }, [query, refreshKey, enabled])

  return state
}
