import { createContext, useContext } from 'react'

export type NoticeTone = 'info' | 'error' | 'success'

export interface Notice {
  id: number
  tone: NoticeTone
  message: string
}

export type Notify = (message: string, tone?: NoticeTone) => void

export const NoticeContext = createContext<Notify>(() => undefined)

/** Short messages at the bottom of the window (an export saved, a link refused, …). */
export function useNotify(): Notify {
  return useContext(NoticeContext)
}
