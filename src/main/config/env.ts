/**
 * Reading the environment through the configuration table (src/shared/config-table.ts): defaults and
 * bounds come from the table, so the loader, the settings and the documentation cannot disagree.
 */
import { configEntry } from '../../shared/config-table'

export type Env = Record<string, string | undefined>

/** Invalid configuration: the message names the variable (or option) and what is wrong. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}

/** The variable's text, trimmed; undefined when unset or blank. */
export function envText(env: Env, name: string): string | undefined {
  configEntry(name)
  return nonEmpty(env[name])
}

/** An integer within the table's bounds, or the table's default. */
export function envInt(env: Env, name: string): number {
  const entry = configEntry(name)
  if (entry.type.kind !== 'int') throw new Error(`${name} is not an integer in the configuration table`)
  const { min, max } = entry.type
  const raw = nonEmpty(env[name])
  if (raw === undefined) return entry.default as number
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    throw new ConfigError(
      max !== undefined ? `${name} must be an integer from ${min} to ${max}, got "${raw}"`
        : min === 1 ? `${name} must be a positive integer, got "${raw}"` : `${name} must be an integer ≥ ${min}, got "${raw}"`
    )
  }
  return value
}

/** An http(s) URL without trailing slashes, or the table's default (undefined when it has none and it is unset). */
export function envUrl(env: Env, name: string): string | undefined {
  const entry = configEntry(name)
  const raw = nonEmpty(env[name]) ?? (entry.default as string | undefined)
  if (raw === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(`${name} is not a URL: "${raw}"`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`)
  return raw.replace(/\/+$/, '')
}

/** One of the table's values (case-insensitive), or its default. */
export function envEnum<T extends string>(env: Env, name: string): T {
  const entry = configEntry(name)
  if (entry.type.kind !== 'enum') throw new Error(`${name} is not an enum in the configuration table`)
  const raw = (nonEmpty(env[name]) ?? String(entry.default)).toLowerCase()
  if (!entry.type.values.includes(raw)) {
    const values = entry.type.values.map((value) => `"${value}"`)
    throw new ConfigError(`${name} must be ${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}, got "${raw}"`)
  }
  return raw as T
}
