/** Dataset size with base-1000 units, as the old Stats2 page (spec §9). */
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

export function humanSize(bytes: number): string {
  let value = Math.max(0, bytes)
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${value.toFixed(digits)} ${UNITS[unit]}`
}

/** 12 345 678 → "12,345,678": event counts read at a glance. */
export function groupDigits(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}
