/**
 * Errors of the cmsweb client, in operator language:
 * `GET https://…/dbs/…/filesummaries?dataset=/a/b/C → 400: DBSError Code:118 … (after 1 attempt)`.
 *
 * The server's own message is pulled out of the error bodies the CMS services send: DBS JSON lists,
 * CouchDB `{error, reason}`, ReqMgr2 CherryPy HTML pages (and their `X-Error-*` headers) and
 * Keycloak `{error, error_description}`.
 */

export type CmswebErrorKind = 'http' | 'timeout' | 'network' | 'tls' | 'invalid-json' | 'client-certificate'

export interface CmswebErrorInit {
  kind: CmswebErrorKind
  method: string
  url: string
  /** What went wrong, the part after the arrow (without the status for HTTP errors). */
  summary: string
  status?: number
  detail?: string
  /** The Node/undici/OpenSSL error code, when there is one. */
  code?: string
  retryable: boolean
  attempts: number
  cause?: unknown
}

export class CmswebError extends Error {
  override name = 'CmswebError'
  readonly kind: CmswebErrorKind
  readonly method: string
  readonly url: string
  readonly status?: number
  /** The server's message, extracted from the body. */
  readonly detail?: string
  readonly code?: string
  readonly retryable: boolean
  readonly attempts: number
  readonly summary: string

  constructor(init: CmswebErrorInit) {
    const status = init.status === undefined ? '' : `${init.status}: `
    const attempts = `after ${init.attempts} attempt${init.attempts === 1 ? '' : 's'}`
    super(`${init.method} ${init.url} → ${status}${init.summary} (${attempts})`, { cause: init.cause })
    this.kind = init.kind
    this.method = init.method
    this.url = init.url
    this.status = init.status
    this.detail = init.detail
    this.code = init.code
    this.retryable = init.retryable
    this.attempts = init.attempts
    this.summary = init.summary
  }

  /** The same error, counted after `attempts` attempts. */
  withAttempts(attempts: number): CmswebError {
    return new CmswebError({ ...this.init(), attempts })
  }

  private init(): CmswebErrorInit {
    return {
      kind: this.kind,
      method: this.method,
      url: this.url,
      summary: this.summary,
      status: this.status,
      detail: this.detail,
      code: this.code,
      retryable: this.retryable,
      attempts: this.attempts,
      cause: this.cause
    }
  }
}

/** What a cancelled request rejects with (`name === 'AbortError'`, like fetch). */
export class CmswebAbortError extends Error {
  override name = 'AbortError'
  readonly code = 'ABORT_ERR'
  constructor(
    readonly method: string,
    readonly url: string,
    reason?: unknown
  ) {
    super(`${method} ${url} was cancelled`, { cause: reason })
  }
}

export const DETAIL_MAX = 300

export function truncate(text: string, max = DETAIL_MAX): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}

type Headers = Record<string, string | string[] | undefined>

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()]
  const first = Array.isArray(value) ? value[0] : value
  return first === undefined || first.trim() === '' ? undefined : first.trim()
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

function htmlText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
      if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16))
      if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10))
      return ENTITIES[entity.toLowerCase()] ?? whole
    })
    .replace(/\s+/g, ' ')
    .trim()
}

/** The useful text of an HTML error page: its first paragraph, else its title, else its text. */
export function htmlMessage(html: string): string | undefined {
  const body = html.replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
  const paragraph = /<p[^>]*>([\s\S]*?)<\/p>/i.exec(body)?.[1]
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1]
  for (const candidate of [paragraph, title]) {
    if (candidate === undefined) continue
    const text = htmlText(candidate)
    if (text) return text
  }
  const text = htmlText(body)
  return text || undefined
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function jsonMessage(value: unknown): string | undefined {
  // DBS (dbs2go): [{"error": {"reason", "message", "function", "code"}, "http": {…}, "message": "DBSError Code:…"}]
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = jsonMessage(item)
      if (found) return found
    }
    return undefined
  }
  if (!isRecord(value)) return str(value)
  const error = value.error
  // Keycloak: {"error": "unauthorized_client", "error_description": "…"}
  const description = str(value.error_description)
  if (description) return str(error) ? `${str(error)}: ${description}` : description
  // DBS list item: the top-level message is the full "DBSError Code:…" line.
  if (isRecord(error)) {
    const top = str(value.message)
    if (top) return top
    const reason = str(error.reason)
    const message = str(error.message)
    if (reason && message) return `${message} (${reason})`
    return message ?? reason ?? jsonMessage(error)
  }
  // CouchDB: {"error": "not_found", "reason": "missing"}
  const reason = str(value.reason)
  if (str(error) && reason) return `${str(error)}: ${reason}`
  // WMCore REST JSON errors and generic shapes.
  return str(value.message) ?? str(value.detail) ?? reason ?? str(error)
}

/** The server's message in an error answer, or undefined when the body says nothing useful. */
export function extractErrorDetail(body: string, headers: Headers = {}): string | undefined {
  // ReqMgr2/WMStats (WMCore REST on CherryPy) put the message in headers; the body is an HTML page.
  const xDetail = header(headers, 'x-error-detail')
  if (xDetail) {
    const info = header(headers, 'x-error-info')
    return truncate(info && info !== xDetail ? `${xDetail}: ${info}` : xDetail)
  }
  const text = body.trim()
  if (text === '') return undefined
  if (text.startsWith('[') || text.startsWith('{') || text.startsWith('"')) {
    try {
      const found = jsonMessage(JSON.parse(text))
      if (found) return truncate(found)
    } catch {
      // Not JSON after all: fall through to text.
    }
  }
  if (/^<|<html[\s>]/i.test(text)) {
    const found = htmlMessage(text)
    return found ? truncate(found) : undefined
  }
  return truncate(text)
}

/** The error code of an error or of its causes (undici wraps some). */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (typeof current === 'object' && 'code' in current) {
      const code = (current as { code: unknown }).code
      if (typeof code === 'string' && code !== '') return code
    }
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined
  }
  return undefined
}

/** The server certificate is not signed by a CA we trust. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'INVALID_CA',
  'CERT_REJECTED'
])

/** TLS alerts by which a server refuses our client certificate. */
const CLIENT_CERT_ALERT =
  /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/

export function isClientCertificateAlert(code: string | undefined): boolean {
  return code !== undefined && CLIENT_CERT_ALERT.test(code)
}

/** Connection errors worth another try (the server or a proxy dropped us, or is restarting). */
const TRANSIENT = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_INVALID_CONSTANT'
])

/** The connection ended before any answer: the signature of a server refusing our certificate after a TLS 1.3 handshake. */
const CLOSED_BEFORE_ANSWER = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])

export function closedBeforeAnswer(code: string | undefined): boolean {
  return code !== undefined && CLOSED_BEFORE_ANSWER.has(code)
}

export interface Classified {
  kind: CmswebErrorKind
  summary: string
  retryable: boolean
  code?: string
}

/** Turns a connection/TLS error of undici or Node into operator language. `origin` is `https://host[:port]`. */
export function classifyConnectionError(err: unknown, origin: string): Classified {
  const code = errorCode(err)
  const message = err instanceof Error ? err.message : String(err)
  if (code !== undefined && UNTRUSTED.has(code)) {
    return {
      kind: 'tls',
      retryable: false,
      code,
      summary: `the server certificate of ${origin} is not trusted (${code}): add its CA with CMSWEB_CA or X509_CERT_DIR`
    }
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    const what = code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'
    return {
      kind: 'tls',
      retryable: false,
      code,
      summary: `the server certificate of ${origin} ${what} (${code}); check the computer's clock`
    }
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const reason = (err as { reason?: unknown }).reason
    return {
      kind: 'tls',
      retryable: false,
      code,
      summary:
        `the server certificate of ${origin} is not valid for this host name (${typeof reason === 'string' ? reason : message}); ` +
        'check CMSWEB_URL / CMSWEB_PROD_URL'
    }
  }
  if (isClientCertificateAlert(code)) {
    const required = code?.endsWith('CERTIFICATE_REQUIRED')
    return {
      kind: 'client-certificate',
      retryable: false,
      code,
      summary: required
        ? `the server ${origin} requires a client certificate and did not get one (${code})`
        : `the server ${origin} refused the client certificate (${code}): check that it is a valid grid certificate registered for CMS`
    }
  }
  if (code !== undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO')) {
    return { kind: 'tls', retryable: false, code, summary: `the TLS handshake with ${origin} failed (${code}): ${message}` }
  }
  const retryable = code !== undefined && TRANSIENT.has(code)
  let summary: string
  switch (code) {
    case 'ECONNREFUSED':
      summary = `${origin} refused the connection (ECONNREFUSED)`
      break
    case 'ENOTFOUND':
      summary = `the host of ${origin} is unknown (ENOTFOUND): check the URL and the network/VPN`
      break
    case 'EAI_AGAIN':
      summary = `the host name of ${origin} could not be resolved right now (EAI_AGAIN)`
      break
    case 'UND_ERR_CONNECT_TIMEOUT':
      summary = `no connection to ${origin} could be made in time (UND_ERR_CONNECT_TIMEOUT)`
      break
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      summary = `the answer from ${origin} was cut short (${code})`
      break
    default:
      summary = closedBeforeAnswer(code)
        ? `the connection to ${origin} was closed before the answer was complete (${code}: ${message})`
        : `network error talking to ${origin} (${code ?? 'no code'}: ${message})`
  }
  return { kind: 'network', retryable, summary, ...(code === undefined ? {} : { code }) }
}
