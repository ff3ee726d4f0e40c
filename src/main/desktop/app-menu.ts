/**
 * The application menu as data: Electron's standard Edit/View/Window roles, and Help with About,
 * Open data folder and Copy diagnostics. Plain objects shaped like Electron's menu item options, so
 * the menu is tested without Electron; src/main/index.ts builds it.
 */

export interface MenuSpec {
  label?: string
  role?: string
  type?: 'separator'
  accelerator?: string
  click?: () => void
  submenu?: MenuSpec[]
}

export interface MenuActions {
  about(): void
  openDataFolder(): void
  copyDiagnostics(): void
}

const separator: MenuSpec = { type: 'separator' }

export function applicationMenu(platform: string, actions: MenuActions, options: { devTools: boolean; appName?: string } = { devTools: false }): MenuSpec[] {
  const mac = platform === 'darwin'
  const appName = options.appName ?? 'Stats2'
  const about: MenuSpec = { label: `About ${appName}`, click: actions.about }
  const menu: MenuSpec[] = []
  if (mac) {
    menu.push({
      label: appName,
      submenu: [about, separator, { role: 'services' }, separator, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, separator, { role: 'quit' }]
    })
  }
  menu.push({ label: 'File', submenu: [mac ? { role: 'close' } : { role: 'quit' }] })
  menu.push({
    label: 'Edit',
    submenu: [
      { role: 'undo' }, { role: 'redo' }, separator, { role: 'cut' }, { role: 'copy' }, { role: 'paste' },
      ...(mac ? [{ role: 'pasteAndMatchStyle' }] : []), { role: 'delete' }, separator, { role: 'selectAll' }
    ]
  })
  menu.push({
    label: 'View',
    submenu: [
      { role: 'reload' },
      ...(options.devTools ? [{ role: 'forceReload' }, { role: 'toggleDevTools' }] : []),
      separator, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, separator, { role: 'togglefullscreen' }
    ]
  })
  menu.push({
    label: 'Window',
    submenu: mac ? [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }] : [{ role: 'minimize' }, { role: 'zoom' }, { role: 'close' }]
  })
  menu.push({
    role: 'help',
    label: 'Help',
    submenu: [
      { label: 'Open data folder', click: actions.openDataFolder },
      { label: 'Copy diagnostics', click: actions.copyDiagnostics },
      ...(mac ? [] : [separator, about])
    ]
  })
  return menu
}
