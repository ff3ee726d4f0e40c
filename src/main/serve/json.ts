/**
 * JSON as the old service wrote it (Python's `json.dumps(…, indent=2, sort_keys=True)`): keys sorted
 * at every level, two-space indent, non-ASCII characters escaped as `\uXXXX`.
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

export function sortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
