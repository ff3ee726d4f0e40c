import { execFileSync } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CredentialError, loadCredentials, type CredentialErrorCode } from '../../src/main/cmsweb/credentials'
import {
  createCertificateAuthority,
  encryptPrivateKey,
  issueCertificate,
  toPkcs12,
  type CertAndKey
} from '../helpers/pki'
import { tempDir, type TempDir } from './helpers'

const PASS = 'correct horse battery staple'
const SUBJECT = '/O=Stats2 simulator/OU=Users/CN=Test Operator'

let dir: TempDir
let ca: CertAndKey
let client: CertAndKey
let other: CertAndKey
let expired: CertAndKey
let future: CertAndKey
type FileName =
  | 'cert'
  | 'key'
  | 'encKey'
  | 'legacyEncKey'
  | 'passFile'
  | 'p12'
  | 'proxy'
  | 'proxyNoKey'
  | 'otherKey'
  | 'expiredCert'
  | 'expiredKey'
  | 'futureCert'
  | 'futureKey'
  | 'garbageKey'
  | 'textKey'
  | 'globusHome'
  | 'emptyHome'
const files = {} as Record<FileName, string>

async function failure(promise: Promise<unknown>): Promise<CredentialError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(CredentialError)
    return err as CredentialError
  }
  throw new Error('expected the credentials to be refused')
}

async function expectCode(promise: Promise<unknown>, code: CredentialErrorCode): Promise<string> {
  const err = await failure(promise)
  expect(err.code).toBe(code)
  return err.message
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  dir = await tempDir()
  ca = createCertificateAuthority('Test CA')
  client = issueCertificate(ca, { commonName: 'Test Operator', usage: 'client' })
  other = issueCertificate(ca, { commonName: 'Someone Else', usage: 'client' })
  expired = issueCertificate(ca, {
    commonName: 'Old Operator',
    usage: 'client',
    notBefore: new Date('2024-03-01T12:00:00Z'),
    notAfter: new Date('2025-03-01T12:00:00Z')
  })
  future = issueCertificate(ca, {
    commonName: 'Future Operator',
    usage: 'client',
    notBefore: new Date(Date.now() + 30 * 86_400_000),
    notAfter: new Date(Date.now() + 400 * 86_400_000)
  })
  files.cert = await dir.write('usercert.pem', client.certPem, 0o644)
  files.key = await dir.write('userkey.pem', client.keyPem)
  files.encKey = await dir.write('userkey.enc.pem', encryptPrivateKey(client.keyPem, PASS))
  files.legacyEncKey = await dir.write(
    'userkey.des3.pem',
    createPrivateKey(client.keyPem)
      .export({ type: 'pkcs1', format: 'pem', cipher: 'des-ede3-cbc', passphrase: PASS })
      .toString()
  )
  files.passFile = await dir.write('passphrase.txt', `${PASS}\n`)
  files.p12 = await dir.write('usercert.p12', toPkcs12(client, PASS, ca.certPem))
  files.proxy = await dir.write('x509up_u1000', client.certPem + client.keyPem + ca.certPem)
  files.proxyNoKey = await dir.write('x509up_nokey', client.certPem + ca.certPem)
  files.otherKey = await dir.write('otherkey.pem', other.keyPem)
  files.expiredCert = await dir.write('expired.pem', expired.certPem)
  files.expiredKey = await dir.write('expired.key.pem', expired.keyPem)
  files.futureCert = await dir.write('future.pem', future.certPem)
  files.futureKey = await dir.write('future.key.pem', future.keyPem)
  files.garbageKey = await dir.write(
    'garbage.key.pem',
    '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIGJ5dGVz\n-----END PRIVATE KEY-----\n'
  )
  files.textKey = await dir.write('notes.txt', 'my key is somewhere else\n')
  files.globusHome = dir.path + '/home'
  await dir.write('home/.globus/usercert.pem', client.certPem, 0o644)
  await dir.write('home/.globus/userkey.pem', encryptPrivateKey(client.keyPem, PASS), 0o400)
  files.emptyHome = dir.path + '/empty-home'
  await dir.write('empty-home/.keep', '')
})

afterAll(async () => {
  await dir?.remove()
})

describe('loadCredentials: PEM certificate and key', () => {
  it('loads a plain PEM pair with its DN and validity', async () => {
    const creds = await loadCredentials({ certPath: files.cert, keyPath: files.key })
    expect(creds.kind).toBe('pem')
    expect(creds.subject).toBe(SUBJECT)
    expect(creds.issuer).toBe('/O=Stats2 simulator/CN=Test CA')
    expect(creds.source).toContain(files.cert)
    expect(creds.source).toContain(files.key)
    expect(creds.cert).toContain('BEGIN CERTIFICATE')
    expect(creds.key).toContain('BEGIN PRIVATE KEY')
    expect(creds.passphrase).toBeUndefined()
    expect(creds.notAfter.getTime()).toBeGreaterThan(Date.now())
    expect(creds.notBefore.getTime()).toBeLessThan(Date.now())
  })

  it('opens an encrypted PKCS#8 key with the passphrase', async () => {
    const creds = await loadCredentials({ certPath: files.cert, keyPath: files.encKey, passphrase: PASS })
    expect(creds.key).toContain('BEGIN ENCRYPTED PRIVATE KEY')
    expect(creds.passphrase).toBe(PASS)
    expect(() => createPrivateKey({ key: creds.key ?? '', passphrase: creds.passphrase })).not.toThrow()
  })

  it('reads the passphrase from passphrasePath, without its trailing newline', async () => {
    const creds = await loadCredentials({ certPath: files.cert, keyPath: files.encKey, passphrasePath: files.passFile })
    expect(creds.passphrase).toBe(PASS)
  })

  it('opens a traditional (Proc-Type: 4,ENCRYPTED) DES3 key', async () => {
    const creds = await loadCredentials({ certPath: files.cert, keyPath: files.legacyEncKey, passphrase: PASS })
    expect(creds.key).toContain('Proc-Type: 4,ENCRYPTED')
  })

  it('asks for the passphrase of an encrypted key, naming the file and the variable', async () => {
    const message = await expectCode(
      loadCredentials({ certPath: files.cert, keyPath: files.encKey }),
      'passphrase-required'
    )
    expect(message).toBe(
      `The key ${files.encKey} is encrypted: a passphrase is needed (STATS2_KEY_PASSPHRASE or STATS2_KEY_PASSPHRASE_FILE)`
    )
  })

  it('says "wrong passphrase" for a wrong passphrase (PKCS#8 and traditional)', async () => {
    const message = await expectCode(
      loadCredentials({ certPath: files.cert, keyPath: files.encKey, passphrase: 'nope' }),
      'wrong-passphrase'
    )
    expect(message).toMatch(new RegExp(`^Wrong passphrase for ${files.encKey}`))
    expect(message).not.toContain('nope')
    await expectCode(
      loadCredentials({ certPath: files.cert, keyPath: files.legacyEncKey, passphrase: 'nope' }),
      'wrong-passphrase'
    )
  })

  it('tells a garbage key apart from a wrong passphrase', async () => {
    const garbage = await expectCode(
      loadCredentials({ certPath: files.cert, keyPath: files.garbageKey, passphrase: 'whatever' }),
      'unreadable'
    )
    expect(garbage).toBe(`${files.garbageKey} is not a valid private key: it cannot be decoded`)
    const text = await expectCode(loadCredentials({ certPath: files.cert, keyPath: files.textKey }), 'unreadable')
    expect(text).toBe(`${files.textKey} does not contain a PEM private key`)
    const certAsKey = await expectCode(loadCredentials({ certPath: files.cert, keyPath: files.cert }), 'unreadable')
    expect(certAsKey).toContain('does not contain a PEM private key')
  })

  it('reports a missing file by name', async () => {
    const missing = `${dir.path}/nowhere/usercert.pem`
    const message = await expectCode(loadCredentials({ certPath: missing, keyPath: files.key }), 'missing')
    expect(message).toBe(`Grid certificate ${missing} not found`)
    const missingPass = await expectCode(
      loadCredentials({ certPath: files.cert, keyPath: files.encKey, passphrasePath: `${dir.path}/no-pass` }),
      'missing'
    )
    expect(missingPass).toContain(`${dir.path}/no-pass`)
  })

  it('needs both the certificate and the key, naming the missing one', async () => {
    const noKey = await expectCode(loadCredentials({ certPath: files.cert }), 'missing')
    expect(noKey).toContain('USERKEY')
    expect(noKey).toContain(files.cert)
    const noCert = await expectCode(loadCredentials({ keyPath: files.key }), 'missing')
    expect(noCert).toContain('USERCRT')
  })

  it('refuses an expired certificate, giving the date', async () => {
    const message = await expectCode(
      loadCredentials({ certPath: files.expiredCert, keyPath: files.expiredKey }),
      'expired'
    )
    expect(message).toBe(`Grid certificate ${files.expiredCert} expired on 2025-03-01 12:00:00 UTC`)
  })

  it('refuses a certificate that is not valid yet', async () => {
    const message = await expectCode(
      loadCredentials({ certPath: files.futureCert, keyPath: files.futureKey }),
      'not-yet-valid'
    )
    expect(message).toContain(`Grid certificate ${files.futureCert} is not valid before `)
    expect(message).toMatch(/not valid before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/)
  })

  it('refuses a certificate with somebody else’s key', async () => {
    const message = await expectCode(loadCredentials({ certPath: files.cert, keyPath: files.otherKey }), 'key-mismatch')
    expect(message).toMatch(/^Certificate and key do not match/)
  })

  it('never shows key material or the passphrase when logged', async () => {
    const creds = await loadCredentials({ certPath: files.cert, keyPath: files.encKey, passphrase: PASS })
    const shown = JSON.stringify(creds) + inspect(creds)
    expect(shown).toContain('Test Operator')
    expect(shown).not.toContain(PASS)
    expect(shown).not.toContain('PRIVATE KEY')
  })
})

describe('loadCredentials: PKCS#12', () => {
  it('opens a modern .p12 (AES-256)', async () => {
    const creds = await loadCredentials({ p12Path: files.p12, passphrase: PASS })
    expect(creds.kind).toBe('p12')
    expect(creds.subject).toBe(SUBJECT)
    expect(Buffer.isBuffer(creds.pfx)).toBe(true)
    expect(creds.passphrase).toBe(PASS)
    expect(creds.cert).toBeUndefined()
  })

  it('takes priority over a PEM pair and a proxy', async () => {
    const creds = await loadCredentials({
      p12Path: files.p12,
      passphrasePath: files.passFile,
      certPath: files.expiredCert,
      keyPath: files.expiredKey,
      proxyPath: files.proxy
    })
    expect(creds.kind).toBe('p12')
  })

  it('distinguishes a missing and a wrong passphrase', async () => {
    await expectCode(loadCredentials({ p12Path: files.p12 }), 'passphrase-required')
    const message = await expectCode(loadCredentials({ p12Path: files.p12, passphrase: 'nope' }), 'wrong-passphrase')
    expect(message).toBe(`Wrong passphrase for ${files.p12}`)
  })

  it('says a non-PKCS#12 file is not a bundle', async () => {
    const message = await expectCode(loadCredentials({ p12Path: files.cert, passphrase: PASS }), 'unreadable')
    expect(message).toContain(`${files.cert} is not a valid PKCS#12`)
  })

  it.runIf(hasOpenssl())('explains how to convert a legacy RC2-40 bundle', async () => {
    const legacy = `${dir.path}/legacy.p12`
    execFileSync('openssl', [
      'pkcs12',
      '-export',
      '-legacy',
      '-in',
      files.cert,
      '-inkey',
      files.key,
      '-passout',
      `pass:${PASS}`,
      '-out',
      legacy
    ])
    const message = await expectCode(loadCredentials({ p12Path: legacy, passphrase: PASS }), 'unsupported-p12')
    expect(message).toBe(
      `${legacy} uses a legacy encryption (RC2-40) that OpenSSL 3 refuses; convert it: ` +
        'openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12'
    )
  })
})

describe('loadCredentials: proxy and the ~/.globus default', () => {
  it('loads a proxy file (certificate, key and chain in one PEM)', async () => {
    const creds = await loadCredentials({ proxyPath: files.proxy })
    expect(creds.kind).toBe('proxy')
    expect(creds.subject).toBe(SUBJECT)
    expect(creds.source).toContain(files.proxy)
    expect(creds.cert?.match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
    expect(creds.key).toContain('BEGIN PRIVATE KEY')
    expect(creds.key).not.toContain('CERTIFICATE')
  })

  it('the PEM pair takes priority over the proxy', async () => {
    const creds = await loadCredentials({ certPath: files.cert, keyPath: files.key, proxyPath: files.proxyNoKey })
    expect(creds.kind).toBe('pem')
  })

  it('refuses a proxy without its key', async () => {
    const message = await expectCode(loadCredentials({ proxyPath: files.proxyNoKey }), 'unreadable')
    expect(message).toContain(`Grid proxy ${files.proxyNoKey} has no private key`)
  })

  it('falls back to ~/.globus/usercert.pem and userkey.pem', async () => {
    const saved = process.env.HOME
    process.env.HOME = files.globusHome
    try {
      const creds = await loadCredentials({ passphrase: PASS })
      expect(creds.kind).toBe('pem')
      expect(creds.source).toContain(`${files.globusHome}/.globus/usercert.pem`)
      expect(creds.subject).toBe(SUBJECT)
      process.env.HOME = files.emptyHome
      const message = await expectCode(loadCredentials({}), 'missing')
      expect(message).toContain(`${files.emptyHome}/.globus/usercert.pem not found`)
      expect(message).toContain('USERCRT')
    } finally {
      process.env.HOME = saved
    }
  })
})
