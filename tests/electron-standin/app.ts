/**
 * `app` of the Electron stand-in: the name, version and paths Electron derives from the app's
 * package.json (userData is `<appData>/<productName or name>`, fixed at start as Electron's
 * init does, whatever app.setName says later), the ready lifecycle, the single-instance lock,
 * login items (recorded), and quitting as Electron documents it:
 *
 * - quit(): `before-quit` (preventable), then every window is closed (`close` preventable), then
 *   `will-quit` (preventable), `quit`, and the process exits with 0;
 * - exit(code): windows are destroyed without `close`, no quit events, the process exits.
 *
 * Exiting closes the Chromium (its windows and processes) and releases the lock first.
 */
import { EventEmitter } from 'node:events'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { BrowserWindow, StandinEvent } from './browser-window'
import { records } from './records'
import { SingleInstanceLock } from './single-instance'

export interface LoginItemSettings {
  openAtLogin?: boolean
  openAsHidden?: boolean
  path?: string
  args?: string[]
}

class CommandLine {
  private readonly switches = new Map<string, string>()

  constructor(argv: () => string[]) {
    for (const arg of argv()) {
      const match = /^--([^=]+)(?:=(.*))?$/.exec(arg)
      if (match) this.switches.set(match[1]!, match[2] ?? '')
    }
  }

  appendSwitch(name: string, value = ''): void {
    this.switches.set(name, value)
  }

  appendArgument(): void {}

  hasSwitch(name: string): boolean {
    return this.switches.has(name)
  }

  getSwitchValue(name: string): string {
    return this.switches.get(name) ?? ''
  }

  removeSwitch(name: string): void {
    this.switches.delete(name)
  }
}

export class App extends EventEmitter {
  name = 'Electron'
  private version = '0.0.0'
  private appPath = process.cwd()
  private readonly paths = new Map<string, string>()
  readonly isPackaged = false
  commandLine = new CommandLine(() => process.argv)
  private ready = false
  private readonly readyPromise: Promise<void>
  private resolveReady: () => void = () => undefined
  private quitting = false
  private exiting = false
  private loginItems: LoginItemSettings = { openAtLogin: false }
  private lock: SingleInstanceLock | undefined
  /** Closes what the stand-in started (its Chromium); set at start. */
  shutdown: () => Promise<void> = async () => undefined

  constructor() {
    super()
    this.readyPromise = new Promise((resolve) => (this.resolveReady = resolve))
  }

  /** What Electron's init reads from the app's package.json. */
  configure(appPath: string, pkg: { name?: string; productName?: string; version?: string }): void {
    this.appPath = appPath
    this.name = pkg.productName ?? pkg.name ?? 'Electron'
    this.version = pkg.version ?? '0.0.0'
    this.commandLine = new CommandLine(() => process.argv)
    this.paths.set('userData', join(this.getPath('appData'), this.name))
  }

  // ---- names and paths ---------------------------------------------------------------------------

  getName(): string {
    return this.name
  }

  setName(name: string): void {
    this.name = name
  }

  getVersion(): string {
    return this.version
  }

  getAppPath(): string {
    return this.appPath
  }

  getPath(name: string): string {
    const set = this.paths.get(name)
    if (set) return set
    const home = homedir()
    switch (name) {
      case 'home': return home
      case 'appData': return process.env.XDG_CONFIG_HOME?.startsWith('/') ? process.env.XDG_CONFIG_HOME : join(home, '.config')
      case 'userData': case 'sessionData': return join(this.getPath('appData'), this.name)
      case 'temp': return tmpdir()
      case 'exe': return process.argv[0] ?? process.execPath
      case 'logs': return join(this.getPath('userData'), 'logs')
      case 'crashDumps': return join(this.getPath('userData'), 'Crashpad')
      case 'desktop': return join(home, 'Desktop')
      case 'documents': return join(home, 'Documents')
      case 'downloads': return join(home, 'Downloads')
      default: throw new Error(`Failed to get '${name}' path`)
    }
  }

  setPath(name: string, path: string): void {
    this.paths.set(name, path)
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  isReady(): boolean {
    return this.ready
  }

  whenReady(): Promise<void> {
    return this.readyPromise
  }

  markReady(): void {
    this.ready = true
    this.resolveReady()
    this.emit('ready', new StandinEvent(), {})
  }

  /** True once quit() has gone past before-quit, or exit() was called. */
  get isQuitting(): boolean {
    return this.quitting || this.exiting
  }

  quit(): void {
    if (this.exiting || this.quitting) return
    const before = new StandinEvent()
    this.emit('before-quit', before)
    if (before.defaultPrevented) return
    this.quitting = true
    for (const window of BrowserWindow.getAllWindows()) {
      window.close()
      if (!window.isDestroyed()) {
        this.quitting = false
        return
      }
    }
    const will = new StandinEvent()
    this.emit('will-quit', will)
    if (will.defaultPrevented) {
      this.quitting = false
      return
    }
    this.emit('quit', new StandinEvent(), 0)
    this.exit(0)
  }

  exit(code = 0): void {
    if (this.exiting) return
    this.exiting = true
    for (const window of BrowserWindow.getAllWindows()) window.destroy()
    void (async () => {
      await this.lock?.pending
      this.lock?.release()
      await this.shutdown().catch(() => undefined)
      process.exit(code)
    })()
  }

  focus(): void {
    BrowserWindow.getAllWindows()[0]?.focus()
  }

  // ---- single instance, login items ----------------------------------------------------------------

  requestSingleInstanceLock(additionalData?: unknown): boolean {
    this.lock ??= new SingleInstanceLock(this.getPath('userData'), (second) => {
      records.secondInstances.push(second.argv)
      const deliver = (): void => void this.emit('second-instance', new StandinEvent(), second.argv, second.workingDirectory, second.additionalData)
      if (this.ready) deliver()
      else void this.readyPromise.then(deliver)
    })
    return this.lock.request(additionalData ?? {})
  }

  hasSingleInstanceLock(): boolean {
    return this.lock?.held ?? false
  }

  releaseSingleInstanceLock(): void {
    this.lock?.release()
  }

  setLoginItemSettings(settings: LoginItemSettings): void {
    this.loginItems = { ...this.loginItems, ...settings }
    records.loginItems.push({ openAtLogin: settings.openAtLogin })
  }

  getLoginItemSettings(): LoginItemSettings {
    return { ...this.loginItems }
  }
}

export const app = new App()
