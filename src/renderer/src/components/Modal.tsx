import { useEffect, useId, useRef, type ReactNode } from 'react'
import '../styles/dialogs.css'

interface Props {
  title: string
  onClose: () => void
  children: ReactNode
  className?: string
  testId?: string
  closeOnBackdrop?: boolean
}

/** A native modal `<dialog>` (focus kept inside, the page behind inert); Esc and × close it. */
export function Modal({ title, onClose, children, className, testId, closeOnBackdrop = true }: Props): ReactNode {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])
  return (
    <dialog
      ref={ref}
      className={className ? `modal ${className}` : 'modal'}
      aria-labelledby={titleId}
      data-testid={testId}
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
          <button type="button" className="button ghost close" onClick={onClose} aria-label="Close">×</button>
        </header>
        <div className="modal-body">{children}</div>
      </div>
    </dialog>
  )
}
