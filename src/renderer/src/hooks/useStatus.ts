import { useCallback, useEffect, useState } from 'react'
import type { AppStatus } from '../../../shared/ipc-contract'
import { getApi } from '../api'

/** The app status: asked once, then followed through `statusChanged` events. */
export function useStatus(): { status: AppStatus | undefined; error: string | undefined; refresh: () => void; setStatus: (status: AppStatus) => void } {
  const [status, setStatus] = useState<AppStatus>()
  const [error, setError] = useState<string>()

  const refresh = useCallback(() => {
    void getApi().getStatus({}).then((result) => {
      if (result.ok) {
        setStatus(result.value)
        setError(undefined)
      } else {
        setError(result.error.message)
      }
    })
  }, [])

  useEffect(() => {
    const unsubscribe = getApi().on('statusChanged', (next) => {
      setStatus(next)
      setError(undefined)
    })
    refresh()
    return unsubscribe
  }, [refresh])

  return { status, error, refresh, setStatus }
}
