/**
 * Help → Copy diagnostics and About: the text from a real AppCore (embedded store on disk, a PEM
 * certificate with an encrypted key), checked for what it must say and what it must never say.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { aboutText, dataFolder, diagnosticsText, redactUrl, runtimeVersions } from '../../src/main/desktop/diagnostics'
import { createCertificateAuthority, encryptPrivateKey, issueCertificate } from '../helpers/pki'

const PASSPHRASE = 'correct horse battery staple'
let work: string
let core: AppCore
let keyPem: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-diag-'))
  const ca = createCertificateAuthority('Diagnostics CA')
  const pair = issueCertificate(ca, { commonName: 'Ada Operator', usage: 'client', notAfter: new Date(Date.now() + 40.5 * 86_400_000) })
  keyPem = encryptPrivateKey(pair.keyPem, PASSPHRASE)
  await writeFile(join(work, 'usercert.pem'), pair.certPem)
  await writeFile(join(work, 'userkey.pem'), keyPem, { mode: 0o600 })
  core = await AppCore.create({
    userDataDir: join(work, 'user-data'),
    env: {
      HOME: work,
      USERCRT: join(work, 'usercert.pem'),
      USERKEY: join(work, 'userkey.pem'),
      STATS2_KEY_PASSPHRASE: PASSPHRASE,
      STATS2_DATA_DIR: join(work, 'store')
    },
    secrets: new MemorySecretStore()
  })
})

afterAll(async () => {
  await core?.close()
  await rm(work, { recursive: true, force: true })
})

describe('diagnostics', () => {
  it('says versions, store and its size, data folder, certificate subject and expiry — never the key or passphrase', async () => {
    const status = await core.status()
    const versions = runtimeVersions('0.1.0', { ...process.versions, electron: '45.5.0', chrome: '142.0.0.0' }, 'linux x64')
    const folder = dataFolder(core.liveConfig(), join(work, 'user-data'))
    const text = diagnosticsText({ versions, status, dataFolder: folder })
    expect(text).toContain('Stats2 0.1.0\nElectron 45.5.0\nChromium 142.0.0.0\nNode.js ')
    expect(text).toContain('OS linux x64')
    expect(text).toContain('Mode: live')
    expect(text).toMatch(/Store: embedded http:\/\/127\.0\.0\.1:\d+, 0 workflows, [\d.]+ [KM]?B on disk/)
    expect(text).toContain(`Data folder: ${join(work, 'store')}`)
    expect(text).toMatch(/Certificate: .*CN=Ada Operator.* \(pem\), valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, expires in 40 days/)
    expect(text).toContain('Last update: never')
    const admin = JSON.parse(await readFile(join(work, 'store', 'admin.json'), 'utf8')) as Record<string, string>
    for (const secret of [PASSPHRASE, 'PRIVATE KEY', keyPem.split('\n')[3]!, ...Object.values(admin).filter((v) => typeof v === 'string' && v.length > 12)]) {
      expect(text).not.toContain(secret)
    }
  })

  it('says when the certificate has expired or cannot be used', () => {
    const base = { mode: 'live' as const, store: { url: 'http://127.0.0.1:5984', embedded: false, workflows: 3 }, failed: [], schedule: { everyMinutes: 30 } }
    const versions = runtimeVersions('0.1.0')
    const now = Date.parse('2026-06-01T00:00:00Z')
    const expired = diagnosticsText({ versions, dataFolder: '/d', now, status: { ...base, credentials: { kind: 'pem', subject: 'CN=Old', notAfter: Date.parse('2026-05-30T00:00:00Z') / 1000 } } })
    expect(expired).toContain('valid until 2026-05-30T00:00:00Z, EXPIRED 2 days ago')
    expect(expired).toContain('Scheduled update: every 30 minutes')
    const broken = diagnosticsText({ versions, dataFolder: '/d', now, status: { ...base, credentials: { error: 'the key does not match the certificate' } } })
    expect(broken).toContain('Certificate: not usable: the key does not match the certificate')
    expect(diagnosticsText({ versions, dataFolder: '/d', now, status: base })).toContain('Certificate: none configured')
  })

  it('drops user and password from store URLs', () => {
    expect(redactUrl('https://admin:s3cret@couch.cern.ch:6984/')).toBe('https://couch.cern.ch:6984')
    expect(redactUrl('not a url')).toBe('(not a URL)')
    const text = diagnosticsText({
      versions: runtimeVersions('0.1.0'), dataFolder: '/d',
      status: { mode: 'live', store: { url: 'http://admin:s3cret@localhost:5984', embedded: false, workflows: 1 }, failed: [], schedule: { everyMinutes: 0 } }
    })
    expect(text).not.toContain('s3cret')
    expect(text).toContain('Store: CouchDB http://localhost:5984, 1 workflows')
  })

  it('About lists the versions', () => {
    expect(aboutText(runtimeVersions('0.1.0', { ...process.versions, electron: '45.5.0' }, 'darwin arm64'))).toMatch(/^Stats2 0\.1\.0\nElectron 45\.5\.0\nNode\.js .*\nV8 .*\nOS darwin arm64\n/)
  })
})
