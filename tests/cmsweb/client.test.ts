import type { ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CmswebClient, type CmswebClientInit } from '../../src/main/cmsweb/client'
import { loadCredentials, type LoadedCredentials } from '../../src/main/cmsweb/credentials'
import { CmswebError } from '../../src/main/cmsweb/errors'
import { loadTrustedCAs } from '../../src/main/cmsweb/trust'
import type { CmswebConfig } from '../../src/main/config/config'
import { addLogSink, setLogLevel, type LogRecord } from '../../src/main/log/logger'
import {
  createCertificateAuthority,
  encryptPrivateKey,
  issueCertificate,
  toPkcs12,
  type CertAndKey
} from '../helpers/pki'
import { json, readBody, sleep, startServer, tempDir, type Handler, type TempDir, type TestServer } from './helpers'

const PASS = 'grid pass phrase'
const DBS = '/dbs/prod/global/DBSReader'

let dir: TempDir
let ca: CertAndKey
let serverPair: CertAndKey
let misnamedServer: CertAndKey
let clientPair: CertAndKey
let foreignClient: CertAndKey
let files: Record<'caFile' | 'caDir' | 'cert' | 'key' | 'encKey' | 'p12' | 'proxy' | 'foreignCert' | 'foreignKey', string>
let creds: LoadedCredentials
let foreignCreds: LoadedCredentials
let trusted: string[]

const servers: TestServer[] = []
const clients: CmswebClient[] = []
const logs: LogRecord[] = []
let removeSink: () => void

beforeAll(async () => {
  setLogLevel('error')
  removeSink = addLogSink((record) => logs.push(record))
  dir = await tempDir()
  ca = createCertificateAuthority('cmsweb test CA')
  serverPair = issueCertificate(ca, {
    commonName: 'localhost',
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1']
  })
  misnamedServer = issueCertificate(ca, { commonName: 'cmsweb.example', usage: 'server', dnsNames: ['cmsweb.example'] })
  clientPair = issueCertificate(ca, { commonName: 'Test Operator', usage: 'client' })
  const otherCa = createCertificateAuthority('Somebody else CA')
  foreignClient = issueCertificate(otherCa, { commonName: 'Intruder', usage: 'client' })
  files = {
    caFile: await dir.write('ca.pem', ca.certPem),
    caDir: `${dir.path}/certificates`,
    cert: await dir.write('usercert.pem', clientPair.certPem),
    key: await dir.write('userkey.pem', clientPair.keyPem),
    encKey: await dir.write('userkey.enc.pem', encryptPrivateKey(clientPair.keyPem, PASS)),
    p12: await dir.write('usercert.p12', toPkcs12(clientPair, PASS)),
    proxy: await dir.write('x509up_u1000', clientPair.certPem + clientPair.keyPem),
    foreignCert: await dir.write('foreign.pem', foreignClient.certPem),
    foreignKey: await dir.write('foreign.key.pem', foreignClient.keyPem)
  }
  await dir.write('certificates/5e8b1c2d.0', ca.certPem)
  await dir.write('certificates/ca.signing_policy', 'cond_subjects globus ...')
  creds = await loadCredentials({ certPath: files.cert, keyPath: files.key })
  foreignCreds = await loadCredentials({ certPath: files.foreignCert, keyPath: files.foreignKey })
  trusted = (await loadTrustedCAs({ ...config('https://unused'), caPath: files.caFile })) ?? []
})

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
  logs.length = 0
})

afterAll(async () => {
  removeSink?.()
  await dir?.remove()
})

function config(url: string, overrides: Partial<CmswebConfig> = {}): CmswebConfig {
  return { url, dbsUrl: url, concurrency: 4, timeoutMs: 5000, retries: 3, ...overrides }
}

async function serve(handler: Handler, options: { server?: CertAndKey; clientCa?: string | null } = {}): Promise<TestServer> {
  const server = await startServer(
    {
      server: options.server ?? serverPair,
      ...(options.clientCa === null ? {} : { clientCa: options.clientCa ?? ca.certPem })
    },
    handler
  )
  servers.push(server)
  return server
}

function client(
  server: TestServer,
  overrides: Partial<CmswebConfig> = {},
  init: Partial<CmswebClientInit> = {}
): CmswebClient {
  const c = new CmswebClient({
    cmsweb: config(server.url, overrides),
    credentials: creds,
    ca: trusted,
    retryBaseMs: 5,
    retryMaxMs: 40,
    certificateProbeMs: 300,
    ...init
  })
  clients.push(c)
  return c
}

async function rejection(promise: Promise<unknown>): Promise<CmswebError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(CmswebError)
    return err as CmswebError
  }
  throw new Error('expected the request to fail')
}

const ok: Handler = (req, res) => json(res, 200, { ok: true, path: req.url })

describe('mutual TLS with the grid certificate', () => {
  it('answers over mTLS with a PEM pair, the server CA coming from CMSWEB_CA (a file)', async () => {
    const server = await serve(ok)
    const c = await CmswebClient.create(
      {
        credentials: { certPath: files.cert, keyPath: files.key },
        cmsweb: { ...config(server.url), caPath: files.caFile }
      },
      { retryBaseMs: 5 }
    )
    clients.push(c)
    expect(await c.getJson('cmsweb', '/reqmgr2/data/info')).toEqual({ ok: true, path: '/reqmgr2/data/info' })
    expect(server.peers).toEqual(['Test Operator'])
    const summary = c.describe()
    expect(summary.kind).toBe('pem')
    expect(summary.subject).toBe('/O=Stats2 simulator/OU=Users/CN=Test Operator')
    expect(summary.text).toContain('Test Operator')
    expect(summary.text).toContain(files.cert)
    expect(summary.daysLeft).toBeGreaterThan(800)
  })

  it('trusts the server through an X509_CERT_DIR folder of hashed CA files', async () => {
    const server = await serve(ok)
    const c = await CmswebClient.create(
      { credentials: { proxyPath: files.proxy }, cmsweb: { ...config(server.url), caDir: files.caDir } },
      {}
    )
    clients.push(c)
    expect(await c.getJson('dbs', `${DBS}/datatiers`)).toMatchObject({ ok: true })
    expect(server.peers).toEqual(['Test Operator'])
  })

  it('presents an encrypted key, a .p12 bundle and a proxy', async () => {
    const server = await serve(ok)
    const kinds = [
      await loadCredentials({ certPath: files.cert, keyPath: files.encKey, passphrase: PASS }),
      await loadCredentials({ p12Path: files.p12, passphrase: PASS }),
      await loadCredentials({ proxyPath: files.proxy })
    ]
    for (const credentials of kinds) {
      const c = client(server, {}, { credentials })
      expect(await c.getJson('cmsweb', '/x')).toMatchObject({ ok: true })
    }
    expect(server.peers).toEqual(['Test Operator', 'Test Operator', 'Test Operator'])
  })

  it('explains an untrusted server and sends nothing to it', async () => {
    const server = await serve(ok)
    const c = client(server, {}, { ca: undefined })
    const err = await rejection(c.getJson('cmsweb', '/reqmgr2/data/info'))
    expect(err.kind).toBe('tls')
    expect(err.retryable).toBe(false)
    expect(err.attempts).toBe(1)
    expect(err.message).toMatch(
      new RegExp(
        `the server certificate of ${server.url} is not trusted \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\\): add its CA with CMSWEB_CA or X509_CERT_DIR`
      )
    )
    expect(server.hits).toBe(0)
  })

  it('explains a server certificate for another host name', async () => {
    const server = await serve(ok, { server: misnamedServer })
    const err = await rejection(client(server).getJson('cmsweb', '/x'))
    expect(err.kind).toBe('tls')
    expect(err.message).toContain(`the server certificate of ${server.url} is not valid for this host name`)
    expect(server.hits).toBe(0)
  })

  it('explains a server that refuses our client certificate at the TLS level (no retry)', async () => {
    const server = await serve(ok)
    const c = client(server, { retries: 3 }, { credentials: foreignCreds })
    const err = await rejection(c.getJson('cmsweb', '/reqmgr2/data/info'))
    expect(err.kind).toBe('client-certificate')
    expect(err.retryable).toBe(false)
    expect(err.attempts).toBe(1)
    expect(err.message).toContain(`the server ${server.url} closed the connection right after the TLS handshake`)
    expect(err.message).toContain('requires a client certificate and refused ours (/O=Stats2 simulator/OU=Users/CN=Intruder')
    expect(server.hits).toBe(0)
    expect(c.stats()).toMatchObject({ retries: 0, failures: 1 })
  })

  it('reports a 403 from the front end as a refused client certificate', async () => {
    const server = await serve((_req, res) => json(res, 403, { error: 'forbidden', reason: 'DN not registered in CRIC' }))
    const err = await rejection(client(server).getJson('cmsweb', '/reqmgr2/data/info'))
    expect(err.kind).toBe('client-certificate')
    expect(err.status).toBe(403)
    expect(err.detail).toBe('forbidden: DN not registered in CRIC')
    expect(err.message).toContain('→ 403: the server refused the client certificate')
    expect(server.hits).toBe(1)
  })
})

describe('retries', () => {
  it('retries a 503 and a 429, then succeeds', async () => {
    const server = await serve((_req, res, hit) => {
      if (hit === 1) return json(res, 503, 'Service Unavailable', { 'content-type': 'text/plain' })
      if (hit === 2) return json(res, 429, { error: 'too_many_requests', reason: 'slow down' }, { 'retry-after': '0' })
      json(res, 200, [{ num_event: 42 }])
    })
    const c = client(server, { retries: 3 })
    expect(await c.getJson('dbs', `${DBS}/filesummaries?dataset=/a/b/C`)).toEqual([{ num_event: 42 }])
    expect(server.hits).toBe(3)
    expect(c.stats()).toMatchObject({ retries: 2, failures: 0, requests: { 'dbs.filesummaries': 1 } })
    const warnings = logs.filter((record) => record.level === 'warn' && record.component === 'cmsweb')
    expect(warnings).toHaveLength(2)
    expect(warnings[0]?.message).toContain('→ 503: Service Unavailable (after 1 attempt); retry 1/3')
  })

  it('gives up after the configured retries with the last error', async () => {
    const server = await serve((_req, res) => json(res, 500, { error: 'internal', reason: 'boom' }))
    const err = await rejection(client(server, { retries: 2 }).getJson('cmsweb', '/couchdb/db/doc'))
    expect(err).toMatchObject({ kind: 'http', status: 500, attempts: 3, retryable: true, detail: 'internal: boom' })
    expect(err.message).toMatch(/→ 500: internal: boom \(after 3 attempts\)$/)
    expect(server.hits).toBe(3)
  })

  it('does not retry a 404 or a 400', async () => {
    const server = await serve((req, res) =>
      req.url?.startsWith('/missing')
        ? json(res, 404, { error: 'not_found', reason: 'missing' })
        : json(res, 400, { error: 'bad_request', reason: 'invalid since' })
    )
    const c = client(server, { retries: 4 })
    const notFound = await rejection(c.getJson('cmsweb', '/missing'))
    expect(notFound).toMatchObject({ kind: 'http', status: 404, attempts: 1, retryable: false })
    expect(server.hits).toBe(1)
    const bad = await rejection(c.getJson('cmsweb', '/couchdb/x/_changes?since=bad'))
    expect(bad).toMatchObject({ status: 400, attempts: 1, detail: 'bad_request: invalid since' })
    expect(server.hits).toBe(2)
    expect(c.stats()).toMatchObject({ retries: 0, failures: 2 })
  })

  it('retries a connection the server resets before answering (first contact and later)', async () => {
    const server = await serve((req, res, hit) => {
      if (hit === 1 || hit === 3) {
        req.socket.destroy()
        return
      }
      json(res, 200, { hit })
    })
    const c = client(server)
    expect(await c.getJson('cmsweb', '/a')).toEqual({ hit: 2 })
    expect(await c.getJson('cmsweb', '/b')).toEqual({ hit: 4 })
    expect(server.hits).toBe(4)
    expect(c.stats().retries).toBe(2)
  })

  it('retries an answer cut short (Content-Length not reached)', async () => {
    const server = await serve((_req, res, hit) => {
      if (hit === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
        res.write('[{"dataset": "/a/b')
        setTimeout(() => res.socket?.destroy(), 20)
        return
      }
      json(res, 200, [{ dataset: '/a/b/C' }])
    })
    const c = client(server)
    expect(await c.postJson('dbs', `${DBS}/datasetlist`, { dataset: ['/a/b/C'] })).toEqual([{ dataset: '/a/b/C' }])
    expect(server.hits).toBe(2)
  })

  it('retries truncated JSON in a 200 answer', async () => {
    const server = await serve((_req, res, hit) =>
      hit === 1 ? json(res, 200, '{"result": [{"RequestName": "a"}, {"Requ') : json(res, 200, { result: [] })
    )
    const c = client(server)
    expect(await c.getJson('cmsweb', '/wmstatsserver/data/filtered_requests')).toEqual({ result: [] })
    expect(server.hits).toBe(2)
    expect(c.stats().retries).toBe(1)
  })

  it('retries a refused connection, then reports it as a network error', async () => {
    const server = await serve(ok)
    const c = client(server, { retries: 2 })
    await server.close()
    const err = await rejection(c.getJson('dbs', `${DBS}/datasets`))
    expect(err).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', attempts: 3 })
    expect(err.message).toContain(`${server.url} refused the connection (ECONNREFUSED)`)
    await c.close()
    await expect(c.getJson('dbs', `${DBS}/datasets`)).rejects.toThrow('The cmsweb client is closed')
  })

  it('does not retry an HTML page answered with 200 (a login page)', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html><head><title>CERN Single Sign-On</title></head><body></body></html>')
    })
    const err = await rejection(client(server).getJson('cmsweb', '/reqmgr2/data/request'))
    expect(err.kind).toBe('invalid-json')
    expect(err.message).toContain('CERN Single Sign-On')
    expect(server.hits).toBe(1)
  })

  it('times out (headers never come), retries, then fails with kind timeout', async () => {
    const pending: ServerResponse[] = []
    const server = await serve((_req, res) => {
      pending.push(res)
    })
    const c = client(server, { retries: 2, timeoutMs: 150 })
    const started = Date.now()
    const err = await rejection(c.getJson('cmsweb', '/slow'))
    expect(err.kind).toBe('timeout')
    expect(err.attempts).toBe(3)
    expect(err.message).toContain('no answer within 150 ms (after 3 attempts)')
    expect(server.hits).toBe(3)
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('the timeout also covers a body that stalls', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[')
    })
    const err = await rejection(client(server, { retries: 1 }).getJson('dbs', `${DBS}/files`, { timeoutMs: 200 }))
    expect(err.kind).toBe('timeout')
    expect(err.message).toContain('the answer (status 200) did not complete within 200 ms')
    expect(server.hits).toBe(2)
  })
})

describe('error messages from the services', () => {
  it('extracts the DBSError message of a dbs2go JSON-list body', async () => {
    const body = [
      {
        error: {
          reason: 'invalid parameter(s)',
          message: "parameter 'bla' is not accepted by 'filesummaries' API",
          function: 'dbs.parameters.CheckQueryParameters',
          code: 118
        },
        http: { method: 'GET', code: 400 },
        exception: 400,
        type: 'HTTPError',
        message:
          "DBSError Code:118 Description:DBS invalid parameter for the DBS API Function:dbs.parameters.CheckQueryParameters Message:parameter 'bla' is not accepted by 'filesummaries' API Error: invalid parameter(s)"
      }
    ]
    const server = await serve((_req, res) => json(res, 400, body))
    const err = await rejection(client(server).getJson('dbs', `${DBS}/filesummaries?dataset=/a/b/C&bla=1`))
    expect(err.message).toBe(
      `GET ${server.url}${DBS}/filesummaries?dataset=/a/b/C&bla=1 → 400: ${body[0]?.message} (after 1 attempt)`
    )
    expect(err.detail).toBe(body[0]?.message)
  })

  it('extracts the message of a ReqMgr2 CherryPy HTML page (X-Error-Detail first)', async () => {
    const page =
      '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">\n<html>\n<head>\n<title>400 Bad Request</title>\n' +
      '<style type="text/css">#powered_by { margin-top: 20px; }</style>\n</head>\n<body>\n<h2>400 Bad Request</h2>\n' +
      "<p>Invalid spec parameter value: int() argument must be a string, a bytes-like object or a number, not 'NoneType'</p>\n" +
      '<pre id="traceback"></pre>\n<div id="powered_by"><span>Powered by <a href="http://www.cherrypy.dev">CherryPy 18.8.0</a></span></div>\n</body>\n</html>'
    const server = await serve((req, res) => {
      const headers: Record<string, string> = { 'content-type': 'text/html;charset=utf-8', 'x-rest-status': '1102' }
      if (req.url?.includes('with-header')) headers['x-error-detail'] = 'Invalid input parameter'
      res.writeHead(400, headers)
      res.end(page)
    })
    const c = client(server)
    const fromPage = await rejection(c.postJson('cmsweb', '/reqmgr2/data/request', { RequestType: 'TaskChain' }))
    expect(fromPage.detail).toBe(
      "Invalid spec parameter value: int() argument must be a string, a bytes-like object or a number, not 'NoneType'"
    )
    expect(fromPage.message).toContain('→ 400: Invalid spec parameter value: int() argument')
    const fromHeader = await rejection(c.getJson('cmsweb', '/reqmgr2/data/request?with-header=1'))
    expect(fromHeader.detail).toBe('Invalid input parameter')
  })
})

describe('requests', () => {
  it('sends Accept and, on POST, Content-Type: application/json with the JSON body', async () => {
    const server = await serve(async (req, res) => {
      const body = await readBody(req)
      if (req.headers.accept !== 'application/json') return json(res, 406, { error: 'bad accept' })
      if (req.method === 'POST' && req.headers['content-type'] !== 'application/json') {
        return json(res, 415, [{ message: 'DBSError Code:117 unsupported media type' }])
      }
      json(res, 200, { method: req.method, body: body === '' ? null : JSON.parse(body) })
    })
    const c = client(server)
    const payload = { dataset: ['/a/b/C', '/d/e/F'], detail: 1, dataset_access_type: '*' }
    expect(await c.postJson('dbs', `${DBS}/datasetlist`, payload)).toEqual({ method: 'POST', body: payload })
    expect(await c.getJson('dbs', `${DBS}/datasets`)).toEqual({ method: 'GET', body: null })
  })

  it('keeps at most `concurrency` requests in flight across both hosts', async () => {
    let active = 0
    let peak = 0
    const slow: Handler = async (_req, res) => {
      active++
      peak = Math.max(peak, active)
      await sleep(80)
      active--
      json(res, 200, { ok: true })
    }
    const cmsweb = await serve(slow)
    const dbs = await serve(slow)
    const c = client(cmsweb, { concurrency: 3, dbsUrl: dbs.url })
    const calls = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0 ? c.getJson('cmsweb', `/couchdb/db/doc${i}`) : c.getJson('dbs', `${DBS}/filesummaries?i=${i}`)
    )
    await Promise.all(calls)
    expect(peak).toBe(3)
    expect(cmsweb.hits + dbs.hits).toBe(10)
    expect(c.stats()).toMatchObject({
      inFlightPeak: 3,
      requests: { 'couchdb.db': 5, 'dbs.filesummaries': 5 }
    })
  })

  it('reuses connections (keep-alive)', async () => {
    const server = await serve(ok)
    const c = client(server)
    for (let i = 0; i < 10; i++) await c.getJson('cmsweb', `/reqmgr2/data/request?i=${i}`, { endpoint: 'reqmgr2.request' })
    expect(server.hits).toBe(10)
    expect(server.sockets).toBeLessThanOrEqual(2)
    expect(c.stats().requests).toEqual({ 'reqmgr2.request': 10 })
  })

  it('stops at once when aborted: in flight, before start and while waiting to retry', async () => {
    const server = await serve(async (req, res) => {
      if (req.url === '/unavailable') return json(res, 503, { error: 'unavailable', reason: 'restarting' })
      await sleep(2000)
      if (!res.destroyed) json(res, 200, { late: true })
    })
    const c = client(server, { retries: 5 }, { retryBaseMs: 5000, retryMaxMs: 5000 })

    const inFlight = new AbortController()
    const started = Date.now()
    const pending = c.getJson('cmsweb', '/slow', { signal: inFlight.signal })
    setTimeout(() => inFlight.abort(), 100)
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(server.hits).toBe(1)

    const before = new AbortController()
    before.abort()
    await expect(c.getJson('cmsweb', '/slow', { signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(server.hits).toBe(1)

    const backoff = new AbortController()
    const retrying = c.getJson('cmsweb', '/unavailable', { signal: backoff.signal })
    setTimeout(() => backoff.abort(), 200)
    const t0 = Date.now()
    await expect(retrying).rejects.toMatchObject({ name: 'AbortError' })
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(server.hits).toBe(2)
    expect(c.stats().failures).toBe(0)
  })

  it('never logs the passphrase or key material', async () => {
    const server = await serve((_req, res, hit) => (hit === 1 ? json(res, 502, 'bad gateway') : json(res, 200, {})))
    const credentials = await loadCredentials({ certPath: files.cert, keyPath: files.encKey, passphrase: PASS })
    const c = client(server, {}, { credentials })
    await c.getJson('cmsweb', '/x')
    expect(logs.length).toBeGreaterThan(0)
    const all = logs.map((record) => record.message).join('\n') + JSON.stringify(c.describe())
    expect(all).not.toContain(PASS)
    expect(all).not.toContain('PRIVATE KEY')
  })
})
