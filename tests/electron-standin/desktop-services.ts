/**
 * The Electron stand-in's view of the operator's desktop: nothing here reaches a real desktop.
 * Notifications, message boxes and what shell would open are recorded (records.ts); the clipboard
 * is this process's own; the displays are a fixed set (ELECTRON_STANDIN_DISPLAYS, JSON
 * `[{x,y,width,height}]`, default one 1920×1080 display whose work area leaves a 40 px panel);
 * safeStorage encrypts for real (AES-256-GCM) with a key kept outside userData, standing in for the
 * OS keyring (ELECTRON_STANDIN_SAFE_STORAGE: `gnome_libsecret`, the default, `basic_text` as on a
 * machine without a keyring, or `unavailable`). The byte format is the stand-in's own, not Electron's.
 */
import { EventEmitter } from 'node:events'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Rect } from './chromium-host'
import { records } from './records'

// ---- Notification -------------------------------------------------------------------------------

export interface NotificationOptions {
  title?: string
  subtitle?: string
  body?: string
  silent?: boolean
  icon?: unknown
  urgency?: string
}

/** Shown notifications, for a test to click one (`standin.clickNotification`). */
export const shownNotifications: Notification[] = []

export class Notification extends EventEmitter {
  static isSupported(): boolean {
    return true
  }

  title: string
  subtitle: string
  body: string
  silent: boolean

  constructor(options: NotificationOptions = {}) {
    super()
    this.title = options.title ?? ''
    this.subtitle = options.subtitle ?? ''
    this.body = options.body ?? ''
    this.silent = options.silent ?? false
  }

  show(): void {
    records.notifications.push({ title: this.title, body: this.body })
    shownNotifications.push(this)
    this.emit('show', {})
  }

  close(): void {
    this.emit('close', {})
  }
}

// ---- shell, clipboard, dialog -------------------------------------------------------------------

export const shell = {
  async openExternal(url: string): Promise<void> {
    new URL(url)
    records.openedExternal.push(url)
  },
  /** Resolves with '' when opened, else why not (Electron's contract). */
  async openPath(path: string): Promise<string> {
    if (!existsSync(path)) return 'Failed to open path'
    records.openedPaths.push(path)
    return ''
  },
  showItemInFolder(path: string): void {
    records.openedPaths.push(dirname(path))
  },
  beep(): void {}
}

const clipboardText = { value: '' }
export const clipboard = {
  writeText(text: string): void {
    clipboardText.value = String(text)
  },
  readText(): string {
    return clipboardText.value
  },
  clear(): void {
    clipboardText.value = ''
  },
  availableFormats(): string[] {
    return clipboardText.value ? ['text/plain'] : []
  }
}

interface MessageBoxOptions {
  message: string
  type?: string
  title?: string
  detail?: string
  buttons?: string[]
  defaultId?: number
  checkboxChecked?: boolean
}

function messageBoxArgs(first: unknown, second: unknown): { window?: number; options: MessageBoxOptions } {
  if (second !== undefined) return { window: (first as { id?: number } | null)?.id, options: second as MessageBoxOptions }
  return { options: first as MessageBoxOptions }
}

export const dialog = {
  /** Recorded, and answered with the default button at once (nobody is there to click). */
  async showMessageBox(first: unknown, second?: unknown): Promise<{ response: number; checkboxChecked: boolean }> {
    return { response: dialog.showMessageBoxSync(first, second), checkboxChecked: Boolean(messageBoxArgs(first, second).options.checkboxChecked) }
  },
  showMessageBoxSync(first: unknown, second?: unknown): number {
    const { window, options } = messageBoxArgs(first, second)
    records.dialogs.push({ kind: 'messageBox', title: options.title, message: options.message, detail: options.detail, type: options.type, window })
    return options.defaultId ?? 0
  },
  showErrorBox(title: string, content: string): void {
    records.dialogs.push({ kind: 'errorBox', title, message: content })
  },
  async showOpenDialog(): Promise<{ canceled: boolean; filePaths: string[] }> {
    return { canceled: true, filePaths: [] }
  },
  async showSaveDialog(): Promise<{ canceled: boolean; filePath: string }> {
    return { canceled: true, filePath: '' }
  }
}

// ---- safeStorage --------------------------------------------------------------------------------

const PREFIX = Buffer.from('v11')
let readyForSecrets = false

export function secretsReady(): void {
  readyForSecrets = true
}

function backend(): string {
  return process.env.ELECTRON_STANDIN_SAFE_STORAGE ?? 'gnome_libsecret'
}

/** The "keyring": a key file in the user's data home, outside the app's folder. */
function keyringKey(): Buffer {
  if (backend() === 'basic_text') return Buffer.alloc(32, 'peanuts')
  const dataHome = process.env.XDG_DATA_HOME?.startsWith('/') ? process.env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  const file = join(dataHome, 'electron-standin', 'safe-storage.key')
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' })
  }
  return readFileSync(file)
}

export const safeStorage = {
  isEncryptionAvailable(): boolean {
    return readyForSecrets && backend() !== 'unavailable'
  },
  getSelectedStorageBackend(): string {
    return readyForSecrets ? backend() : 'unknown'
  },
  encryptString(plain: string): Buffer {
    if (!safeStorage.isEncryptionAvailable()) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.')
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', keyringKey(), iv)
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return Buffer.concat([PREFIX, iv, cipher.getAuthTag(), data])
  },
  decryptString(encrypted: Buffer): string {
    try {
      if (!encrypted.subarray(0, PREFIX.length).equals(PREFIX)) throw new Error('unknown format')
      const iv = encrypted.subarray(3, 15)
      const decipher = createDecipheriv('aes-256-gcm', keyringKey(), iv)
      decipher.setAuthTag(encrypted.subarray(15, 31))
      return Buffer.concat([decipher.update(encrypted.subarray(31)), decipher.final()]).toString('utf8')
    } catch {
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')
    }
  }
}

// ---- screen -------------------------------------------------------------------------------------

export interface Display {
  id: number
  label: string
  bounds: Rect
  workArea: Rect
  size: { width: number; height: number }
  workAreaSize: { width: number; height: number }
  scaleFactor: number
  rotation: number
  internal: boolean
  monochrome: boolean
  detected: boolean
}

function configuredDisplays(): Display[] {
  const given = process.env.ELECTRON_STANDIN_DISPLAYS
  const rects = given ? (JSON.parse(given) as Array<Rect & { workArea?: Rect }>) : [{ x: 0, y: 0, width: 1920, height: 1080 }]
  return rects.map((rect, index) => {
    const bounds = { x: rect.x, y: rect.y, width: rect.width, height: rect.height }
    const workArea = rect.workArea ?? { ...bounds, height: bounds.height - 40 }
    return {
      id: index + 1, label: `Stand-in display ${index + 1}`, bounds, workArea,
      size: { width: bounds.width, height: bounds.height }, workAreaSize: { width: workArea.width, height: workArea.height },
      scaleFactor: 1, rotation: 0, internal: false, monochrome: false, detected: true
    }
  })
}

const displays = configuredDisplays()

function overlapArea(a: Rect, b: Rect): number {
  const width = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x))
  const height = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
  return width * height
}

class Screen extends EventEmitter {
  getAllDisplays(): Display[] {
    return structuredClone(displays)
  }

  getPrimaryDisplay(): Display {
    return structuredClone(displays[0]!)
  }

  /** The display the rectangle overlaps most (the primary one when none). */
  getDisplayMatching(rect: Rect): Display {
    let best = displays[0]!
    for (const display of displays) if (overlapArea(rect, display.bounds) > overlapArea(rect, best.bounds)) best = display
    return structuredClone(best)
  }

  getDisplayNearestPoint(point: { x: number; y: number }): Display {
    return this.getDisplayMatching({ ...point, width: 1, height: 1 })
  }

  getCursorScreenPoint(): { x: number; y: number } {
    return { x: 0, y: 0 }
  }
}

export const screen = new Screen()
