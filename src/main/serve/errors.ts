/**
 * Errors of the service's routes, each with the HTTP status it answers. The product's own errors
 * (NotFoundError, BusyError, StoreError, …: src/main/core/errors.ts) get theirs from the error table
 * (src/main/core/error-codes.ts); anything else is a 500 without details.
 */
export class HttpError extends Error {
  override name = 'HttpError'
  constructor(readonly status: number, message: string, readonly code: string) {
    super(message)
  }
}

/** A parameter that no Stats2 value can be (overlong, control characters, a page out of range). */
export class BadRequestError extends HttpError {
  override name = 'BadRequestError'
  constructor(message: string) {
    super(400, message, 'bad-request')
  }
}

/** The request's client left before its answer was complete: nobody to answer, and the work stops. */
export class ClientGoneError extends Error {
  override name = 'AbortError'
  constructor() {
    super('the client closed the connection before the answer was complete')
  }
}

export class MethodNotAllowedError extends HttpError {
  override name = 'MethodNotAllowedError'
  constructor(readonly allowed: string[]) {
    super(405, `Method not allowed; use ${allowed.join(' or ')}`, 'method-not-allowed')
  }
}
