import { useCallback, useRef, useState, type ReactNode } from 'react'
import { NoticeContext, type Notice, type NoticeTone } from '../hooks/notices'
import '../styles/notices.css'

/** Provides `useNotify()` and shows the messages, each for a few seconds. */
export function Notices({ children }: { children: ReactNode }): ReactNode {
  const [notices, setNotices] = useState<Notice[]>([])
  const nextId = useRef(1)
  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((notice) => notice.id !== id)), [])
  const notify = useCallback((message: string, tone: NoticeTone = 'info') => {
    const id = nextId.current++
    setNotices((list) => [...list.slice(-3), { id, tone, message }])
    setTimeout(() => dismiss(id), tone === 'error' ? 9000 : 4000)
  }, [dismiss])
  return (
    <NoticeContext.Provider value={notify}>
      {children}
      <section className="notices" aria-label="Messages" aria-live="polite">
        {notices.map((notice) => (
          <div key={notice.id} className={`notice notice-${notice.tone}`}>
            <span>{notice.message}</span>
            <button type="button" className="button ghost small" onClick={() => dismiss(notice.id)} aria-label="Dismiss">×</button>
          </div>
        ))}
      </section>
    </NoticeContext.Provider>
  )
}
