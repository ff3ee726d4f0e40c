/** `{ok, value}` or `{ok: false, error}`: how every answer crosses IPC (errors are data, not throws). */
export type ErrorCode =
  | 'invalid-argument'
  | 'not-found'
  | 'busy'
  | 'not-configured'
  | 'credentials'
  | 'cmsweb'
  | 'store'
  | 'forbidden'
  | 'cancelled'
  | 'internal'

export interface AppError {
  code: ErrorCode
  message: string
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = (code: ErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } })
