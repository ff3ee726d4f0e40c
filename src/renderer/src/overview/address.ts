/**
 * The overview in the address: `#overview` (every stored workflow), `#overview?campaign=X`,
 * `#overview?search=TEXT`, `#overview?scope`, … (the selection, src/shared/overview/selection.ts),
 * plus what is drilled into — `d.status`, `d.campaign`, `d.block`, `d.pair`, `d.reason` — and its
 * page, so a cell's list can be linked to, reloaded and left with Back. Pure.
 */
import { overviewDrillSchema, type OverviewDrill } from '../../../shared/overview/drill'
import { selectionFromParams, selectionParams, type OverviewSelection } from '../../../shared/overview/selection'

export const OVERVIEW_HASH = '#overview'

export interface OverviewAddress {
  selection: OverviewSelection
  drill: OverviewDrill
  /** 0-based page of the drilled list. */
  page: number
}

const DRILL_KEYS = ['status', 'campaign', 'block', 'pair', 'reason'] as const

export function isOverviewHash(hash: string): boolean {
  return hash === OVERVIEW_HASH || hash.startsWith(`${OVERVIEW_HASH}?`)
}

export function parseOverviewHash(hash: string): OverviewAddress {
  const params = new URLSearchParams(hash.startsWith(`${OVERVIEW_HASH}?`) ? hash.slice(OVERVIEW_HASH.length + 1) : '')
  const raw: Record<string, unknown> = {}
  for (const key of DRILL_KEYS) {
    const value = params.get(`d.${key}`)
    if (value !== null && value !== '') raw[key] = key === 'block' ? Number(value) : value
  }
  // A drill the contract would refuse (a typed-in address) is dropped, not sent.
  const drill = overviewDrillSchema.safeParse(raw)
  const page = Number.parseInt(params.get('page') ?? '', 10)
  return {
    selection: selectionFromParams(params),
    drill: drill.success ? drill.data : {},
    page: Number.isFinite(page) && page >= 1 && page <= 100_000 ? page - 1 : 0
  }
}

export function formatOverviewHash(address: OverviewAddress): string {
  const params = selectionParams(address.selection)
  for (const key of DRILL_KEYS) {
    const value = address.drill[key]
    if (value !== undefined) params.set(`d.${key}`, String(value))
  }
  if (address.page > 0) params.set('page', String(address.page + 1))
  const query = params.toString()
  return query === '' ? OVERVIEW_HASH : `${OVERVIEW_HASH}?${query}`
}
