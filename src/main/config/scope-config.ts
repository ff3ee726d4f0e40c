/**
 * The sync scope from the environment (STATS2_SCOPE_*) and from `stats2 update` flags. Lists are
 * comma- or space-separated; see shared/sync-scope.ts for what a scope means.
 */
import { isScoped, normaliseScope, type SyncScope } from '../../shared/sync-scope'
import { ConfigError } from './env'

type Env = Record<string, string | undefined>

/** Environment variable → scope field. */
export const SCOPE_ENV = {
  campaigns: 'STATS2_SCOPE_CAMPAIGNS',
  prepIds: 'STATS2_SCOPE_PREPIDS',
  statuses: 'STATS2_SCOPE_STATUSES',
  requestedFrom: 'STATS2_SCOPE_REQUESTED_FROM',
  requestedTo: 'STATS2_SCOPE_REQUESTED_TO',
  workflows: 'STATS2_SCOPE_WORKFLOWS'
} as const

function list(values: readonly (string | undefined)[] | undefined): string[] {
  return (values ?? []).flatMap((value) => (value ?? '').split(/[\s,]+/)).filter((part) => part !== '')
}

/** A checked scope, or undefined when nothing is set; bad values are a ConfigError naming `where(field)`. */
export function buildScope(input: Partial<Record<keyof SyncScope, string[] | string | undefined>>, where: (field: keyof SyncScope) => string): SyncScope | undefined {
  const text = (value: string[] | string | undefined): string | undefined => (Array.isArray(value) ? value[value.length - 1] : value)
  const lists = (value: string[] | string | undefined): string[] => list(Array.isArray(value) ? value : [value])
  const parsed = normaliseScope({
    campaigns: lists(input.campaigns),
    prepIds: lists(input.prepIds),
    statuses: lists(input.statuses),
    requestedFrom: text(input.requestedFrom),
    requestedTo: text(input.requestedTo),
    workflows: lists(input.workflows)
  })
  if (!parsed.ok) throw new ConfigError(parsed.issues.map((issue) => `${where(issue.field)}: ${issue.message}`).join('; '))
  return isScoped(parsed.value) ? parsed.value : undefined
}

export function scopeFromEnv(env: Env): SyncScope | undefined {
  return buildScope(
    Object.fromEntries(Object.entries(SCOPE_ENV).map(([field, name]) => [field, env[name]])),
    (field) => SCOPE_ENV[field as keyof typeof SCOPE_ENV] ?? field
  )
}

/** Scope variables set in `env` (they fix the scope: the desktop shows it read-only). */
export function scopeEnvironmentOverrides(env: Env): string[] {
  return Object.values(SCOPE_ENV).filter((name) => (env[name] ?? '').trim() !== '')
}
