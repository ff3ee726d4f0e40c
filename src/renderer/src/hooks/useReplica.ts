import { useCallback, useEffect, useRef, useState } from 'react'
import type { ReplicaState } from '../../../shared/ipc-contract'
import { getApi } from '../api'

/**
 * The replica's pull: subscribe to `replicaState`, ask `getReplicaState` once, and call `onEnded`
 * when a running pull finishes (the results and the status then refresh).
 */
export function useReplica(onEnded: () => void): {
  state: ReplicaState | undefined
  error: string | undefined
  pull: () => Promise<void>
  stop: () => Promise<void>
  clearError: () => void
} {
  const [state, setState] = useState<ReplicaState>()
  const [error, setError] = useState<string>()
  const running = useRef(false)
  const onEndedRef = useRef(onEnded)
  useEffect(() => {
    onEndedRef.current = onEnded
  }, [onEnded])

  const accept = useCallback((next: ReplicaState) => {
    const wasRunning = running.current
    running.current = next.state === 'running'
    setState(next)
    if (wasRunning && next.state !== 'running') onEndedRef.current()
  }, [])

  useEffect(() => {
    const unsubscribe = getApi().on('replicaState', accept)
    void getApi().getReplicaState({}).then((result) => {
      if (result.ok) accept(result.value)
    })
    return unsubscribe
  }, [accept])

  const pull = useCallback(async () => {
    setError(undefined)
    const result = await getApi().pullReplica({})
    if (result.ok) accept(result.value)
    else setError(result.error.message)
  }, [accept])

  const stop = useCallback(async () => {
    const result = await getApi().stopReplica({})
    if (!result.ok) setError(result.error.message)
  }, [])

  return { state, error, pull, stop, clearError: () => setError(undefined) }
}
