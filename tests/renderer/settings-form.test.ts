import { describe, expect, it } from 'vitest'
import type { SettingsView } from '../../src/shared/ipc-contract'
import { settingsPatchSchema } from '../../src/shared/ipc-contract'
import { fieldErrorsFromMessage, formFromView, lockedFields, patchFromForm } from '../../src/renderer/src/lib/settings-form'

const view: SettingsView = {
  credentials: { kind: 'pem', certPath: '/c.pem', keyPath: '/k.pem' },
  database: { kind: 'embedded' },
  cmsweb: { url: 'https://cmsweb.cern.ch', dbsUrl: 'https://cmsweb-prod.cern.ch:8443' },
  concurrency: 8,
  notifications: { prod: false, dev: true },
  scheduleMinutes: 0,
  passphraseStored: true,
  databasePasswordStored: false,
  replicaPasswordStored: false,
  secureStorage: true,
  fromEnvironment: []
}

describe('settings form', () => {
  it('turns the stored view back into a patch the contract accepts, without secrets', () => {
    const { patch, errors } = patchFromForm(formFromView(view))
    expect(errors).toEqual({})
    expect(settingsPatchSchema.safeParse(patch).success).toBe(true)
    expect(patch.credentials).toEqual({ kind: 'pem', certPath: '/c.pem', keyPath: '/k.pem' })
    expect(patch.passphrase).toBeUndefined()
    expect(patch.notifications).toEqual({ prod: false, dev: true })
  })

  it('sends a typed passphrase with "remember", or "" to forget', () => {
    const form = { ...formFromView(view), passphrase: 'pw', rememberPassphrase: false }
    expect(patchFromForm(form).patch).toMatchObject({ passphrase: 'pw', rememberPassphrase: false })
    expect(patchFromForm({ ...form, forgetPassphrase: true }).patch.passphrase).toBe('')
  })

  it('finds missing paths and bad numbers before sending', () => {
    const form = { ...formFromView(view), certPath: ' ', concurrency: 'lots', scheduleMinutes: '-1' }
    const { errors } = patchFromForm(form)
    expect(Object.keys(errors).sort()).toEqual(['certPath', 'concurrency', 'scheduleMinutes'])
  })

  it('maps "path: message" errors of the main process to fields', () => {
    const parsed = fieldErrorsFromMessage('database.url: an http(s) URL is needed; concurrency: Too big; something else broke')
    expect(parsed.fields).toEqual({ databaseUrl: 'an http(s) URL is needed', concurrency: 'Too big' })
    expect(parsed.general).toEqual(['something else broke'])
  })

  it('locks what the environment sets and leaves it out of the patch', () => {
    const locked = lockedFields(['USERCRT', 'DB_URL', 'concurrency'])
    expect(locked.get('certPath')).toBe('USERCRT')
    expect(locked.get('databaseUrl')).toBe('DB_URL')
    expect(locked.get('concurrency')).toBe('concurrency')
    const { patch, errors } = patchFromForm({ ...formFromView(view), certPath: '' }, new Set(locked.keys()))
    expect(errors).toEqual({})
    expect(patch.credentials).toBeUndefined()
    expect(patch.database).toBeUndefined()
    expect(patch.concurrency).toBeUndefined()
  })

  it('the source: a replica\'s URL, user and password (sent once, "" forgets it), checked before sending, locked by STATS2_REPLICA_*', () => {
    const form = { ...formFromView(view), sourceKind: 'replica' as const, sourceUrl: ' https://couch.example.cern.ch:6984 ', sourceUser: 'reader', sourcePassword: 'pw' }
    const { patch, errors } = patchFromForm(form)
    expect(errors).toEqual({})
    expect(patch.source).toEqual({ kind: 'replica', url: 'https://couch.example.cern.ch:6984', user: 'reader' })
    expect(patch.replicaPassword).toBe('pw')
    expect(settingsPatchSchema.safeParse(patch).success).toBe(true)
    expect(patchFromForm({ ...form, sourcePassword: '', forgetSourcePassword: true }).patch.replicaPassword).toBe('')
    expect(patchFromForm({ ...form, sourceUrl: '' }).errors.sourceUrl).toMatch(/URL is needed/)
    expect(patchFromForm({ ...form, sourceUrl: 'couch.example.cern.ch' }).errors.sourceUrl).toMatch(/http\(s\) URL/)
    // Back to cmsweb: the password stays where it is unless asked to forget it.
    expect(patchFromForm({ ...form, sourceKind: 'cmsweb' }).patch).toMatchObject({ source: { kind: 'cmsweb' } })
    expect(patchFromForm({ ...form, sourceKind: 'cmsweb' }).patch.replicaPassword).toBeUndefined()
    expect(fieldErrorsFromMessage('source.url: the shared Stats2 CouchDB server\'s URL is needed').fields.sourceUrl).toMatch(/needed/)
    const locked = lockedFields(['STATS2_REPLICA_SOURCE', 'STATS2_REPLICA_AUTH_HEADER'])
    expect([...locked.keys()].sort()).toEqual(['forgetSourcePassword', 'sourceKind', 'sourcePassword', 'sourceUrl', 'sourceUser'])
    const fixed = patchFromForm(form, new Set(locked.keys()))
    expect(fixed.patch.source).toBeUndefined()
    expect(fixed.patch.replicaPassword).toBeUndefined()
  })
})
