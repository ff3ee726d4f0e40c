/** The application menu (as data; src/main/index.ts hands it to Electron) and the window icon's path. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applicationMenu, type MenuSpec } from '../../src/main/desktop/app-menu'
import { appIconPath } from '../../src/main/desktop/app-icon'
import { REPO_ROOT } from '../helpers/paths'

function actions(): { calls: string[]; about: () => void; openDataFolder: () => void; copyDiagnostics: () => void } {
  const calls: string[] = []
  return { calls, about: () => calls.push('about'), openDataFolder: () => calls.push('open'), copyDiagnostics: () => calls.push('copy') }
}
const roles = (item: MenuSpec | undefined): string[] => (item?.submenu ?? []).map((entry) => entry.role ?? entry.label ?? entry.type ?? '')
const find = (menu: MenuSpec[], label: string): MenuSpec | undefined => menu.find((item) => item.label === label)

describe('application menu', () => {
  it('has the standard Edit, View and Window menus and Help with About, Open data folder, Copy diagnostics', () => {
    const acts = actions()
    const menu = applicationMenu('linux', acts, { devTools: false })
    expect(menu.map((item) => item.label)).toEqual(['File', 'Edit', 'View', 'Window', 'Help'])
    expect(roles(find(menu, 'Edit'))).toEqual(['undo', 'redo', 'separator', 'cut', 'copy', 'paste', 'delete', 'separator', 'selectAll'])
    expect(roles(find(menu, 'View'))).toEqual(['reload', 'separator', 'resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen'])
    expect(roles(find(menu, 'Window'))).toEqual(['minimize', 'zoom', 'close'])
    const help = find(menu, 'Help')!
    expect(help.role).toBe('help')
    expect(roles(help)).toEqual(['Open data folder', 'Copy diagnostics', 'separator', 'About Stats2'])
    for (const item of help.submenu!) item.click?.()
    expect(acts.calls).toEqual(['open', 'copy', 'about'])
  })

  it('offers developer tools only outside the installed app', () => {
    expect(roles(find(applicationMenu('win32', actions(), { devTools: true }), 'View'))).toContain('toggleDevTools')
    expect(JSON.stringify(applicationMenu('win32', actions(), { devTools: false }))).not.toContain('toggleDevTools')
  })

  it('follows macOS conventions: the app menu with About and Quit, Window → front', () => {
    const acts = actions()
    const menu = applicationMenu('darwin', acts, { devTools: false })
    expect(menu.map((item) => item.label)).toEqual(['Stats2', 'File', 'Edit', 'View', 'Window', 'Help'])
    const appMenu = menu[0]!
    expect(roles(appMenu)).toEqual(['About Stats2', 'separator', 'services', 'separator', 'hide', 'hideOthers', 'unhide', 'separator', 'quit'])
    appMenu.submenu![0]!.click!()
    expect(acts.calls).toEqual(['about'])
    expect(roles(find(menu, 'Window'))).toContain('front')
    expect(roles(find(menu, 'Help'))).toEqual(['Open data folder', 'Copy diagnostics'])
  })
})

describe('window icon', () => {
  it('is the project\'s resources/icon.png when running from a checkout (main in out/main)', () => {
    const icon = appIconPath({ packaged: false, resourcesPath: '/unused', mainDir: join(REPO_ROOT, 'out', 'main') })
    expect(icon).toBe(join(REPO_ROOT, 'resources', 'icon.png'))
    expect(existsSync(icon)).toBe(true)
  })
})
