import { useEffect, useState } from 'react'
import type { Result } from '../../../shared/result'

/**
 * Loads one API answer when `key` changes; an answer that arrives after the key moved on is dropped.
 * The value of the previous key stays until the new one arrives (no flash of emptiness).
 */
export function useApiResult<T>(load: () => Promise<Result<T>>, key: string): { value?: T; error?: string } {
  const [state, setState] = useState<{ value?: T; error?: string }>({})
  useEffect(() => {
    let current = true
    void load().then((result) => {
      if (!current) return
      setState(result.ok ? { value: result.value } : { error: result.error.message })
    })
    return () => {
      current = false
    }
    // `load` is recreated each render; `key` says when it asks for something else.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key])
  return state
}
