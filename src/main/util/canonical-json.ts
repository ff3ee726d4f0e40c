/**
 * JSON with object keys sorted at every level, as the old Stats2 wrote and compared it (Python's
 * `json.dumps(…, sort_keys=True)`): `canonicalJson` for comparisons (compact), `sortedJson` for the
 * web service's answers (`indent=2`, non-ASCII escaped as `\uXXXX`, byte-identical to the old one).
 */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {}
    // Python sorts by code point; JavaScript's default sort compares UTF-16 units, equal for BMP keys.
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key])
    return sorted
  }
  return value
}

/** Compact, keys sorted: equal documents give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

/** Keys sorted, two-space indent, every character from U+007F escaped, as the old service's answers. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** `sortedJson(value)` as an element of an indented top-level array (each line two spaces further in). */
export function sortedJsonElement(value: unknown): string {
  return `  ${sortedJson(value).replace(/\n/g, '\n  ')}`
}
