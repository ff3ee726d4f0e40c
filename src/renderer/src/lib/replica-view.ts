/** Words for the replica's pull (Settings → Source: a shared Stats2 CouchDB). Pure. */
import type { ReplicaState } from '../../../shared/ipc-contract'
import { groupDigits } from '../../../shared/rules/size'

/** One line: what the pull did so far, or did. */
export function pullSummary(state: ReplicaState): string {
  const p = state.progress
  if (!p) return state.state === 'running' ? 'connecting…' : ''
  const parts = [`${groupDigits(p.fetched)} documents pulled`, `${groupDigits(p.written)} written`]
  if (p.skipped > 0) parts.push(`${groupDigits(p.skipped)} outside the scope`)
  if (p.merged > 0) parts.push(`${groupDigits(p.merged)} merged with updates made here`)
  if (p.deleted > 0) parts.push(`${groupDigits(p.deleted)} deleted`)
  if (p.pending !== undefined && p.pending > 0) parts.push(`${groupDigits(p.pending)} changes to go`)
  if (state.state === 'running' && p.rate > 0) parts.push(`${groupDigits(Math.round(p.rate))} documents/s`)
  return parts.join(', ')
}

export const PULL_STATE_LABELS: Record<ReplicaState['state'], string> = {
  idle: 'Idle',
  running: 'Pulling',
  done: 'Up to date',
  failed: 'Failed',
  cancelled: 'Stopped'
}
