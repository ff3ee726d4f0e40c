import type { ReactNode } from 'react'
import { PAGE_SIZES, pageCount } from '../lib/hash-query'

interface Props {
  page: number
  pageSize: number
  total: number
  onPage: (page: number) => void
  onPageSize?: (pageSize: number) => void
  position: 'top' | 'bottom'
}

/** "page k of n" with previous/next (and the page size on the top one). */
export function Pager({ page, pageSize, total, onPage, onPageSize, position }: Props): ReactNode {
  const pages = pageCount(total, pageSize)
  return (
    <nav className="pager" aria-label={`Pages (${position})`}>
      <button type="button" className="button small" data-testid={position === 'top' ? 'page-prev' : undefined} disabled={page <= 0} onClick={() => onPage(page - 1)} title="Previous page">
        ‹ Prev
      </button>
      <span className="page-of" data-testid={position === 'top' ? 'page-of' : undefined}>page {page + 1} of {pages}</span>
      <button type="button" className="button small" data-testid={position === 'top' ? 'page-next' : undefined} disabled={page + 1 >= pages} onClick={() => onPage(page + 1)} title="Next page">
        Next ›
      </button>
      {onPageSize ? (
        <label className="page-size">
          <select value={pageSize} onChange={(event) => onPageSize(Number(event.target.value))} aria-label="Workflows per page">
            {PAGE_SIZES.map((size) => <option key={size} value={size}>{size}</option>)}
          </select>
          <span>a page</span>
        </label>
      ) : null}
    </nav>
  )
}
