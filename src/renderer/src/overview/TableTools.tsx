import { useId, useState, type ReactNode } from 'react'
import type { CsvFile } from '../../../shared/overview/csv'
import { downloadText } from '../download'

/** A table's CSV export button. */
export function CsvButton({ file, label = 'CSV' }: { file: () => CsvFile; label?: string }): ReactNode {
  return (
    <button
      type="button"
      className="button small"
      onClick={() => {
        const { filename, content } = file()
        downloadText(`${filename}.csv`, 'text/csv', content)
      }}
    >
      {label}
    </button>
  )
}

/** A section's heading with its tools on the right. */
export function SectionHead({ title, id, children }: { title: string; id: string; children?: ReactNode }): ReactNode {
  return (
    <div className="overview-section-head">
      <h2 id={id}>{title}</h2>
      <span className="spacer-flex" />
      {children}
    </div>
  )
}

/** A wide table in a region that scrolls sideways and can be reached and scrolled from the keyboard. */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return (
    <div className="overview-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  )
}

/** The first `limit` rows, and a button for the rest. */
export function useShowMore<T>(items: readonly T[], limit: number): { shown: readonly T[]; more: ReactNode } {
  const [all, setAll] = useState(false)
  const id = useId()
  if (items.length <= limit) return { shown: items, more: null }
  return {
    shown: all ? items : items.slice(0, limit),
    more: (
      <button type="button" id={id} className="button small ghost" aria-expanded={all} onClick={() => setAll((value) => !value)}>
        {all ? `Show the first ${limit}` : `Show all ${items.length}`}
      </button>
    )
  }
}
