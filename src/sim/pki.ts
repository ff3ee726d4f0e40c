/**
 * The cmsweb simulator's small certificate authority: a CA, a server certificate for
 * 127.0.0.1/localhost and a client ("grid") certificate (the tests' extra forms, encrypted keys and
 * PKCS#12 bundles, are in tests/helpers/pki.ts). Keys come from Node's native RSA
 * generator (fast); node-forge only assembles and signs the X.509 structures.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdir, writeFile, access, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import forge from 'node-forge'

export interface CertAndKey {
  certPem: string
  keyPem: string
}

export interface IssueOptions {
  commonName: string
  usage: 'server' | 'client'
  dnsNames?: string[]
  ipAddresses?: string[]
  notBefore?: Date
  notAfter?: Date
}

const DAY_MS = 86_400_000

function newRsaKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  })
  return { privateKeyPem: privateKey, publicKeyPem: publicKey }
}

function serialNumber(): string {
  // Positive 16-byte serial (leading nibble < 8 keeps the DER INTEGER positive).
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f
  return bytes.toString('hex')
}

function subject(commonName: string, extra: forge.pki.CertificateField[] = []): forge.pki.CertificateField[] {
  return [{ shortName: 'O', value: 'Stats2 simulator' }, ...extra, { shortName: 'CN', value: commonName }]
}

export function createCertificateAuthority(commonName = 'Stats2 simulator CA', validDays = 3650): CertAndKey {
  const { privateKeyPem, publicKeyPem } = newRsaKey()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem)
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = new Date(Date.now() - DAY_MS)
  cert.validity.notAfter = new Date(Date.now() + validDays * DAY_MS)
  cert.setSubject(subject(commonName))
  cert.setIssuer(subject(commonName))
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' }
  ])
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem }
}

export function issueCertificate(ca: CertAndKey, options: IssueOptions): CertAndKey {
  const { privateKeyPem, publicKeyPem } = newRsaKey()
  const caCert = forge.pki.certificateFromPem(ca.certPem)
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem)
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS)
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 825 * DAY_MS)
  const extraSubject: forge.pki.CertificateField[] =
    options.usage === 'client' ? [{ shortName: 'OU', value: 'Users' }] : []
  cert.setSubject(subject(options.commonName, extraSubject))
  cert.setIssuer(caCert.subject.attributes)
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip }))
  ]
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    options.usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() }
  ]
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames })
  cert.setExtensions(extensions)
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem }
}

export interface TlsFiles {
  dir: string
  caCert: string
  caKey: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
}

export function tlsFilePaths(dir: string): TlsFiles {
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key.pem'),
    clientCert: join(dir, 'usercert.pem'),
    clientKey: join(dir, 'userkey.pem')
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/**
 * Makes sure `dir` holds a CA, a server certificate for 127.0.0.1/localhost and a client certificate;
 * files already there are reused so that a user's configured paths stay valid across runs.
 */
export async function ensureTlsDir(dir: string): Promise<TlsFiles> {
  const files = tlsFilePaths(dir)
  const all = [files.caCert, files.caKey, files.serverCert, files.serverKey, files.clientCert, files.clientKey]
  if ((await Promise.all(all.map(exists))).every(Boolean)) return files
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const ca = createCertificateAuthority()
  const server = issueCertificate(ca, {
    commonName: 'localhost',
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1']
  })
  const client = issueCertificate(ca, { commonName: 'Stats2 Demo Operator', usage: 'client' })
  const writes: [string, string, number][] = [
    [files.caCert, ca.certPem, 0o644],
    [files.caKey, ca.keyPem, 0o600],
    [files.serverCert, server.certPem, 0o644],
    [files.serverKey, server.keyPem, 0o600],
    [files.clientCert, client.certPem, 0o644],
    [files.clientKey, client.keyPem, 0o600]
  ]
  for (const [path, content, mode] of writes) {
    await writeFile(path, content, { mode })
    await chmod(path, mode)
  }
  return files
}
