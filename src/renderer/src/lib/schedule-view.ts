/** Words for the scheduled update ("every N min, next at …"). Pure. */
import type { AppStatus } from '../../../shared/ipc-contract'
import { formatUtc } from '../../../shared/rules/time-ago'
import { timeUntil } from './format'

export interface ScheduleLabel {
  text: string
  title: string
}

/**
 * The schedule as the header shows it, or undefined when it is off. A due time in the past means
 * the run is starting or waits for the running update.
 */
export function scheduleLabel(schedule: AppStatus['schedule'], now: number, updateRunning: boolean): ScheduleLabel | undefined {
  if (!(schedule.everyMinutes > 0)) return undefined
  const every = `every ${schedule.everyMinutes} min`
  const next = schedule.nextRunAt
  if (!next) return { text: `Scheduled update ${every}`, title: `Update all runs ${every} while the app is open` }
  const at = formatUtc(next).slice(11, 16)
  const title = `Update all runs ${every} while the app is open (watchlist first); next at ${formatUtc(next)} UTC`
  if (next <= now) return { text: `Next update due now${updateRunning ? ' (after the running one)' : ''}`, title }
  return { text: `Next update ${at} UTC (${timeUntil(next, now)})`, title }
}
