/** How the overview writes its numbers. Pure. */
import { formatPercent } from '../../../shared/rules/completion'
import { groupDigits } from '../../../shared/rules/size'
import { formatUtc } from '../../../shared/rules/time-ago'
import type { BoardCell } from '../../../shared/overview/types'

/** `45 min`, `3.2 h`, `2.1 d`. */
export function hoursText(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`
  if (hours < 48) return `${(Math.round(hours * 10) / 10).toFixed(1)} h`
  return `${(Math.round((hours / 24) * 10) / 10).toFixed(1)} d`
}

export function cellPercent(cell: Pick<BoardCell, 'events' | 'expected'>): string {
  return cell.expected > 0 ? formatPercent((cell.events / cell.expected) * 100) : '–'
}

export function etaText(cell: Pick<BoardCell, 'eta' | 'events' | 'expected'>, now: number): string {
  if (cell.eta === undefined) return cell.expected > 0 && cell.events >= cell.expected ? 'done' : '–'
  return `${formatUtc(cell.eta)}${cell.eta < now ? ' (overdue)' : ''}`
}

export { groupDigits, formatUtc }
