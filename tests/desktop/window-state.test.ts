/** The remembered window: validation of the saved file and placement on the displays there are now. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_WINDOW, WindowStateFile, parseWindowState, restoreWindow, type Rect } from '../../src/main/desktop/window-state'

const LAPTOP: Rect = { x: 0, y: 0, width: 1920, height: 1050 }
const RIGHT: Rect = { x: 1920, y: 0, width: 2560, height: 1400 }
const state = (bounds: Rect, maximized = false): { bounds: Rect; maximized: boolean } => ({ bounds, maximized })

describe('restoreWindow', () => {
  it('opens a first window at the default size, centred (no position)', () => {
    expect(restoreWindow(undefined, [LAPTOP])).toEqual({ ...DEFAULT_WINDOW, maximized: false })
  })

  it('keeps a saved window that is on a display as it was', () => {
    expect(restoreWindow(state({ x: 2000, y: 100, width: 1600, height: 1000 }, true), [LAPTOP, RIGHT])).toEqual({
      x: 2000, y: 100, width: 1600, height: 1000, maximized: true
    })
  })

  it('centres a window saved on a monitor that is gone, keeping its size when it fits', () => {
    expect(restoreWindow(state({ x: 2000, y: 100, width: 1600, height: 1000 }), [LAPTOP])).toEqual({ width: 1600, height: 1000, maximized: false })
  })

  it('centres a window whose title bar is off-screen (above the top, or only a sliver showing)', () => {
    expect(restoreWindow(state({ x: 100, y: -500, width: 1200, height: 800 }), [LAPTOP])).not.toHaveProperty('x')
    expect(restoreWindow(state({ x: 1900, y: 100, width: 1200, height: 800 }), [LAPTOP])).not.toHaveProperty('x')
  })

  it('shrinks a window larger than its display and pulls an overhanging one inside', () => {
    expect(restoreWindow(state({ x: 1500, y: 40, width: 3000, height: 2000 }), [LAPTOP])).toEqual({ x: 0, y: 0, width: 1920, height: 1050, maximized: false })
    expect(restoreWindow(state({ x: 1200, y: 500, width: 1100, height: 700 }), [LAPTOP])).toEqual({ x: 820, y: 350, width: 1100, height: 700, maximized: false })
  })

  it('never goes below the minimum size', () => {
    expect(restoreWindow(state({ x: 10, y: 10, width: 200, height: 100 }), [LAPTOP])).toMatchObject({ width: 1024, height: 640 })
  })
})

describe('the saved file', () => {
  it('refuses damaged contents', () => {
    expect(parseWindowState(null)).toBeUndefined()
    expect(parseWindowState({ bounds: { x: 0, y: 0, width: '800', height: 600 } })).toBeUndefined()
    expect(parseWindowState({ bounds: { x: 0, y: 0, width: -1, height: 600 } })).toBeUndefined()
    expect(parseWindowState({ bounds: { x: 0, y: Number.NaN, width: 800, height: 600 } })).toBeUndefined()
    expect(parseWindowState({ bounds: { x: 1.4, y: 2, width: 800, height: 600 }, maximized: 'yes' })).toEqual({ bounds: { x: 1, y: 2, width: 800, height: 600 }, maximized: false })
  })

  it('round-trips through the file and reads a broken file as nothing saved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stats2-window-'))
    try {
      const file = new WindowStateFile(dir)
      expect(await file.load()).toBeUndefined()
      await file.save(state({ x: 5, y: 6, width: 1300, height: 700 }, true))
      expect(await file.load()).toEqual(state({ x: 5, y: 6, width: 1300, height: 700 }, true))
      expect(JSON.parse(await readFile(join(dir, 'window-state.json'), 'utf8'))).toMatchObject({ maximized: true })
      await writeFile(join(dir, 'window-state.json'), '{"bounds": ')
      expect(await file.load()).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('trackWindowState', () => {
  it('saves once after moving stops, at once on close, and not while minimized or full screen', async () => {
    const { EventEmitter } = await import('node:events')
    const { trackWindowState } = await import('../../src/main/desktop/window-state')
    const emitter = new EventEmitter()
    const window = Object.assign(emitter, {
      bounds: { x: 10, y: 20, width: 1200, height: 800 }, maximized: false, minimized: false, fullScreen: false,
      getNormalBounds() { return { ...this.bounds } },
      isMaximized() { return this.maximized },
      isMinimized() { return this.minimized },
      isFullScreen() { return this.fullScreen }
    })
    const saved: unknown[] = []
    trackWindowState(window, (state) => saved.push(state), 20)
    window.emit('move')
    window.bounds = { x: 30, y: 40, width: 1200, height: 800 }
    window.emit('move')
    window.emit('resize')
    expect(saved).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(saved).toEqual([{ bounds: { x: 30, y: 40, width: 1200, height: 800 }, maximized: false }])
    window.maximized = true
    window.emit('maximize')
    window.emit('close')
    expect(saved).toHaveLength(2)
    expect(saved[1]).toEqual({ bounds: { x: 30, y: 40, width: 1200, height: 800 }, maximized: true })
    window.fullScreen = true
    window.emit('close')
    window.fullScreen = false
    window.minimized = true
    window.emit('close')
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(saved).toHaveLength(2)
  })

  it('saves a move still waiting for its delay when asked to (quitting), and nothing when none waits', async () => {
    const { EventEmitter } = await import('node:events')
    const { trackWindowState } = await import('../../src/main/desktop/window-state')
    const window = Object.assign(new EventEmitter(), {
      bounds: { x: 10, y: 20, width: 1200, height: 800 },
      getNormalBounds() { return { ...this.bounds } },
      isMaximized: () => false,
      isMinimized: () => false,
      isFullScreen: () => false
    })
    const saved: unknown[] = []
    const flush = trackWindowState(window, (state) => saved.push(state), 60_000)
    flush()
    expect(saved).toEqual([])
    window.bounds = { x: 40, y: 50, width: 1100, height: 700 }
    window.emit('move')
    flush()
    expect(saved).toEqual([{ bounds: { x: 40, y: 50, width: 1100, height: 700 }, maximized: false }])
    flush()
    expect(saved).toHaveLength(1)
  })
})
