import type { ReactNode } from 'react'
import type { WorkflowFailure } from '../../../shared/update-types'
import { FailureList } from './FailureList'
import { Modal } from './Modal'
import { MAX_SELECTED } from '../lib/updater-view'

interface Props {
  failed: readonly WorkflowFailure[]
  onClose: () => void
  onRetry: (names: string[]) => void
  updateRunning: boolean
  /** False in the read-only dashboard of `stats2 serve`: no retry button. */
  canUpdate?: boolean
}

/** The workflows the last runs could not update (retried by the next update all), with reasons. */
export function FailedDialog({ failed, onClose, onRetry, updateRunning, canUpdate = true }: Props): ReactNode {
  return (
    <Modal title={`${failed.length} failed workflow${failed.length === 1 ? '' : 's'}`} onClose={onClose} testId="failed-dialog" className="modal-wide">
      <p className="muted">These are retried by every update all. Click a name to see the workflow.</p>
      {failed.length > 0 && canUpdate ? (
        <p>
          <button type="button" className="button small primary" disabled={updateRunning} onClick={() => onRetry(failed.slice(0, MAX_SELECTED).map((item) => item.name))}>
            Update {failed.length > MAX_SELECTED ? `the first ${MAX_SELECTED}` : 'them'} now
          </button>
        </p>
      ) : null}
      <FailureList failures={failed} onNavigate={onClose} />
    </Modal>
  )
}
