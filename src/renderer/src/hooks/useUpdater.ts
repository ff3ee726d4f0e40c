import { useCallback, useEffect, useRef, useState } from 'react'
import type { UpdaterState } from '../../../shared/ipc-contract'
import { getApi } from '../api'
import { jobEnded } from '../lib/updater-view'

/**
 * The update job: subscribe to `updaterState`, ask `getUpdaterState` once (so a job already running
 * when the window opens is shown), and call `onEnded` when a running job finishes.
 */
export function useUpdater(onEnded: (state: UpdaterState) => void): {
  state: UpdaterState | undefined
  error: string | undefined
  updateAll: () => Promise<void>
  updateSelected: (names: string[]) => Promise<void>
  updateWatchlist: () => Promise<void>
  cancel: () => Promise<void>
  clearError: () => void
} {
  const [state, setState] = useState<UpdaterState>()
  const [error, setError] = useState<string>()
  const previous = useRef<UpdaterState | undefined>(undefined)
  const onEndedRef = useRef(onEnded)
  useEffect(() => {
    onEndedRef.current = onEnded
  }, [onEnded])

  const accept = useCallback((next: UpdaterState) => {
    const before = previous.current
    // Events of an older job arriving late never replace the newer job's state.
    if (before && next.jobId < before.jobId) return
    previous.current = next
    setState(next)
    if (jobEnded(before, next)) onEndedRef.current(next)
  }, [])

  useEffect(() => {
    const unsubscribe = getApi().on('updaterState', accept)
    void getApi().getUpdaterState({}).then((result) => {
      if (result.ok) accept(result.value)
      else setError(result.error.message)
    })
    return unsubscribe
  }, [accept])

  const updateAll = useCallback(async () => {
    setError(undefined)
    const result = await getApi().updateAll({})
    if (result.ok) accept(result.value)
    else setError(result.error.message)
  }, [accept])

  const updateSelected = useCallback(async (names: string[]) => {
    setError(undefined)
    const result = await getApi().updateSelected({ names })
    if (result.ok) accept(result.value)
    else setError(result.error.message)
  }, [accept])

  const updateWatchlist = useCallback(async () => {
    setError(undefined)
    const result = await getApi().updateWatchlist({})
    if (result.ok) accept(result.value)
    else setError(result.error.message)
  }, [accept])

  const cancel = useCallback(async () => {
    const result = await getApi().cancelUpdate({})
    if (result.ok) accept(result.value)
    else setError(result.error.message)
  }, [accept])

  const clearError = useCallback(() => setError(undefined), [])

  return { state, error, updateAll, updateSelected, updateWatchlist, cancel, clearError }
}
