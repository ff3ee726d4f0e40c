/** RequestName = `<requestor>_<string>_<yymmdd>_<hhmmss>_<digits>`; ordering by its date-time part (spec §9). */

/** `yymmddhhmmss` from the two `_`-separated fields before the last one; '' when absent. */
export function requestDateTime(name: string): string {
  const parts = name.split('_')
  if (parts.length < 4) return ''
  return `${parts[parts.length - 3]}${parts[parts.length - 2]}`
}

/** Oldest first (the original request before its ACDCs); ties by name, so the order is total. */
export function byRequestDateTime(a: string, b: string): number {
  const da = requestDateTime(a)
  const db = requestDateTime(b)
  if (da !== db) return da < db ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** Unix seconds from `yymmdd_hhmmss` in the name (UTC), when it parses. */
export function requestDateSeconds(name: string): number | undefined {
  const match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(requestDateTime(name))
  if (!match) return undefined
  const [, yy, mm, dd, h, m, s] = match.map(Number) as number[]
  return Date.UTC(2000 + yy!, mm! - 1, dd!, h!, m!, s!) / 1000
}
