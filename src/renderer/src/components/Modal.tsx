import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react'
import '../styles/dialogs.css'

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])'

/**
 * Tab from the last control goes back to the first, Shift+Tab from the first to the last: a native
 * modal dialog makes the page inert, but lets Tab leave for the browser's own controls.
 */
function keepFocusInside(event: KeyboardEvent<HTMLDialogElement>): void {
  if (event.key !== 'Tab' || event.altKey || event.ctrlKey || event.metaKey) return
  const controls = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.getClientRects().length > 0)
  const first = controls[0]
  const last = controls[controls.length - 1]
  if (!first || !last) return
  const active = document.activeElement
  if (event.shiftKey && (active === first || active === event.currentTarget)) {
    event.preventDefault()
    last.focus()
  } else if (!event.shiftKey && active === last) {
    event.preventDefault()
    first.focus()
  }
}

interface Props {
  title: string
  onClose: () => void
  children: ReactNode
  className?: string
  testId?: string
  closeOnBackdrop?: boolean
}

/**
 * A native modal `<dialog>` (focus kept inside, the page behind inert); Esc and × close it, and the
 * focus goes back to what had it before (the dialog is removed, not just closed, so the browser's
 * own restoring does not run).
 */
export function Modal({ title, onClose, children, className, testId, closeOnBackdrop = true }: Props): ReactNode {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    const opener = document.activeElement
    if (dialog && !dialog.open) dialog.showModal()
    return () => {
      dialog?.close()
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
    }
  }, [])
  return (
    <dialog
      ref={ref}
      className={className ? `modal ${className}` : 'modal'}
      aria-labelledby={titleId}
      data-testid={testId}
      onKeyDown={keepFocusInside}
      onCancel={(event) => {
        event.preventDefault()
        onClose()
      }}
      onClick={(event) => {
        if (closeOnBackdrop && event.target === event.currentTarget) onClose()
      }}
    >
      <div className="modal-inner">
        <header className="modal-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="button ghost close" onClick={onClose} aria-label="Close" title="Close (Esc)">×</button>
        </header>
        <div className="modal-body">{children}</div>
      </div>
    </dialog>
  )
}
