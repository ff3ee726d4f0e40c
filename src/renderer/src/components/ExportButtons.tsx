import { useState, type ReactNode } from 'react'
import type { ExportFormat } from '../../../shared/ipc-contract'
import type { SearchField } from '../../../shared/search-types'
import { getApi } from '../api'
import { downloadText } from '../download'
import { useNotify } from '../hooks/notices'

const FORMATS: Array<{ format: ExportFormat; label: string; title: string }> = [
  { format: 'markdown', label: 'Markdown', title: 'A Markdown table: RequestName, InputDataset, OutputDatasets with links' },
  { format: 'json', label: 'JSON', title: 'The raw JSON documents of every matching workflow' },
  { format: 'csv', label: 'CSV', title: 'One line per output dataset, for a spreadsheet' }
]

/** Exports of every workflow the current search matches (all pages), saved as a file. */
export function ExportButtons({ text, field, disabled }: { text: string; field: SearchField; disabled: boolean }): ReactNode {
  const notify = useNotify()
  const [busy, setBusy] = useState<ExportFormat>()
  const run = async (format: ExportFormat): Promise<void> => {
    setBusy(format)
    try {
      const result = await getApi().exportSearch({ text, field, format })
      if (!result.ok) {
        notify(`Export failed: ${result.error.message}`, 'error')
        return
      }
      downloadText(result.value.filename, result.value.mimeType, result.value.content)
      notify(`Saved ${result.value.filename}`, 'success')
    } finally {
      setBusy(undefined)
    }
  }
  return (
    <span className="button-group" role="group" aria-label="Export the search">
      <span className="group-label">Export</span>
      {FORMATS.map(({ format, label, title }) => (
        <button
          key={format}
          type="button"
          className="button small"
          data-testid={`export-${format}`}
          title={title}
          disabled={disabled || busy !== undefined}
          aria-busy={busy === format}
          onClick={() => void run(format)}
        >
          {busy === format ? '…' : label}
        </button>
      ))}
    </span>
  )
}
