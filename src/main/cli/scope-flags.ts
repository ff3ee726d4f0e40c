/**
 * The sync-scope flags shared by `stats2 update` and `stats2 replicate` (`--campaign`, `--prepid`,
 * `--status`, `--requested-from`, `--requested-to`, `--workflow`, `--no-scope`).
 */
import { buildScope } from '../config/scope-config'
import type { SyncScope } from '../../shared/sync-scope'
import { UsageError } from './io'


/** parseArgs options of the scope flags. */
export const SCOPE_OPTIONS = {
  campaign: { type: 'string', multiple: true },
  prepid: { type: 'string', multiple: true },
  status: { type: 'string', multiple: true },
  'requested-from': { type: 'string' },
  'requested-to': { type: 'string' },
  workflow: { type: 'string', multiple: true },
  'no-scope': { type: 'boolean' }
} as const

export interface ScopeFlagValues {
  campaign?: string[]
  prepid?: string[]
  status?: string[]
  'requested-from'?: string
  'requested-to'?: string
  workflow?: string[]
  'no-scope'?: boolean
}

const SCOPE_FLAGS: Record<keyof SyncScope, string> = {
  campaigns: '--campaign',
  prepIds: '--prepid',
  statuses: '--status',
  requestedFrom: '--requested-from',
  requestedTo: '--requested-to',
  workflows: '--workflow'
}

/**
 * The scope of this run: the flags when any is given (they replace the fallback), none with
 * `--no-scope`, else `fallback` (STATS2_SCOPE_* for update; the replica's own scope for replicate).
 */
export function scopeFromFlags(values: ScopeFlagValues, fallback: SyncScope | undefined): SyncScope | undefined {
  const input = {
    campaigns: values.campaign,
    prepIds: values.prepid,
    statuses: values.status,
    requestedFrom: values['requested-from'],
    requestedTo: values['requested-to'],
    workflows: values.workflow
  }
  const given = Object.values(input).some((value) => value !== undefined)
  if (values['no-scope']) {
    if (given) throw new UsageError('--no-scope cannot be combined with scope flags')
    return undefined
  }
  if (!given) return fallback
  try {
    return buildScope(input, (field) => SCOPE_FLAGS[field])
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}
