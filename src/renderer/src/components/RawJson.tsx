import type { ReactNode } from 'react'
import { getApi } from '../api'
import { downloadText } from '../download'
import { useNotify } from '../hooks/notices'
import { useApiResult } from '../hooks/useApiResult'
import '../styles/charts.css'
import '../styles/panel.css'

function pretty(content: string): string {
  try {
    return JSON.stringify(JSON.parse(content), null, 2)
  } catch {
    return content
  }
}

/** The stored document of one workflow (`exportWorkflow`), pretty-printed, with Copy and Save. */
export function RawJson({ name, refreshKey }: { name: string; refreshKey: number }): ReactNode {
  const notify = useNotify()
  const { value, error } = useApiResult(() => getApi().exportWorkflow({ name }), `${name}#${refreshKey}`)
  const file = value ? { ...value, content: pretty(value.content) } : undefined

  const copy = async (): Promise<void> => {
    if (!file) return
    try {
      await navigator.clipboard.writeText(file.content)
      notify('JSON copied to the clipboard', 'success')
    } catch {
      notify('The clipboard is not available here; use Save instead.', 'error')
    }
  }

  if (error) return <p className="alert alert-error" role="alert">{error}</p>
  if (!file) return <p className="muted">Loading…</p>
  return (
    <div className="raw-json">
      <div className="chart-toolbar">
        <span className="muted">{file.filename} · {file.content.length.toLocaleString('en-US')} characters</span>
        <span className="spacer-flex" />
        <button type="button" className="button small" onClick={() => void copy()} data-testid="copy-json">Copy</button>
        <button type="button" className="button small" onClick={() => downloadText(file.filename, file.mimeType, file.content)} data-testid="save-json">Save</button>
      </div>
      <pre className="json" data-testid="raw-json" tabIndex={0}>{file.content}</pre>
    </div>
  )
}
