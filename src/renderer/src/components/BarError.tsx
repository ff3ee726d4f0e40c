import type { ReactNode } from 'react'

/** A job's failure to start (the update's or the pull's), under the header, until dismissed. */
export function BarError({ error, onDismiss }: { error: string | undefined; onDismiss: () => void }): ReactNode {
  if (!error) return null
  return (
    <div className="updater-result state-failed" role="alert">
      <span>{error}</span>
      <button type="button" className="button small ghost" onClick={onDismiss} aria-label="Dismiss">×</button>
    </div>
  )
}
