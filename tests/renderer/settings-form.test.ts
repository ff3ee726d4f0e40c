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
})
