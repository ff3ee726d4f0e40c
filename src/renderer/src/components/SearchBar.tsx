import { useState, type ReactNode, type RefObject } from 'react'
import { SEARCH_FIELDS, SEARCH_FIELD_LABELS, type SearchField } from '../../../shared/search-types'
import type { QueryState } from '../lib/hash-query'
import '../styles/search.css'

interface Props {
  query: QueryState
  onSearch: (text: string, field: SearchField) => void
  inputRef: RefObject<HTMLInputElement | null>
  loading: boolean
}

/**
 * One box: PrepID, dataset, campaign, type, processing string, task request or workflow name
 * (tried in that order), or narrowed to one field.
 */
export function SearchBar({ query, onSearch, inputRef, loading }: Props): ReactNode {
  const [text, setText] = useState(query.text)
  const [field, setField] = useState<SearchField>(query.field)
  // Back/Forward or a clicked attribute changes the query: show it in the box.
  const [shown, setShown] = useState(query)
  if (shown !== query) {
    setShown(query)
    setText(query.text)
    setField(query.field)
  }

  return (
    <form
      className="search-bar"
      role="search"
      onSubmit={(event) => {
        event.preventDefault()
        onSearch(text.trim(), field)
      }}
    >
      <label className="visually-hidden" htmlFor="search-input">Search workflows</label>
      <input
        id="search-input"
        ref={inputRef}
        data-testid="search"
        type="search"
        className="search-input mono"
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder="PrepID, dataset, campaign, type, processing string, task request or workflow name  (press / to focus)"
        spellCheck={false}
        autoComplete="off"
        autoCapitalize="off"
      />
      <label className="visually-hidden" htmlFor="search-field">Search in</label>
      <select id="search-field" data-testid="search-field" className="search-field" value={field} onChange={(event) => setField(event.target.value as SearchField)}>
        {SEARCH_FIELDS.map((option) => (
          <option key={option} value={option}>{option === 'any' ? 'Any field' : SEARCH_FIELD_LABELS[option].replace(/^./, (c) => c.toUpperCase())}</option>
        ))}
      </select>
      <button type="submit" className="button primary search-button" aria-label="Search" data-testid="search-submit" aria-busy={loading}>
        ▶ Search
      </button>
      {query.text !== '' || query.field !== 'any' ? (
        <button type="button" className="button ghost" onClick={() => onSearch('', 'any')} title="List every workflow">Show all</button>
      ) : null}
    </form>
  )
}
