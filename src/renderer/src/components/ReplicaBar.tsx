import { useState, type ReactNode } from 'react'
import { BarError } from './BarError'
import type { ReplicaState } from '../../../shared/ipc-contract'
import { formatUtc } from '../../../shared/rules/time-ago'
import { toSeconds } from '../lib/format'
import { PULL_STATE_LABELS, pullSummary } from '../lib/replica-view'

interface Props {
  source: string
  state: ReplicaState | undefined
  error: string | undefined
  onStop: () => void
  onDismissError: () => void
}

/** The strip under the header while the replica pulls from the shared Stats2 (progress, Stop), then its outcome. */
export function ReplicaBar({ source, state, error, onStop, onDismissError }: Props): ReactNode {
  const [dismissed, setDismissed] = useState<number>()
  const running = state?.state === 'running'
  const finished = state && !running && state.state !== 'idle' && dismissed !== state.finishedAt
  if (!running && !finished && !error) return null
  const phase = state?.progress?.phase
  return (
    <div className="updater" data-testid="replica-bar" data-state={state?.state ?? 'unknown'}>
      {running ? (
        <div className="updater-progress" aria-live="polite">
          <span className="updater-phase">
            <strong>Pull</strong> from <span className="mono">{source}</span>
            {phase === 'waiting' ? ' · up to date' : phase === 'retrying' ? ` · ${state.progress?.message ?? 'retrying'}` : ''}
          </span>
          <progress aria-label="Pulling from the shared Stats2" />
          <span className="updater-count" data-testid="replica-progress">{pullSummary(state)}</span>
          <span className="spacer-flex" />
          <button type="button" className="button small danger" onClick={onStop} data-testid="replica-stop">Stop</button>
        </div>
      ) : finished ? (
        <div className={`updater-result state-${state.state === 'done' ? 'done' : state.state}`} data-testid="replica-result">
          <span>
            <strong>Pull: {PULL_STATE_LABELS[state.state].toLowerCase()}</strong>
            {state.finishedAt ? <span className="muted"> {formatUtc(toSeconds(state.finishedAt))} UTC</span> : null}
            {state.error ? ` · ${state.error}` : ` · ${pullSummary(state)}`}
          </span>
          <button type="button" className="button small ghost" onClick={() => setDismissed(state.finishedAt)} aria-label="Dismiss the pull result">×</button>
        </div>
      ) : null}
      <BarError error={error} onDismiss={onDismissError} />
    </div>
  )
}
