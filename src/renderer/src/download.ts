/** Saves a file from the page: a Blob (or data URL) behind a temporary `<a download>`. */
export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob)
  downloadUrl(filename, url)
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

export function downloadText(filename: string, mimeType: string, content: string): void {
  downloadBlob(filename, new Blob([content], { type: mimeType }))
}

export function downloadUrl(filename: string, url: string): void {
  const anchor = document.createElement('a')
  anchor.href = url
  anchor.download = filename
  anchor.rel = 'noopener'
  anchor.hidden = true
  document.body.append(anchor)
  anchor.click()
  anchor.remove()
}

/** A file name without characters file systems refuse. */
export function safeFilename(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 150) || 'stats2'
}
