/**
 * The operator's grid credentials (PEM pair, PKCS#12 bundle or X509 proxy), loaded and checked up
 * front so that a bad file, a wrong passphrase or an expired certificate is reported in words an
 * operator understands, naming the file, before any request is made.
 *
 * Key material and passphrases are never logged; `LoadedCredentials` redacts them from
 * `JSON.stringify` and `util.inspect` (spreading the object still copies them).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createSecureContext } from 'node:tls'
import { inspect } from 'node:util'
import forge from 'node-forge'
import type { CredentialConfig } from '../config/config'
import { errnoCode } from '../core/errors'

export type CredentialKind = 'pem' | 'p12' | 'proxy'

export interface LoadedCredentials {
  kind: CredentialKind
  /** Human description with the file paths, e.g. `certificate /x/usercert.pem, key /x/userkey.pem`. */
  source: string
  /** PEM certificate, followed by its chain when the file has one. */
  cert?: string
  /** PEM key as found in the file (possibly encrypted: then `passphrase` opens it). */
  key?: string
  /** The PKCS#12 bundle. */
  pfx?: Buffer
  passphrase?: string
  /** Grid-style DN of the (leaf) certificate: `/O=…/OU=…/CN=…`. */
  subject: string
  issuer: string
  notBefore: Date
  notAfter: Date
}

export type CredentialErrorCode =
  | 'missing'
  | 'unreadable'
  | 'passphrase-required'
  | 'wrong-passphrase'
  | 'expired'
  | 'not-yet-valid'
  | 'key-mismatch'
  | 'unsupported-p12'
  | 'unprotected'

export class CredentialError extends Error {
  override name = 'CredentialError'
  constructor(
    readonly code: CredentialErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

const PASSPHRASE_HINT = 'STATS2_KEY_PASSPHRASE or STATS2_KEY_PASSPHRASE_FILE'

/** `2025-03-01 12:00:00 UTC` */
export function formatUtc(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC')
}

/** OpenSSL's one-RDN-a-line form (`O=x\nCN=y`) as the grid writes DNs: `/O=x/CN=y`. */
export function gridDn(lines: string): string {
  return lines
    .split('\n')
    .filter((part) => part.length > 0)
    .map((part) => `/${part}`)
    .join('')
}

interface PemBlock {
  label: string
  text: string
}

export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = []
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g
  for (const match of text.matchAll(re)) blocks.push({ label: match[1] ?? '', text: `${match[0]}\n` })
  return blocks
}

/**
 * ssh's rule for private keys, applied to the passphrase file: a file of ours that group or others
 * may read or write is refused (the README promises 0600). Not on Windows (no POSIX modes).
 */
async function refuseUnprotected(path: string, what: string): Promise<void> {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(path)
  } catch {
    return // reading it reports a missing or unreadable file in its own words
  }
  if (info.uid === process.getuid() && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0')
    throw new CredentialError(
      'unprotected',
      `${what} ${path} is accessible by others (mode ${mode}); it must be private: run chmod 600 ${path}`
    )
  }
}

async function readCredentialFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT') throw new CredentialError('missing', `${what} ${path} not found`, { cause: err })
    if (code === 'EACCES' || code === 'EPERM') {
      throw new CredentialError('unreadable', `${what} ${path} cannot be read (permission denied)`, { cause: err })
    }
    if (code === 'EISDIR') throw new CredentialError('unreadable', `${what} ${path} is a directory, not a file`)
    throw new CredentialError('unreadable', `${what} ${path} cannot be read (${code ?? String(err)})`, { cause: err })
  }
}

async function resolvePassphrase(cfg: CredentialConfig): Promise<{ passphrase?: string; from?: string }> {
  if (cfg.passphrase !== undefined) return { passphrase: cfg.passphrase }
  if (cfg.passphrasePath === undefined) return {}
  await refuseUnprotected(cfg.passphrasePath, 'Passphrase file')
  const raw = (await readCredentialFile(cfg.passphrasePath, 'Passphrase file')).toString('utf8')
  return { passphrase: raw.replace(/\r?\n$/, ''), from: cfg.passphrasePath }
}

interface Described {
  subject: string
  issuer: string
  notBefore: Date
  notAfter: Date
}

function describeCertificate(cert: X509Certificate): Described {
  return {
    subject: gridDn(cert.subject),
    issuer: gridDn(cert.issuer),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo)
  }
}

function checkValidity(info: Described, what: string, path: string, now: Date, renewHint: string): void {
  if (now.getTime() > info.notAfter.getTime()) {
    throw new CredentialError('expired', `${what} ${path} expired on ${formatUtc(info.notAfter)}${renewHint}`)
  }
  if (now.getTime() < info.notBefore.getTime()) {
    throw new CredentialError(
      'not-yet-valid',
      `${what} ${path} is not valid before ${formatUtc(info.notBefore)} (check the computer's clock)`
    )
  }
}

/** Parses the certificates of a PEM file: the first one is the leaf, the others its chain. */
function parseCertificates(text: string, path: string, what: string): { leaf: X509Certificate; chainPem: string } {
  const blocks = pemBlocks(text).filter((block) => block.label === 'CERTIFICATE')
  const first = blocks[0]
  if (first === undefined) {
    throw new CredentialError('unreadable', `${what} ${path} does not contain a PEM certificate`)
  }
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(first.text)
  } catch (err) {
    throw new CredentialError('unreadable', `${what} ${path} holds a damaged certificate that cannot be decoded`, {
      cause: err
    })
  }
  return { leaf, chainPem: blocks.map((block) => block.text).join('') }
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY'])

function isEncrypted(block: PemBlock): boolean {
  return block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text)
}

/** The passphrase, read from its file only when the key needs one. */
async function passphraseFor(text: string, cfg: CredentialConfig): Promise<{ passphrase?: string; from?: string }> {
  const block = pemBlocks(text).find((candidate) => KEY_LABELS.has(candidate.label))
  return block !== undefined && isEncrypted(block) ? resolvePassphrase(cfg) : {}
}

/** Opens the PEM key found in `text`; returns the PEM as written (maybe encrypted) and the opened key. */
function openKey(
  text: string,
  path: string,
  passphrase: string | undefined,
  passphraseFrom: string | undefined
): { pem: string; key: KeyObject } {
  const block = pemBlocks(text).find((candidate) => KEY_LABELS.has(candidate.label))
  if (block === undefined) {
    throw new CredentialError('unreadable', `${path} does not contain a PEM private key`)
  }
  const encrypted = isEncrypted(block)
  if (encrypted && passphrase === undefined) {
    throw new CredentialError(
      'passphrase-required',
      `The key ${path} is encrypted: a passphrase is needed (${PASSPHRASE_HINT})`
    )
  }
  try {
    const key = createPrivateKey(encrypted ? { key: block.text, passphrase } : { key: block.text })
    return { pem: block.text, key }
  } catch (err) {
    if (encrypted) {
      const from = passphraseFrom === undefined ? '' : ` (read from ${passphraseFrom})`
      const damaged = errnoCode(err) === 'ERR_OSSL_BAD_DECRYPT' ? '' : ' (or the key is damaged)'
      throw new CredentialError('wrong-passphrase', `Wrong passphrase for ${path}${from}${damaged}`, { cause: err })
    }
    throw new CredentialError('unreadable', `${path} is not a valid private key: it cannot be decoded`, { cause: err })
  }
}

function checkPair(cert: X509Certificate, key: KeyObject, certPath: string, keyPath: string): void {
  let matches = false
  try {
    matches = cert.checkPrivateKey(key)
  } catch {
    matches = false
  }
  if (!matches) {
    const where = certPath === keyPath ? certPath : `${certPath}, ${keyPath}`
    throw new CredentialError('key-mismatch', `Certificate and key do not match (${where})`)
  }
}

function redact(creds: LoadedCredentials): LoadedCredentials {
  const safe = (): Record<string, unknown> => ({
    kind: creds.kind,
    source: creds.source,
    subject: creds.subject,
    issuer: creds.issuer,
    notBefore: creds.notBefore,
    notAfter: creds.notAfter,
    cert: creds.cert === undefined ? undefined : '[certificate]',
    key: creds.key === undefined ? undefined : '[redacted]',
    pfx: creds.pfx === undefined ? undefined : '[redacted]',
    passphrase: creds.passphrase === undefined ? undefined : '[redacted]'
  })
  Object.defineProperty(creds, 'toJSON', { value: safe, enumerable: false })
  Object.defineProperty(creds, inspect.custom, { value: () => safe(), enumerable: false })
  return creds
}

async function loadPemPair(
  certPath: string,
  keyPath: string,
  cfg: CredentialConfig,
  now: Date
): Promise<LoadedCredentials> {
  const certText = (await readCredentialFile(certPath, 'Grid certificate')).toString('utf8')
  const keyText = (await readCredentialFile(keyPath, 'Grid key')).toString('utf8')
  const { leaf, chainPem } = parseCertificates(certText, certPath, 'Grid certificate')
  const { passphrase, from } = await passphraseFor(keyText, cfg)
  const { pem, key } = openKey(keyText, keyPath, passphrase, from)
  checkPair(leaf, key, certPath, keyPath)
  const info = describeCertificate(leaf)
  checkValidity(info, 'Grid certificate', certPath, now, '')
  return redact({
    kind: 'pem',
    source: `certificate ${certPath}, key ${keyPath}`,
    cert: chainPem,
    key: pem,
    ...(passphrase === undefined ? {} : { passphrase }),
    ...info
  })
}

async function loadProxy(proxyPath: string, cfg: CredentialConfig, now: Date): Promise<LoadedCredentials> {
  const text = (await readCredentialFile(proxyPath, 'Grid proxy')).toString('utf8')
  const { leaf, chainPem } = parseCertificates(text, proxyPath, 'Grid proxy')
  const hasKey = pemBlocks(text).some((block) => KEY_LABELS.has(block.label))
  if (!hasKey) {
    throw new CredentialError(
      'unreadable',
      `Grid proxy ${proxyPath} has no private key: a proxy file holds the certificate and its key (voms-proxy-init writes one)`
    )
  }
  const { passphrase, from } = await passphraseFor(text, cfg)
  const { pem, key } = openKey(text, proxyPath, passphrase, from)
  checkPair(leaf, key, proxyPath, proxyPath)
  const info = describeCertificate(leaf)
  checkValidity(info, 'Grid proxy', proxyPath, now, ' (renew it with voms-proxy-init)')
  return redact({
    kind: 'proxy',
    source: `proxy ${proxyPath}`,
    cert: chainPem,
    key: pem,
    ...(passphrase === undefined ? {} : { passphrase }),
    ...info
  })
}

/** PKCS#12 encryption OIDs (1.2.840.113549.1.12.1.x) that OpenSSL 3 only knows with its legacy provider. */
const LEGACY_PBE: [number, string][] = [
  [1, 'RC4-128'],
  [2, 'RC4-40'],
  [5, 'RC2-128'],
  [6, 'RC2-40']
]

function legacyAlgorithm(der: Buffer): string | undefined {
  // DER of OID 1.2.840.113549.1.12.1.x: 06 0A 2A 86 48 86 F7 0D 01 0C 01 x
  const prefix = Buffer.from([0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01])
  const found = new Set<string>()
  let index = der.indexOf(prefix)
  while (index >= 0) {
    const last = der[index + prefix.length]
    const name = LEGACY_PBE.find(([value]) => value === last)?.[1]
    if (name !== undefined) found.add(name)
    index = der.indexOf(prefix, index + 1)
  }
  return found.size === 0 ? undefined : [...found].join(', ')
}

const KEY_BAG = '1.2.840.113549.1.12.10.1.1'
const SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2'
const CERT_BAG = '1.2.840.113549.1.12.10.1.3'

/** The certificate that goes with the key in a PKCS#12 bundle (node-forge reads it; OpenSSL already accepted the file). */
function p12Certificate(der: Buffer, passphrase: string): X509Certificate | undefined {
  try {
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der.toString('binary')), passphrase)
    const bagsOf = (bagType: string): forge.pkcs12.Bag[] => p12.getBags({ bagType })[bagType] ?? []
    const keyBags = [...bagsOf(SHROUDED_KEY_BAG), ...bagsOf(KEY_BAG)]
    const certBags = bagsOf(CERT_BAG).filter((bag) => bag.cert !== undefined)
    const keyId = keyBags[0]?.attributes.localKeyId?.[0]
    const withKey = keyId === undefined ? undefined : certBags.find((bag) => bag.attributes.localKeyId?.[0] === keyId)
    const keyPem = keyBags[0]?.key === undefined ? undefined : forge.pki.privateKeyToPem(keyBags[0].key)
    const candidates = [withKey, ...certBags].filter((bag) => bag !== undefined)
    for (const bag of candidates) {
      if (bag.cert === undefined) continue
      const cert = new X509Certificate(forge.pki.certificateToPem(bag.cert))
      if (keyPem === undefined || cert.checkPrivateKey(createPrivateKey(keyPem))) return cert
    }
    return undefined
  } catch {
    return undefined
  }
}

async function loadP12(p12Path: string, cfg: CredentialConfig, now: Date): Promise<LoadedCredentials> {
  const pfx = await readCredentialFile(p12Path, 'Grid certificate bundle')
  const { passphrase: given, from } = await resolvePassphrase(cfg)
  const passphrase = given ?? ''
  try {
    // What undici will do with it: OpenSSL opens the bundle and checks that the key fits the certificate.
    createSecureContext({ pfx, passphrase })
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (/mac verify failure/i.test(message)) {
      if (given === undefined) {
        throw new CredentialError(
          'passphrase-required',
          `The bundle ${p12Path} is protected: a passphrase is needed (${PASSPHRASE_HINT})`,
          { cause: err }
        )
      }
      const fromText = from === undefined ? '' : ` (read from ${from})`
      throw new CredentialError('wrong-passphrase', `Wrong passphrase for ${p12Path}${fromText}`, { cause: err })
    }
    if (/unsupported/i.test(message)) {
      const algorithm = legacyAlgorithm(pfx) ?? 'e.g. RC2-40'
      throw new CredentialError(
        'unsupported-p12',
        `${p12Path} uses a legacy encryption (${algorithm}) that OpenSSL 3 refuses; convert it: ` +
          'openssl pkcs12 -legacy -in old.p12 -nodes | openssl pkcs12 -export -out new.p12',
        { cause: err }
      )
    }
    if (/key values mismatch/i.test(message)) {
      throw new CredentialError('key-mismatch', `Certificate and key do not match (${p12Path})`, { cause: err })
    }
    throw new CredentialError('unreadable', `${p12Path} is not a valid PKCS#12 (.p12) bundle (${message})`, {
      cause: err
    })
  }
  const cert = p12Certificate(pfx, passphrase)
  if (cert === undefined) {
    throw new CredentialError(
      'unsupported-p12',
      `${p12Path} could be opened but its certificate could not be read; convert it: ` +
        'openssl pkcs12 -in old.p12 -nodes | openssl pkcs12 -export -out new.p12'
    )
  }
  const info = describeCertificate(cert)
  checkValidity(info, 'Grid certificate', p12Path, now, '')
  return redact({
    kind: 'p12',
    source: `PKCS#12 bundle ${p12Path}`,
    pfx,
    ...(passphrase === '' && given === undefined ? {} : { passphrase }),
    ...info
  })
}

/**
 * Finds and checks the operator's credentials. Priority: `p12Path`, then `certPath` + `keyPath`,
 * then `proxyPath`, then the grid default `~/.globus/usercert.pem` + `~/.globus/userkey.pem`.
 * `env` is accepted for symmetry with `loadConfig` (the default lookup uses `os.homedir()`, which
 * follows HOME).
 */
export async function loadCredentials(
  cfg: CredentialConfig,
  _env: Record<string, string | undefined> = process.env,
  now: Date = new Date()
): Promise<LoadedCredentials> {
  if (cfg.p12Path !== undefined) return loadP12(cfg.p12Path, cfg, now)
  if (cfg.certPath !== undefined || cfg.keyPath !== undefined) {
    if (cfg.keyPath === undefined) {
      throw new CredentialError(
        'missing',
        `The grid certificate is set (${cfg.certPath}) but not its key: set USERKEY (or X509_USER_KEY) too`
      )
    }
    if (cfg.certPath === undefined) {
      throw new CredentialError(
        'missing',
        `The grid key is set (${cfg.keyPath}) but not its certificate: set USERCRT (or X509_USER_CERT) too`
      )
    }
    return loadPemPair(cfg.certPath, cfg.keyPath, cfg, now)
  }
  if (cfg.proxyPath !== undefined) return loadProxy(cfg.proxyPath, cfg, now)
  const globus = join(homedir(), '.globus')
  const certPath = join(globus, 'usercert.pem')
  const keyPath = join(globus, 'userkey.pem')
  try {
    return await loadPemPair(certPath, keyPath, cfg, now)
  } catch (err) {
    if (err instanceof CredentialError && err.code === 'missing') {
      throw new CredentialError(
        'missing',
        `No grid certificate configured, and ${err.message.replace(/^Grid (certificate|key) /, '')}: ` +
          'set USERCRT and USERKEY, STATS2_USER_P12 or X509_USER_PROXY, or put usercert.pem and userkey.pem in ' +
          globus,
        { cause: err }
      )
    }
    throw err
  }
}
