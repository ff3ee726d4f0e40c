/** Resolves on the first SIGINT or SIGTERM: long-running commands (sim, ui) then close cleanly. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      done()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
