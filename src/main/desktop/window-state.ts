/**
 * The main window's size and position between launches (`<userData>/window-state.json`). What was
 * saved is checked against the displays there are now: a window saved on a monitor that is gone,
 * or larger than any screen, is brought back where it can be seen and grabbed.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface WindowState {
  /** The window's normal (not maximized) bounds. */
  bounds: Rect
  maximized: boolean
}

/** What the window is opened with: a size always, a position only when it is visible. */
export interface RestoredWindow {
  width: number
  height: number
  x?: number
  y?: number
  maximized: boolean
}

export const DEFAULT_WINDOW = { width: 1440, height: 900 }
export const MIN_WINDOW = { width: 1024, height: 640 }
/** How much of the window's top strip (its title bar) must lie on a display to keep the position. */
const GRAB = { width: 120, height: 32 }

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** The saved state if it has the right shape, else undefined (then the defaults apply). */
export function parseWindowState(raw: unknown): WindowState | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const { bounds, maximized } = raw as { bounds?: Partial<Rect>; maximized?: unknown }
  if (!bounds || typeof bounds !== 'object') return undefined
  const { x, y, width, height } = bounds
  if (!isNumber(x) || !isNumber(y) || !isNumber(width) || !isNumber(height) || width <= 0 || height <= 0) return undefined
  return { bounds: { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) }, maximized: maximized === true }
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
  }
}

/**
 * The bounds to open the window with, given the displays' work areas (screen minus task bars).
 * The size is kept within the minimum and the largest work area; the position is kept when the
 * window's title bar lies on one of the displays (and the window is then moved inside that display
 * if it overhangs), else left out so the window opens centred.
 */
export function restoreWindow(saved: WindowState | undefined, workAreas: Rect[]): RestoredWindow {
  const largest = workAreas.reduce((max, area) => ({ width: Math.max(max.width, area.width), height: Math.max(max.height, area.height) }), { width: 0, height: 0 })
  const fit = (wanted: number, minimum: number, available: number): number => Math.max(Math.min(minimum, available || minimum), Math.min(wanted, available || wanted))
  if (!saved) {
    return { width: fit(DEFAULT_WINDOW.width, MIN_WINDOW.width, largest.width), height: fit(DEFAULT_WINDOW.height, MIN_WINDOW.height, largest.height), maximized: false }
  }
  const { bounds } = saved
  const titleBar: Rect = { x: bounds.x, y: bounds.y, width: bounds.width, height: Math.min(GRAB.height, bounds.height) }
  const home = workAreas.find((area) => {
    const shared = overlap(titleBar, area)
    return shared.width >= Math.min(GRAB.width, bounds.width) && shared.height >= Math.min(GRAB.height, bounds.height)
  })
  if (!home) {
    return { width: fit(bounds.width, MIN_WINDOW.width, largest.width), height: fit(bounds.height, MIN_WINDOW.height, largest.height), maximized: saved.maximized }
  }
  const width = fit(bounds.width, MIN_WINDOW.width, home.width)
  const height = fit(bounds.height, MIN_WINDOW.height, home.height)
  const x = Math.min(Math.max(bounds.x, home.x), home.x + home.width - width)
  const y = Math.min(Math.max(bounds.y, home.y), home.y + home.height - height)
  return { width, height, x, y, maximized: saved.maximized }
}

/** Reads and writes the state file; a missing or damaged file reads as nothing saved. */
export class WindowStateFile {
  readonly file: string

  constructor(userDataDir: string) {
    this.file = join(userDataDir, 'window-state.json')
  }

  async load(): Promise<WindowState | undefined> {
    try {
      return parseWindowState(JSON.parse(await readFile(this.file, 'utf8')))
    } catch {
      return undefined
    }
  }

  async save(state: WindowState): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    const temp = `${this.file}.tmp`
    await writeFile(temp, JSON.stringify(state) + '\n')
    await rename(temp, this.file)
  }
}

/** The parts of a BrowserWindow that tracking needs. */
export interface TrackedWindow {
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown
  getNormalBounds(): Rect
  isMaximized(): boolean
  isMinimized(): boolean
  isFullScreen(): boolean
}

/**
 * Saves the window's state after it stops moving or resizing (`delayMs`) and at once when it
 * closes. Minimized and full-screen states are not saved: the next launch opens as before them.
 * Returns a function that saves at once a move or resize still waiting for its delay: quitting
 * (Electron's app.exit) destroys the window without its `close` event.
 */
export function trackWindowState(window: TrackedWindow, save: (state: WindowState) => void, delayMs = 500): () => void {
  let timer: NodeJS.Timeout | undefined
  const snapshot = (): void => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (window.isMinimized() || window.isFullScreen()) return
    save({ bounds: window.getNormalBounds(), maximized: window.isMaximized() })
  }
  const later = (): void => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(snapshot, delayMs)
    timer.unref()
  }
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) window.on(event, later)
  window.on('close', snapshot)
  return () => {
    if (timer) snapshot()
  }
}
