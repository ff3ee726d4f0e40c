/**
 * Menu and MenuItem of the Electron stand-in: built from a template as Electron builds them (role
 * items get Electron's default labels), kept as the application menu, and clickable from a test:
 * `menuItem.click()` calls the template's click with the item and the focused window, or performs
 * the role (quit, close, reload, minimize, zoom, full screen; the edit and zoom roles do nothing
 * here). Nothing is drawn: headless Chromium has no menu bar.
 */
import { BrowserWindow, StandinEvent } from './browser-window'

export interface MenuItemOptions {
  label?: string
  role?: string
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio'
  accelerator?: string
  enabled?: boolean
  visible?: boolean
  checked?: boolean
  id?: string
  click?: (item: MenuItem, window: BrowserWindow | null, event: unknown) => void
  submenu?: MenuItemOptions[] | Menu
}

/** Electron's labels for the roles the app's menu uses (Linux and Windows wording). */
const ROLE_LABELS: Record<string, string> = {
  undo: 'Undo', redo: 'Redo', cut: 'Cut', copy: 'Copy', paste: 'Paste', pasteandmatchstyle: 'Paste and Match Style', delete: 'Delete',
  selectall: 'Select All', reload: 'Reload', forcereload: 'Force Reload', toggledevtools: 'Toggle Developer Tools', resetzoom: 'Actual Size',
  zoomin: 'Zoom In', zoomout: 'Zoom Out', togglefullscreen: 'Toggle Full Screen', minimize: 'Minimize', zoom: 'Zoom', close: 'Close',
  quit: 'Quit', help: 'Help', window: 'Window', editmenu: 'Edit', viewmenu: 'View', windowmenu: 'Window', filemenu: 'File'
}

let quitApp: () => void = () => undefined

export function setMenuQuit(quit: () => void): void {
  quitApp = quit
}

function performRole(role: string, window: BrowserWindow | null): void {
  switch (role.toLowerCase()) {
    case 'quit': return quitApp()
    case 'close': return window?.close()
    case 'reload': case 'forcereload': return window?.webContents.reload()
    case 'minimize': return window?.minimize()
    case 'zoom': return window?.isMaximized() ? window.unmaximize() : window?.maximize()
    case 'togglefullscreen': return window?.setFullScreen(!window.isFullScreen())
    default: return undefined
  }
}

export class MenuItem {
  readonly label: string
  readonly role: string | undefined
  readonly type: string
  readonly accelerator: string | undefined
  readonly id: string | undefined
  enabled: boolean
  visible: boolean
  checked: boolean
  readonly submenu: Menu | undefined
  /** As Electron's: click(event, focusedWindow, focusedWebContents). */
  readonly click: (event?: unknown, focusedWindow?: BrowserWindow | null) => void

  constructor(options: MenuItemOptions) {
    this.role = options.role
    this.label = options.label ?? (options.role ? ROLE_LABELS[options.role.toLowerCase()] ?? '' : '')
    this.submenu = options.submenu instanceof Menu ? options.submenu : options.submenu ? Menu.buildFromTemplate(options.submenu) : undefined
    this.type = options.type ?? (this.submenu ? 'submenu' : 'normal')
    this.accelerator = options.accelerator
    this.id = options.id
    this.enabled = options.enabled ?? true
    this.visible = options.visible ?? true
    this.checked = options.checked ?? false
    this.click = (event, focusedWindow) => {
      const window = focusedWindow ?? BrowserWindow.getFocusedWindow()
      if (options.click) options.click(this, window, event ?? new StandinEvent())
      else if (options.role) performRole(options.role, window)
    }
  }
}

export class Menu {
  private static application: Menu | null = null

  static buildFromTemplate(template: Array<MenuItemOptions | MenuItem>): Menu {
    const menu = new Menu()
    for (const entry of template) menu.append(entry instanceof MenuItem ? entry : new MenuItem(entry))
    return menu
  }

  static setApplicationMenu(menu: Menu | null): void {
    Menu.application = menu
  }

  static getApplicationMenu(): Menu | null {
    return Menu.application
  }

  readonly items: MenuItem[] = []

  append(item: MenuItem): void {
    this.items.push(item)
  }

  insert(position: number, item: MenuItem): void {
    this.items.splice(position, 0, item)
  }

  getMenuItemById(id: string): MenuItem | null {
    for (const item of this.items) {
      if (item.id === id) return item
      const inner = item.submenu?.getMenuItemById(id)
      if (inner) return inner
    }
    return null
  }

  popup(): void {
    // No context menus are drawn headless.
  }
}
