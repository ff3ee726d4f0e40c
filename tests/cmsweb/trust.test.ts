import { X509Certificate } from 'node:crypto'
import { rootCertificates } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TrustError, loadTrustedCAs } from '../../src/main/cmsweb/trust'
import type { CmswebConfig } from '../../src/main/config/config'
import { createCertificateAuthority, type CertAndKey } from '../helpers/pki'
import { tempDir, type TempDir } from './helpers'

const base: CmswebConfig = {
  url: 'https://cmsweb.example',
  dbsUrl: 'https://dbs.example:8443',
  concurrency: 2,
  timeoutMs: 1000,
  retries: 0
}

let dir: TempDir
let caA: CertAndKey
let caB: CertAndKey

function fingerprints(pems: string[]): Set<string> {
  return new Set(pems.map((pem) => new X509Certificate(pem).fingerprint256))
}

async function trustError(promise: Promise<unknown>): Promise<TrustError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError)
    return err as TrustError
  }
  throw new Error('expected a TrustError')
}

beforeAll(async () => {
  dir = await tempDir()
  caA = createCertificateAuthority('Grid CA A')
  caB = createCertificateAuthority('Grid CA B')
  await dir.write('bundle.pem', `# extra CAs\n${caA.certPem}${caB.certPem}`)
  // A grid CA folder: hashed names, .pem, and the non-certificate files that live next to them.
  await dir.write('certificates/1a2b3c4d.0', caA.certPem)
  await dir.write('certificates/CERN-Root.pem', caB.certPem)
  await dir.write('certificates/1a2b3c4d.signing_policy', 'access_id_CA X509 ...')
  await dir.write('certificates/1a2b3c4d.r0', 'not a certificate')
  await dir.write('der/root.crt', new X509Certificate(caA.certPem).raw)
  await dir.write('nocert.pem', 'hello, no certificate here\n')
  await dir.write('empty/README', 'nothing')
})

afterAll(async () => {
  await dir?.remove()
})

describe('loadTrustedCAs', () => {
  it('uses the defaults when no extra CA is configured', async () => {
    expect(await loadTrustedCAs(base)).toBeUndefined()
  })

  it('adds a PEM bundle (CMSWEB_CA) to Node’s roots and the system bundle', async () => {
    const ca = await loadTrustedCAs({ ...base, caPath: `${dir.path}/bundle.pem` })
    expect(ca).toBeDefined()
    const prints = fingerprints(ca ?? [])
    expect(prints.has(new X509Certificate(caA.certPem).fingerprint256)).toBe(true)
    expect(prints.has(new X509Certificate(caB.certPem).fingerprint256)).toBe(true)
    for (const root of rootCertificates.slice(0, 5)) {
      expect(prints.has(new X509Certificate(root).fingerprint256)).toBe(true)
    }
    expect(ca?.length).toBeGreaterThanOrEqual(rootCertificates.length + 2)
    expect(prints.size).toBe(ca?.length)
  })

  it('reads a grid CA folder (X509_CERT_DIR): *.0 and *.pem, skipping policies and CRLs', async () => {
    const ca = await loadTrustedCAs({ ...base, caDir: `${dir.path}/certificates` }, { systemBundles: [], env: {} })
    expect(ca?.length).toBe(rootCertificates.length + 2)
    const prints = fingerprints(ca ?? [])
    expect(prints.has(new X509Certificate(caA.certPem).fingerprint256)).toBe(true)
    expect(prints.has(new X509Certificate(caB.certPem).fingerprint256)).toBe(true)
  })

  it('counts a CA given twice (system bundle, NODE_EXTRA_CA_CERTS, CMSWEB_CA) once', async () => {
    const bundle = `${dir.path}/bundle.pem`
    const ca = await loadTrustedCAs(
      { ...base, caPath: bundle, caDir: `${dir.path}/certificates` },
      { systemBundles: [bundle], env: { NODE_EXTRA_CA_CERTS: bundle } }
    )
    expect(ca?.length).toBe(rootCertificates.length + 2)
  })

  it('reads a DER .crt file in a CMSWEB_CA folder', async () => {
    const ca = await loadTrustedCAs({ ...base, caPath: `${dir.path}/der` }, { systemBundles: [] })
    expect(fingerprints(ca ?? []).has(new X509Certificate(caA.certPem).fingerprint256)).toBe(true)
  })

  it('reports a missing path, a file without certificate and an empty folder', async () => {
    const missing = await trustError(loadTrustedCAs({ ...base, caPath: `${dir.path}/missing.pem` }))
    expect(missing.code).toBe('missing')
    expect(missing.message).toBe(`CMSWEB_CA ${dir.path}/missing.pem not found`)
    const noCert = await trustError(loadTrustedCAs({ ...base, caPath: `${dir.path}/nocert.pem` }))
    expect(noCert.code).toBe('no-certificate')
    expect(noCert.message).toBe(`CMSWEB_CA ${dir.path}/nocert.pem contains no PEM certificate`)
    const empty = await trustError(loadTrustedCAs({ ...base, caDir: `${dir.path}/empty` }))
    expect(empty.code).toBe('no-certificate')
    expect(empty.message).toContain(`X509_CERT_DIR ${dir.path}/empty contains no CA certificate`)
  })
})
