import { createContext, useContext } from 'react'
import type { SearchField } from '../../../shared/search-types'

/** Runs a search for one attribute value (every attribute shown is a link that does this). */
export type SearchFor = (text: string, field: SearchField) => void

export const SearchNavigationContext = createContext<SearchFor>(() => undefined)

export function useSearchFor(): SearchFor {
  return useContext(SearchNavigationContext)
}
