/**
 * `stats2 overview [--campaign C | --prepid P | --processing-string S | --type T | --search TEXT |
 * --scope] [--stall-hours H] [--json]`: the operator overview of a selection (src/main/overview).
 * `--json` prints the one JSON object `GET <base>/api/overview` answers; without it, the board,
 * what needs attention and the time in each status as text. Exit 0 (an empty selection included:
 * it says so), 1 when the store cannot be read, 2 on a usage error.
 */
import { parseArgs } from 'node:util'
import type { Stats2Config } from '../config/config'
import { openStore } from '../core/runtime'
import { OverviewError, OverviewService } from '../overview/service'
import { SearchError } from '../search/search'
import { formatPercent } from '../../shared/rules/completion'
import { groupDigits } from '../../shared/rules/size'
import { formatUtc } from '../../shared/rules/time-ago'
import { selectionLabel, type OverviewField, type OverviewSelection } from '../../shared/overview/selection'
import { ATTENTION_LABELS, ATTENTION_REASONS, type OverviewJson } from '../../shared/overview/types'
import { MAX_STALL_HOURS, MIN_STALL_HOURS } from '../../shared/watchlist'
import { UsageError, type CliIo } from './io'

const FLAG_FIELDS: Record<string, OverviewField> = {
  campaign: 'campaign',
  prepid: 'prepid',
  'processing-string': 'processing_string',
  type: 'type'
}

function selectionOf(values: Record<string, string | boolean | undefined>): OverviewSelection {
  const given = [...Object.keys(FLAG_FIELDS), 'search', 'scope'].filter((flag) => values[flag] !== undefined)
  if (given.length > 1) throw new UsageError(`give one selection at a time, not --${given.join(' and --')}`)
  const flag = given[0]
  if (flag === undefined) return { kind: 'all' }
  if (flag === 'scope') return { kind: 'scope' }
  const value = String(values[flag]).trim()
  if (value === '') throw new UsageError(`--${flag} needs a value`)
  // eslint-disable-next-line no-control-regex
  if (value.length > 1000 || /[\u0000-\u001f\u007f]/.test(value)) throw new UsageError(`--${flag}: one name, PrepID or text, under 1000 characters, on one line`)
  return flag === 'search' ? { kind: 'search', text: value } : { kind: 'field', field: FLAG_FIELDS[flag]!, value }
}

function stallHoursOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const hours = Number(text)
  if (!/^\d{1,4}$/.test(text) || hours < MIN_STALL_HOURS || hours > MAX_STALL_HOURS) {
    throw new UsageError(`--stall-hours must be a whole number of hours from ${MIN_STALL_HOURS} to ${MAX_STALL_HOURS}`)
  }
  return hours
}

const pad = (text: string, width: number): string => (text.length >= width ? text : text + ' '.repeat(width - text.length))
const padStart = (text: string, width: number): string => (text.length >= width ? text : ' '.repeat(width - text.length) + text)

/** The overview as text, for a terminal. */
export function overviewText(selection: OverviewSelection, json: OverviewJson): string {
  const lines: string[] = []
  const unreadable = json.notReadable > 0 ? ` (${groupDigits(json.notReadable)} not readable: their documents do not fit the Stats2 schema)` : ''
  lines.push(`Overview of ${selectionLabel(selection)}: ${groupDigits(json.total)} workflow${json.total === 1 ? '' : 's'}${unreadable}.`)
  if (json.total === 0) {
    lines.push('Nothing to show: no stored workflow is in this selection. Check the spelling, or run `stats2 search` with the same text.')
    return lines.join('\n') + '\n'
  }
  lines.push('', `${pad('Status', 22)}${padStart('Workflows', 10)}${padStart('Events', 16)}${padStart('Expected', 16)}${padStart('Done', 9)}  ETA (UTC)`)
  for (const [status, cell] of Object.entries(json.byStatus)) {
    const percent = cell.expected > 0 ? formatPercent((cell.events / cell.expected) * 100) : '–'
    const eta = cell.eta ? formatUtc(Date.parse(cell.eta) / 1000) : ''
    lines.push(`${pad(status, 22)}${padStart(groupDigits(cell.workflows), 10)}${padStart(groupDigits(cell.events), 16)}${padStart(groupDigits(cell.expected), 16)}${padStart(percent, 9)}  ${eta}`)
  }
  const counts = ATTENTION_REASONS.map((reason) => [reason, json.attention.filter((item) => item.reason === reason).length] as const)
  lines.push('', `Needs attention: ${json.attentionTotal === 0 ? 'nothing' : counts.filter(([, n]) => n > 0).map(([reason, n]) => `${ATTENTION_LABELS[reason].toLowerCase()} ${groupDigits(n)}`).join(', ')}${json.attentionTotal > json.attention.length ? ` (${groupDigits(json.attentionTotal)} in all; --json lists the first ${groupDigits(json.attention.length)})` : ''}`)
  for (const item of json.attention.slice(0, 20)) lines.push(`  ${pad(item.reason, 15)} ${item.workflow}  since ${formatUtc(Date.parse(item.since) / 1000)} UTC: ${item.detail}`)
  if (json.attention.length > 20) lines.push(`  … ${groupDigits(json.attention.length - 20)} more (--json for all)`)
  const pairs = Object.entries(json.durations)
  if (pairs.length > 0) {
    lines.push('', `${pad('Time in each status (hours)', 44)}${padStart('Workflows', 10)}${padStart('Median', 10)}${padStart('90 %', 10)}${padStart('Max', 10)}`)
    for (const [pair, stats] of pairs) {
      lines.push(`${pad(pair, 44)}${padStart(groupDigits(stats.n), 10)}${padStart(stats.medianH.toFixed(1), 10)}${padStart(stats.p90H.toFixed(1), 10)}${padStart(stats.maxH.toFixed(1), 10)}`)
    }
  }
  if (json.acdcFamilies.length > 0) lines.push('', `ACDC families (an original and its Resubmissions, by PrepID): ${groupDigits(json.acdcFamilies.length)}`)
  return lines.join('\n') + '\n'
}

export async function runOverviewCommand(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      campaign: { type: 'string' },
      prepid: { type: 'string' },
      'processing-string': { type: 'string' },
      type: { type: 'string' },
      search: { type: 'string' },
      scope: { type: 'boolean' },
      'stall-hours': { type: 'string' },
      json: { type: 'boolean' }
    },
    strict: true
  })
  if (positionals.length > 0) throw new UsageError(`overview takes options only (got "${positionals[0]!.slice(0, 60)}"); e.g. --campaign ${positionals[0]!.slice(0, 60)}`)
  const selection = selectionOf(values)
  const stallHours = stallHoursOf(values['stall-hours'])
  const store = await openStore(config)
  try {
    let json: OverviewJson
    try {
      json = await new OverviewService(store).json(selection, stallHours !== undefined ? { stallHours } : {})
    } catch (error) {
      if (error instanceof OverviewError || error instanceof SearchError) throw new UsageError(error.message)
      throw error
    }
    io.out(values.json ? JSON.stringify(json, null, 2) + '\n' : overviewText(selection, json))
    return 0
  } finally {
    await store.close()
  }
}
