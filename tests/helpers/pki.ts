/**
 * Test-only credential forms on top of the simulator's CA (src/sim/pki.ts): encrypted keys and
 * PKCS#12 bundles, as operators hold them.
 */
import { createPrivateKey } from 'node:crypto'
import forge from 'node-forge'
import { type CertAndKey } from '../../src/sim/pki'

export { createCertificateAuthority, issueCertificate, type CertAndKey } from '../../src/sim/pki'

/** The same key, encrypted (PKCS#8, AES-256-CBC) with a passphrase, as `openssl pkcs8 -topk8 -v2 aes256` writes it. */
export function encryptPrivateKey(keyPem: string, passphrase: string): string {
  return createPrivateKey(keyPem)
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
    .toString()
}

/** A PKCS#12 bundle (certificate, key and optionally the CA) as modern tools write it (AES-256, SHA-256). */
export function toPkcs12(pair: CertAndKey, passphrase: string, caCertPem?: string): Buffer {
  const chain = [forge.pki.certificateFromPem(pair.certPem)]
  if (caCertPem) chain.push(forge.pki.certificateFromPem(caCertPem))
  const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(pair.keyPem), chain, passphrase, {
    algorithm: 'aes256',
    generateLocalKeyId: true,
    friendlyName: 'grid certificate'
  })
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary')
}
