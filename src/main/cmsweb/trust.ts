/**
 * Which servers we trust. By default Node's own CA list; with CMSWEB_CA (a PEM bundle or a folder)
 * and/or X509_CERT_DIR (the grid CA folder: `*.pem` or hashed `*.0` files) the extra CAs are added.
 * undici's `ca` option *replaces* the defaults, so the result then also carries Node's root
 * certificates and the system bundle. There is no insecure mode.
 */
import { X509Certificate } from 'node:crypto'
import { readFile, readdir, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { rootCertificates } from 'node:tls'
import type { CmswebConfig } from '../config/config'
import { createLogger } from '../log/logger'
import { pemBlocks } from './credentials'
import { errnoCode } from '../core/errors'

const log = createLogger('cmsweb')

export type TrustErrorCode = 'missing' | 'unreadable' | 'no-certificate'

export class TrustError extends Error {
  override name = 'TrustError'
  constructor(
    readonly code: TrustErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/** Where Linux distributions keep the system CA bundle (Debian/Ubuntu, then EL/Alma/Fedora). */
export const SYSTEM_CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']

export interface TrustOptions {
  /** Candidate system bundles; the first that exists is used. */
  systemBundles?: string[]
  /** For NODE_EXTRA_CA_CERTS, which a custom `ca` list would otherwise drop. */
  env?: Record<string, string | undefined>
}

/** Files of a CA folder that can hold a certificate: PEM/CRT/CER and OpenSSL's hashed names (`a1b2c3d4.0`). */
const CA_FILE = /\.(pem|crt|cer|der|\d+)$/i

/** The certificates of one file (PEM blocks, or a single DER certificate), as PEM strings. */
function certificatesIn(content: Buffer, path: string): string[] {
  const text = content.toString('latin1')
  const blocks = pemBlocks(text).filter((block) => block.label === 'CERTIFICATE')
  const certs: string[] = []
  for (const block of blocks) {
    try {
      certs.push(new X509Certificate(block.text).toString())
    } catch {
      log.warn(`Skipping a damaged certificate in ${path}`)
    }
  }
  if (blocks.length === 0 && /\.(crt|cer|der)$/i.test(extname(path))) {
    try {
      certs.push(new X509Certificate(content).toString())
    } catch {
      // Not DER either: no certificate in this file.
    }
  }
  return certs
}

async function certificatesFrom(path: string, label: string): Promise<string[]> {
  let info
  try {
    info = await stat(path)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new TrustError('missing', `${label} ${path} not found`, { cause: err })
    throw new TrustError('unreadable', `${label} ${path} cannot be read (${errnoCode(err) ?? String(err)})`, {
      cause: err
    })
  }
  if (info.isDirectory()) {
    let names: string[]
    try {
      names = (await readdir(path)).filter((name) => CA_FILE.test(name)).sort()
    } catch (err) {
      throw new TrustError('unreadable', `${label} ${path} cannot be listed (${errnoCode(err) ?? String(err)})`, {
        cause: err
      })
    }
    const certs: string[] = []
    for (const name of names) {
      const file = join(path, name)
      try {
        if (!(await stat(file)).isFile()) continue
        certs.push(...certificatesIn(await readFile(file), file))
      } catch (err) {
        log.warn(`Skipping ${file}: ${errnoCode(err) ?? String(err)}`)
      }
    }
    if (certs.length === 0) {
      throw new TrustError(
        'no-certificate',
        `${label} ${path} contains no CA certificate (PEM files: *.pem, *.crt or hashed *.0)`
      )
    }
    return certs
  }
  let content: Buffer
  try {
    content = await readFile(path)
  } catch (err) {
    throw new TrustError('unreadable', `${label} ${path} cannot be read (${errnoCode(err) ?? String(err)})`, {
      cause: err
    })
  }
  const certs = certificatesIn(content, path)
  if (certs.length === 0) throw new TrustError('no-certificate', `${label} ${path} contains no PEM certificate`)
  return certs
}

async function systemBundle(candidates: string[]): Promise<string[]> {
  for (const candidate of candidates) {
    let content: Buffer
    try {
      content = await readFile(candidate)
    } catch {
      continue
    }
    return certificatesIn(content, candidate)
  }
  return []
}

/**
 * The CA list for the cmsweb connections: `undefined` (Node's defaults) when no extra CA is
 * configured, otherwise Node's root certificates + the system bundle + the extras, without duplicates.
 */
export async function loadTrustedCAs(cfg: CmswebConfig, options: TrustOptions = {}): Promise<string[] | undefined> {
  const extras: string[] = []
  if (cfg.caPath !== undefined) extras.push(...(await certificatesFrom(cfg.caPath, 'CMSWEB_CA')))
  if (cfg.caDir !== undefined) extras.push(...(await certificatesFrom(cfg.caDir, 'X509_CERT_DIR')))
  if (extras.length === 0) return undefined
  const env = options.env ?? process.env
  const nodeExtra = env.NODE_EXTRA_CA_CERTS
  const fromNodeExtra = nodeExtra ? await systemBundle([nodeExtra]) : []
  const all = [
    ...rootCertificates,
    ...(await systemBundle(options.systemBundles ?? SYSTEM_CA_BUNDLES)),
    ...fromNodeExtra,
    ...extras
  ]
  // The same CA often comes from several places, written differently: compare the certificates.
  const seen = new Set<string>()
  const result: string[] = []
  for (const pem of all) {
    let id: string
    try {
      id = new X509Certificate(pem).fingerprint256
    } catch {
      continue
    }
    if (seen.has(id)) continue
    seen.add(id)
    result.push(pem.endsWith('\n') ? pem : `${pem}\n`)
  }
  return result
}
