import { createContext, useContext } from 'react'

/**
 * True in the read-only dashboard of `stats2 serve` (`AppStatus.readOnlyService`): components leave
 * out their update, selection, pin and settings controls instead of showing ones that are refused.
 */
export const ReadOnlyServiceContext = createContext(false)

export function useReadOnlyService(): boolean {
  return useContext(ReadOnlyServiceContext)
}
