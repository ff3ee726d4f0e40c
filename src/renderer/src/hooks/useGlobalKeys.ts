import { useEffect, useRef } from 'react'

/**
 * `/` focuses the search box (unless typing in a field), Esc closes the topmost panel.
 * Handlers are read through a ref, so callers may pass new functions on every render.
 */
export function useGlobalKeys(handlers: { focusSearch: () => void; escape: () => boolean }): void {
  const ref = useRef(handlers)
  useEffect(() => {
    ref.current = handlers
  })
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return
      const target = event.target as HTMLElement | null
      const typing = !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
      if (event.key === '/' && !typing) {
        event.preventDefault()
        ref.current.focusSearch()
      } else if (event.key === 'Escape') {
        if (ref.current.escape()) event.preventDefault()
      }
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [])
}
