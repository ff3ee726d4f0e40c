/**
 * Error bodies in the shapes the real services use (see shared/reference/cmsweb/SHAPES.md):
 * CherryPy HTML pages with X-Error-* headers (ReqMgr2, WMStats), dbs2go JSON lists (DBS),
 * CouchDB JSON, the cmsweb front end's HTML, Keycloak JSON.
 */
import { randomBytes } from 'node:crypto'

export interface SimResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export const JSON_TYPE = 'application/json'
const HTML_TYPE = 'text/html;charset=utf-8'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

export function reason(status: number): string {
  return REASONS[status] ?? 'Error'
}

export function json(status: number, value: unknown, extraHeaders: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...extraHeaders }, body: JSON.stringify(value) }
}

export function rawJson(status: number, body: string): SimResponse {
  return { status, headers: { 'content-type': JSON_TYPE }, body }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A CherryPy error page as ReqMgr2 and WMStats send it, with the WMCore REST X-Error-* headers. */
export function cherrypyError(status: number, detail: string, restStatus = status === 400 ? 1102 : status === 503 ? 208 : 403): SimResponse {
  const title = `${status} ${reason(status)}`
  const body = `<!DOCTYPE html PUBLIC
"-//W3C//DTD XHTML 1.0 Transitional//EN"
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>
    <title>${title}</title>
    <style type="text/css">
    #powered_by {
        margin-top: 20px;
        border-top: 2px solid black;
        font-style: italic;
    }

    #traceback {
        color: red;
    }
    </style>
</head>
    <body>
        <h2>${title}</h2>
        <p>${escapeHtml(detail)}</p>
        <pre id="traceback"></pre>
    <div id="powered_by">
      <span>
        Powered by <a href="http://www.cherrypy.dev">CherryPy 18.8.0</a>
      </span>
    </div>
    </body>
</html>
`
  return {
    status,
    headers: {
      'content-type': HTML_TYPE,
      'x-error-http': String(status),
      'x-error-detail': detail.replace(/[^\x20-\x7e]/g, '?'),
      'x-error-info': detail.replace(/[^\x20-\x7e]/g, '?'),
      'x-error-id': randomBytes(16).toString('hex'),
      'x-rest-status': String(restStatus)
    },
    body
  }
}

/** The cmsweb front end's own HTML page (no client certificate, backend unavailable). */
export function frontendHtml(status: number, message: string): SimResponse {
  const title = `${status} ${reason(status)}`
  return {
    status,
    headers: { 'content-type': 'text/html; charset=iso-8859-1' },
    body: `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>${title}</title>
</head><body>
<h1>${reason(status)}</h1>
<p>${escapeHtml(message)}</p>
<hr>
<address>cmsweb front end (Stats2 simulator)</address>
</body></html>
`
  }
}

export function couchError(status: number, error: string, why: string): SimResponse {
  return json(status, { error, reason: why })
}

export interface RequestInfo {
  method: string
  url: string
  userAgent: string
  remoteAddress: string
}

const DBS_DESCRIPTIONS: Record<number, string> = {
  100: 'DBS DB error',
  117: 'DBS invalid content type',
  118: 'DBS invalid parameter for the DBS API',
  122: 'DBS unable to unmarshal data',
  503: 'DBS service unavailable'
}

/** dbs2go's error: an HTTP error status with a JSON list body. */
export function dbsError(status: number, code: number, why: string, message: string, fn: string, request: RequestInfo): SimResponse {
  const description = DBS_DESCRIPTIONS[code] ?? 'DBS error'
  const body = [
    {
      error: { reason: why, message, function: fn, code },
      http: {
        method: request.method,
        code: status,
        timestamp: new Date().toISOString().replace('T', ' ').replace('Z', ' +0000 UTC'),
        path: request.url,
        user_agent: request.userAgent,
        x_forwarded_host: 'cmsweb-prod.cern.ch',
        x_forwarded_for: request.remoteAddress,
        remote_addr: request.remoteAddress
      },
      exception: status,
      type: 'HTTPError',
      message: `DBSError Code:${code} Description:${description} Function:${fn} Message:${message} Error: ${why}`
    }
  ]
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(body) }
}
