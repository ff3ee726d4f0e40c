import { describe, expect, it } from 'vitest'
import { CmswebError, classifyConnectionError, extractErrorDetail } from '../../src/main/cmsweb/errors'

// Bodies as the services send them (see /work/shared/reference/cmsweb).
const DBS_118 = JSON.stringify([
  {
    error: {
      reason: 'invalid parameter(s)',
      message: "parameter 'bla' is not accepted by 'datatiers' API",
      function: 'dbs.parameters.CheckQueryParameters',
      code: 118
    },
    http: { method: 'GET', code: 400, path: '/dbs2go/datatiers?bla=1' },
    exception: 400,
    type: 'HTTPError',
    message:
      "DBSError Code:118 Description:DBS invalid parameter for the DBS API Function:dbs.parameters.CheckQueryParameters Message:parameter 'bla' is not accepted by 'datatiers' API Error: invalid parameter(s)"
  }
])

const CHERRYPY_400 = `<!DOCTYPE html PUBLIC
"-//W3C//DTD XHTML 1.0 Transitional//EN"
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>
    <title>400 Bad Request</title>
    <style type="text/css">
    #powered_by {
        margin-top: 20px;
    }
    </style>
</head>
    <body>
        <h2>400 Bad Request</h2>
        <p>Invalid spec parameter value: int() argument must be a string, a bytes-like object or a number, not &#x27;NoneType&#x27;</p>
        <pre id="traceback"></pre>
    <div id="powered_by">
      <span>
        Powered by <a href="http://www.cherrypy.dev">CherryPy 18.8.0</a>
      </span>
    </div>
    </body>
</html>`

describe('extractErrorDetail', () => {
  it('takes the DBSError line of a dbs2go JSON list', () => {
    expect(extractErrorDetail(DBS_118)).toBe(
      "DBSError Code:118 Description:DBS invalid parameter for the DBS API Function:dbs.parameters.CheckQueryParameters Message:parameter 'bla' is not accepted by 'datatiers' API Error: invalid parameter(s)"
    )
  })

  it('reads CouchDB and Keycloak JSON errors', () => {
    expect(extractErrorDetail('{"error":"not_found","reason":"deleted"}')).toBe('not_found: deleted')
    expect(
      extractErrorDetail('{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}')
    ).toBe('unauthorized_client: Invalid client or Invalid client credentials')
  })

  it('reads a CherryPy HTML page, preferring the X-Error-Detail header', () => {
    expect(extractErrorDetail(CHERRYPY_400)).toBe(
      "Invalid spec parameter value: int() argument must be a string, a bytes-like object or a number, not 'NoneType'"
    )
    expect(extractErrorDetail(CHERRYPY_400, { 'x-error-detail': 'Invalid input parameter' })).toBe(
      'Invalid input parameter'
    )
    expect(
      extractErrorDetail(CHERRYPY_400, { 'x-error-detail': 'Invalid input parameter', 'x-error-info': 'prep_id' })
    ).toBe('Invalid input parameter: prep_id')
    expect(extractErrorDetail('<html><head><title>502 Proxy Error</title></head><body></body></html>')).toBe(
      '502 Proxy Error'
    )
  })

  it('keeps plain text and truncates long details to about 300 characters', () => {
    expect(extractErrorDetail('  service\n unavailable ')).toBe('service unavailable')
    const long = extractErrorDetail('x'.repeat(5000)) ?? ''
    expect(long.length).toBe(300)
    expect(long.endsWith('…')).toBe(true)
    expect(extractErrorDetail('')).toBeUndefined()
  })
})

describe('classifyConnectionError', () => {
  const origin = 'https://cmsweb.example'
  const withCode = (code: string, message = code): Error => Object.assign(new Error(message), { code })

  it('explains an untrusted server certificate', () => {
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      const c = classifyConnectionError(withCode(code), origin)
      expect(c.kind).toBe('tls')
      expect(c.retryable).toBe(false)
      expect(c.summary).toBe(
        `the server certificate of ${origin} is not trusted (${code}): add its CA with CMSWEB_CA or X509_CERT_DIR`
      )
    }
  })

  it('explains a refused client certificate and transient network errors', () => {
    const alert = classifyConnectionError(withCode('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), origin)
    expect(alert.kind).toBe('client-certificate')
    expect(alert.summary).toContain('refused the client certificate')
    const required = classifyConnectionError(withCode('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), origin)
    expect(required.summary).toContain('requires a client certificate')
    const reset = classifyConnectionError(withCode('ECONNRESET', 'read ECONNRESET'), origin)
    expect(reset).toMatchObject({ kind: 'network', retryable: true, code: 'ECONNRESET' })
    const dns = classifyConnectionError(withCode('ENOTFOUND'), origin)
    expect(dns).toMatchObject({ kind: 'network', retryable: false })
    // undici wraps some errors: the code of the cause counts.
    const wrapped = classifyConnectionError(new TypeError('fetch failed', { cause: withCode('CERT_UNTRUSTED') }), origin)
    expect(wrapped.kind).toBe('tls')
  })

  it('formats the message with the method, URL, status and attempts', () => {
    const err = new CmswebError({
      kind: 'http',
      method: 'GET',
      url: 'https://dbs.example/dbs/prod/global/DBSReader/filesummaries?dataset=/a/b/C',
      status: 400,
      summary: 'DBSError Code:118 …',
      retryable: false,
      attempts: 1
    })
    expect(err.message).toBe(
      'GET https://dbs.example/dbs/prod/global/DBSReader/filesummaries?dataset=/a/b/C → 400: DBSError Code:118 … (after 1 attempt)'
    )
    expect(err.withAttempts(3).message).toMatch(/\(after 3 attempts\)$/)
  })
})
