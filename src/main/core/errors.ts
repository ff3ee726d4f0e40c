/**
 * The product's errors that belong to no single domain: one class each (issue of "one error class
 * per error"). The code each error carries across IPC and its HTTP status are in error-codes.ts,
 * looked up by class; this file imports nothing, so that every domain can throw these.
 */

/** A workflow, document or route that is not there. */
export class NotFoundError extends Error {
  override name = 'NotFoundError'
}

/** Something else is running (an update, too many charts at once, a full queue): try again later. */
export class BusyError extends Error {
  override name = 'BusyError'
  constructor(message: string, readonly retryAfterSeconds = 5) {
    super(message)
  }
}

/** Not allowed: a read-only service, a link outside the allow-list, an untrusted frame. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError'
}

/** The `code` of a Node.js system error (ENOENT, ERR_OSSL_…), if it has one. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined
}
