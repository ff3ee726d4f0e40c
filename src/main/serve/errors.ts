/** Errors of the service, each with the HTTP status it answers; anything else is a 500 without details. */
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

export class NotFoundError extends HttpError {
  override name = 'NotFoundError'
  constructor(message = 'Not found') {
    super(404, message, 'not-found')
  }
}

export class MethodNotAllowedError extends HttpError {
  override name = 'MethodNotAllowedError'
  constructor(readonly allowed: string[]) {
    super(405, `Method not allowed; use ${allowed.join(' or ')}`, 'method-not-allowed')
  }
}

/** Too many updates queued: the caller may retry later. */
export class BusyError extends HttpError {
  override name = 'BusyError'
  constructor(message: string) {
    super(503, message, 'busy')
  }
}
