/**
 * `stats2 env [--json]`: the configuration table (src/shared/config-table.ts) with what this
 * environment sets. Secrets are only said to be set, never printed.
 */
import { parseArgs } from 'node:util'
import { CONFIG_GROUP_TITLES, CONFIG_TABLE, defaultShown, type ConfigEntry } from '../../shared/config-table'
import { nonEmpty } from '../config/env'
import type { CliIo } from './io'

interface Row {
  env: string
  group: string
  set: boolean
  /** The value as set (absent for secrets and unset variables). */
  value?: string
  default: string
  meaning: string
  only?: string
}

function row(entry: ConfigEntry, env: CliIo['env']): Row {
  const raw = nonEmpty(env[entry.env])
  return {
    env: entry.env,
    group: entry.group,
    set: raw !== undefined,
    ...(raw !== undefined && entry.type.kind !== 'secret' ? { value: raw } : {}),
    default: defaultShown(entry).replace(/`/g, ''),
    meaning: entry.meaning.replace(/`/g, ''),
    ...(entry.only ? { only: entry.only } : {})
  }
}

export function runEnvCommand(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true })
  const rows = CONFIG_TABLE.map((entry) => row(entry, io.env))
  if (values.json) {
    io.out(JSON.stringify(rows, null, 1) + '\n')
    return 0
  }
  const lines: string[] = []
  for (const [group, title] of Object.entries(CONFIG_GROUP_TITLES)) {
    const members = rows.filter((r) => r.group === group)
    if (members.length === 0) continue
    lines.push(`${title.replace(/`/g, '')}:`)
    for (const r of members) {
      const state = !r.set ? (r.default ? `(default: ${r.default})` : '(not set)') : r.value === undefined ? '= (set, not shown)' : `= ${r.value}`
      lines.push(`  ${r.env} ${state}`)
      lines.push(`      ${r.meaning}${r.only ? ` [${r.only}]` : ''}`)
    }
    lines.push('')
  }
  io.out(lines.join('\n'))
  return 0
}
