import type { ReactNode } from 'react'
import { SEARCH_FIELD_LABELS, type SearchField } from '../../../shared/search-types'
import { attributeQuery, formatHash } from '../lib/hash-query'
import { useSearchFor } from '../hooks/searchNavigation'
import { showBidiControls } from '../../../shared/rules/bidi'
import { SafeText } from './SafeText'

interface Props {
  text: string
  field: SearchField
  children?: ReactNode
  className?: string
}

/** An attribute value that, clicked, lists the workflows sharing it. */
export function SearchLink({ text, field, children, className }: Props): ReactNode {
  const searchFor = useSearchFor()
  return (
    <a
      className={className ? `search-link ${className}` : 'search-link'}
      href={formatHash(attributeQuery(text, field))}
      title={`Show the workflows with ${SEARCH_FIELD_LABELS[field]} ${showBidiControls(text)}`}
      onClick={(event) => {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
          event.preventDefault()
          return
        }
        event.preventDefault()
        event.stopPropagation()
        searchFor(text, field)
      }}
    >
      {children ?? <SafeText text={text} />}
    </a>
  )
}
