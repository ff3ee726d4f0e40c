/** The sync scope from the environment, `stats2 update` flags, the desktop settings and the Settings form. */
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/main/config/config'
import { main } from '../../src/main/cli/main'
import { DEFAULT_SETTINGS, effectiveConfig, environmentOverrides, validatePatch } from '../../src/main/desktop/desktop-settings'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { fieldErrorsFromMessage, formFromView, lockedFields, patchFromForm } from '../../src/renderer/src/lib/settings-form'
import type { SettingsView } from '../../src/shared/ipc-contract'

describe('sync scope configuration', () => {
  it('reads STATS2_SCOPE_* (comma or space separated) and names the variable of a bad value', () => {
    expect(loadConfig({}).scope).toBeUndefined()
    const config = loadConfig({ STATS2_SCOPE_CAMPAIGNS: 'B, A', STATS2_SCOPE_PREPIDS: 'HIG-* EXO-*', STATS2_SCOPE_STATUSES: 'active', STATS2_SCOPE_REQUESTED_FROM: '2025-01-01' })
    expect(config.scope).toEqual({ campaigns: ['A', 'B'], prepIds: ['EXO-*', 'HIG-*'], statuses: ['ACTIVE'], workflows: [], requestedFrom: '2025-01-01' })
    expect(() => loadConfig({ STATS2_SCOPE_STATUSES: 'runing' })).toThrow(ConfigError)
    expect(() => loadConfig({ STATS2_SCOPE_REQUESTED_TO: '2025-13-01' })).toThrow(/STATS2_SCOPE_REQUESTED_TO/)
  })

  it('stats2 update refuses bad scope flags with a usage error naming the flag, before touching anything', async () => {
    let err = ''
    const code = await main(['update', '--status', 'runing'], { out: () => undefined, err: (text) => (err += text), env: {} })
    expect(code).toBe(2)
    expect(err).toMatch(/--status: unknown request status "runing"/)
    err = ''
    expect(await main(['update', '--no-scope', '--campaign', 'A'], { out: () => undefined, err: (text) => (err += text), env: {} })).toBe(2)
    expect(err).toMatch(/--no-scope cannot be combined/)
  })

  it('desktop: the saved scope applies unless the environment sets one; a bad one is refused per field', async () => {
    const settings = { ...DEFAULT_SETTINGS, syncScope: { campaigns: ['C'], prepIds: [], statuses: [], workflows: [] } }
    const base = loadConfig({})
    expect(effectiveConfig(base, settings, new MemorySecretStore(), {}).scope).toEqual(settings.syncScope)
    const fromEnv = loadConfig({ STATS2_SCOPE_WORKFLOWS: 'w1' })
    expect(effectiveConfig(fromEnv, settings, new MemorySecretStore(), { STATS2_SCOPE_WORKFLOWS: 'w1' }).scope?.workflows).toEqual(['w1'])
    expect(environmentOverrides({ STATS2_SCOPE_WORKFLOWS: 'w1' })).toContain('STATS2_SCOPE_WORKFLOWS')
    await expect(validatePatch({ syncScope: { campaigns: [], prepIds: [], statuses: ['nope'], workflows: [], requestedFrom: 'x' } }))
      .rejects.toThrow(/syncScope.statuses: .*; syncScope.requestedFrom: /)
  })

  it('Settings form: round trip, local date check, server issues on the right fields, locked by the environment', () => {
    const view: SettingsView = {
      ...DEFAULT_SETTINGS,
      syncScope: { campaigns: ['A', 'B'], prepIds: ['HIG-*'], statuses: ['ACTIVE'], workflows: ['w1'], requestedFrom: '2025-01-01' },
      passphraseStored: false, databasePasswordStored: false, replicaPasswordStored: false, secureStorage: true, fromEnvironment: []
    }
    const form = formFromView(view)
    expect(form.scopeCampaigns).toBe('A, B')
    expect(patchFromForm(form).patch.syncScope).toEqual(view.syncScope)
    expect(patchFromForm({ ...form, scopeTo: '31/12/2025' }).errors.scopeTo).toMatch(/YYYY-MM-DD/)
    expect(fieldErrorsFromMessage('syncScope.statuses: unknown request status "x"').fields.scopeStatuses).toMatch(/unknown/)
    const locked = lockedFields(['STATS2_SCOPE_CAMPAIGNS'])
    expect(locked.get('scopeWorkflows')).toBe('STATS2_SCOPE_CAMPAIGNS')
    expect(patchFromForm(form, new Set(locked.keys())).patch.syncScope).toBeUndefined()
  })
})
