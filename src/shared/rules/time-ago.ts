/** "N ago" as the old Stats2 page showed it (spec §9): `Nd`, else `Hh Mmin`, else `Mmin`, else `Ns`. */
export function timeAgo(thenSeconds: number, nowSeconds: number = Date.now() / 1000): string {
  const seconds = Math.max(0, Math.floor(nowSeconds - thenSeconds))
  const days = Math.floor(seconds / 86_400)
  if (days > 0) return `${days}d`
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  if (hours > 0) return `${hours}h ${minutes}min`
  if (minutes > 0) return `${minutes}min`
  return `${seconds}s`
}

/** A long wait in words: whole hours, or whole days from 48 hours on (`30 h`, `3 days`). */
export function elapsedHoursText(seconds: number): string {
  const hours = seconds / 3600
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : `${Math.floor(hours)} h`
}

/** `2026-11-27 10:04` in UTC, the time zone cmsweb and DBS use. */
export function formatUtc(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')
}
