/**
 * Start at login: the Linux autostart entry on a real folder, the setting through the real AppCore
 * (the OS registration is the hook the Electron shell passes in; here it records the calls), and
 * the settings form offering it only where it is available.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/desktop/app-core'
import { MemorySecretStore } from '../../src/main/desktop/secrets'
import { autostartEntry, autostartFile, loginCommand, quoteExecArgument, setLinuxAutostart } from '../../src/main/desktop/login-item'
import { createHandlers } from '../../src/main/ipc/handlers'
import { formFromView, patchFromForm } from '../../src/renderer/src/lib/settings-form'

let work: string
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-login-'))
})
afterEach(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('Linux autostart entry', () => {
  it('lives in the XDG config folder', () => {
    expect(autostartFile({ XDG_CONFIG_HOME: '/x/config' }, '/home/ada')).toBe('/x/config/autostart/stats2.desktop')
    expect(autostartFile({}, '/home/ada')).toBe('/home/ada/.config/autostart/stats2.desktop')
    expect(autostartFile({ XDG_CONFIG_HOME: 'relative' }, '/home/ada')).toBe('/home/ada/.config/autostart/stats2.desktop')
  })

  it('starts the AppImage file itself when run from one, else the executable', () => {
    expect(loginCommand('/tmp/.mount_Stats2x/stats2-desktop', { APPIMAGE: '/home/ada/Apps/Stats2-0.1.0-x86_64.AppImage' })).toEqual(['/home/ada/Apps/Stats2-0.1.0-x86_64.AppImage'])
    expect(loginCommand('/opt/Stats2/stats2-desktop', {})).toEqual(['/opt/Stats2/stats2-desktop'])
  })

  it('quotes the command as the desktop entry spec wants', () => {
    expect(quoteExecArgument('/opt/Stats2/stats2-desktop')).toBe('/opt/Stats2/stats2-desktop')
    expect(quoteExecArgument('/home/ada/My Apps/$x"y.AppImage')).toBe('"/home/ada/My Apps/\\$x\\"y.AppImage"')
    expect(autostartEntry(['/opt/Stats2/stats2-desktop'])).toContain('\nExec=/opt/Stats2/stats2-desktop\n')
  })

  it('writes the entry and removes it again, but never an entry it did not write', async () => {
    const file = join(work, 'autostart', 'stats2.desktop')
    await setLinuxAutostart(true, file, ['/opt/Stats2/stats2-desktop'])
    expect(await readFile(file, 'utf8')).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Stats2\n/)
    await setLinuxAutostart(false, file, [])
    expect(existsSync(file)).toBe(false)
    await setLinuxAutostart(false, file, [])
    await writeFile(file, '[Desktop Entry]\nName=Mine\n')
    await setLinuxAutostart(false, file, [])
    expect(await readFile(file, 'utf8')).toBe('[Desktop Entry]\nName=Mine\n')
  })
})

describe('the start-at-login setting', () => {
  it('registers through the desktop hook, saves the choice, and shows it in the form', async () => {
    const calls: boolean[] = []
    const core = await AppCore.create({
      userDataDir: join(work, 'user-data'), env: { HOME: work }, secrets: new MemorySecretStore(),
      startAtLogin: async (enabled) => void calls.push(enabled)
    })
    try {
      const handlers = createHandlers(core, { openExternal: async () => undefined })
      const view = await handlers.getSettings({})
      expect(view).toMatchObject({ startAtLogin: false, startAtLoginAvailable: true })
      const form = formFromView(view)
      expect(form.startAtLogin).toBe(false)
      const { patch, errors } = patchFromForm({ ...form, startAtLogin: true })
      expect(errors).toEqual({})
      expect(patch.startAtLogin).toBe(true)
      expect(await handlers.setSettings(patch)).toMatchObject({ startAtLogin: true })
      expect(calls).toEqual([true])
      // Saving other settings does not register again.
      await handlers.setSettings({ scheduleMinutes: 15 })
      expect(calls).toEqual([true])
      expect(JSON.parse(await readFile(join(work, 'user-data', 'settings.json'), 'utf8'))).toMatchObject({ startAtLogin: true })
    } finally {
      await core.close()
    }
  })

  it('keeps the old choice when the OS refuses', async () => {
    const core = await AppCore.create({
      userDataDir: join(work, 'user-data'), env: { HOME: work }, secrets: new MemorySecretStore(),
      startAtLogin: async () => {
        throw new Error('EACCES: permission denied, open autostart/stats2.desktop')
      }
    })
    try {
      await expect(core.setSettings({ startAtLogin: true })).rejects.toThrow('EACCES')
      expect(core.settingsView().startAtLogin).toBe(false)
    } finally {
      await core.close()
    }
  })

  it('is not offered in browser mode, and refused there with a field error', async () => {
    const core = await AppCore.create({ userDataDir: join(work, 'user-data'), env: { HOME: work }, secrets: new MemorySecretStore() })
    try {
      const view = core.settingsView()
      expect(view.startAtLoginAvailable).toBe(false)
      const form = formFromView(view)
      expect(form.startAtLogin).toBeUndefined()
      expect(patchFromForm(form).patch).not.toHaveProperty('startAtLogin')
      await expect(core.setSettings({ startAtLogin: true })).rejects.toThrow('startAtLogin: only the installed desktop app can start at login')
    } finally {
      await core.close()
    }
  })
})
