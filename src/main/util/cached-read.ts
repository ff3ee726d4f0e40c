/** A value re-read after `ttlMs`; concurrent readers share one read; failures are not kept. */
export function cachedRead<T>(read: () => Promise<T>, ttlMs: number, clock: () => number = Date.now): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined
  return () => {
    if (value && clock() - value.at < ttlMs) return value.promise
    const promise = read()
    const entry = { at: clock(), promise }
    value = entry
    promise.catch(() => {
      if (value === entry) value = undefined
    })
    return promise
  }
}
