/**
 * Errors of the two HTTP servers (`stats2 serve`, the `stats2 ui` bridge) that carry their own
 * status; their rows in the error table (src/main/core/error-codes.ts) give the contract's code.
 * Imports nothing, so that the error table can import it without a cycle.
 */

/** A limit was reached: 429 for the caller's own, 503 for the instance's; retry after `retryAfterSeconds`. */
export class LimitError extends Error {
  override name = 'LimitError'
  constructor(readonly status: 429 | 503, message: string, readonly retryAfterSeconds: number) {
    super(message)
  }
}

/** A static file could not be served: send's status (400, 403, 404, 500…) and a short reason. */
export class StaticFileError extends Error {
  override name = 'StaticFileError'
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/** A URL path whose percent-encoding is not valid UTF-8 text. */
export class MalformedPathError extends Error {
  override name = 'MalformedPathError'
}
