/**
 * A CouchDB URL with `user:password` typed into Settings: the password goes to the secret store
 * (like the passphrase), never into settings.json or anything the renderer receives. The handlers
 * and AppCore are the real ones; the OS cipher behind EncryptedSecretStore (Electron's safeStorage,
 * which cannot run here) is stood in for by a reversible test cipher.
 */
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { EncryptedSecretStore, type SecretCipher } from '../../src/main/desktop/secrets'
import { splitUrlCredentials } from '../../src/main/desktop/database-url-secret'
import { createHandlers, dispatch } from '../../src/main/ipc/handlers'

const PASSWORD = 's3cr@t:pw'
const URL_WITH_SECRET = `http://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:5984/`

/** Stand-in for the OS keyring's encryption: reversible, and not the plain text. */
const cipher: SecretCipher = {
  encrypt: (plain) => Buffer.from(Buffer.from(plain, 'utf8').map((byte) => byte ^ 0x5a)),
  decrypt: (encrypted) => Buffer.from(encrypted.map((byte) => byte ^ 0x5a)).toString('utf8')
}

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stats2-url-secret-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function filesText(): Promise<string> {
  let text = ''
  for (const name of await readdir(dir)) if (name.endsWith('.json')) text += await readFile(join(dir, name), 'utf8')
  return text
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(PASSWORD)
  expect(text).not.toContain(encodeURIComponent(PASSWORD))
  expect(text).not.toContain('s3cr')
}

describe('a CouchDB URL with user:password in Settings', () => {
  it('splits the URL: password and user out, the rest kept', () => {
    expect(splitUrlCredentials(URL_WITH_SECRET)).toEqual({ url: 'http://127.0.0.1:5984/', user: 'admin', password: PASSWORD })
    expect(splitUrlCredentials('https://couch.example/db')).toEqual({ url: 'https://couch.example/db' })
  })

  it('keeps the password in the secret store only; settings.json and the renderer never see it', async () => {
    const secrets = await EncryptedSecretStore.open(dir, cipher)
    const core = await AppCore.create({ userDataDir: dir, env: { HOME: dir }, secrets })
    try {
      const handlers = createHandlers(core, { openExternal: async () => undefined })
      const saved = await dispatch(handlers, 'setSettings', { database: { kind: 'url', url: URL_WITH_SECRET } })
      expect(saved.ok).toBe(true)
      expectNoSecret(JSON.stringify(saved))
      const view = await dispatch(handlers, 'getSettings', {})
      expect(view).toMatchObject({ ok: true, value: { database: { kind: 'url', url: 'http://127.0.0.1:5984/', user: 'admin' }, databasePasswordStored: true } })
      expectNoSecret(JSON.stringify(view))

      const settingsJson = await readFile(join(dir, 'settings.json'), 'utf8')
      expect(JSON.parse(settingsJson).database).toEqual({ kind: 'url', url: 'http://127.0.0.1:5984/', user: 'admin' })
      // Neither settings.json nor the (encrypted) secrets file holds the password as text.
      expectNoSecret(await filesText())

      expect(secrets.get('databasePassword')).toBe(PASSWORD)
      expect(core.liveConfig().db).toMatchObject({
        url: 'http://127.0.0.1:5984',
        authHeader: 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64')
      })
      // After a restart the password comes back from the secret store.
      const reopened = await EncryptedSecretStore.open(dir, cipher)
      expect(reopened.get('databasePassword')).toBe(PASSWORD)
    } finally {
      await core.close()
    }
  })

  it('moves a password already in an older settings.json into the secret store at start', async () => {
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ database: { kind: 'url', url: URL_WITH_SECRET } }))
    const secrets = await EncryptedSecretStore.open(dir, cipher)
    const core = await AppCore.create({ userDataDir: dir, env: { HOME: dir }, secrets })
    try {
      expectNoSecret(await filesText())
      expect(secrets.get('databasePassword')).toBe(PASSWORD)
      const view = await dispatch(createHandlers(core, { openExternal: async () => undefined }), 'getSettings', {})
      expectNoSecret(JSON.stringify(view))
      expect(core.liveConfig().db.authHeader).toBe('Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64'))
    } finally {
      await core.close()
    }
  })
})
