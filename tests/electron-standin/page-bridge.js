/*
 * The page side of the Electron stand-in (tests only; see docs/testing-desktop.md). The
 * stand-in's BrowserWindow installs this, followed by a call with its configuration and the window's
 * preload wrapped in a function, as a Playwright init script: it runs in every frame of the window's
 * page before any of the page's own scripts.
 *
 * In the top frame it runs the preload the way a sandboxed Electron preload runs: `require` knows
 * only 'electron' (contextBridge and ipcRenderer), and what the preload exposes with
 * contextBridge.exposeInMainWorld is copied and frozen onto `window`, functions proxied. ipcRenderer
 * reaches the main process through the Playwright binding named by `config.invoke` (handled there
 * by the real ipcMain.handle handlers); what main sends back, the answers and `webContents.send`
 * messages, arrives in order through the dispatcher named by `config.dispatch`. The bindings are
 * removed from the top frame's global scope once taken, so the page's own scripts see only what the
 * preload exposed.
 *
 * Deviation from Electron: there is no separate isolated world; the preload runs in the page's
 * world inside a function scope (its `require` is not a global). Subframes get no preload but keep
 * the raw binding, standing in for a compromised renderer that sends IPC from a frame that is not
 * the app's: main must refuse it (the app checks event.senderFrame.url).
 */
/* global window, console */
/* eslint-disable-next-line @typescript-eslint/no-unused-expressions */
;(function electronStandinBridge(config, preload) {
  const invokeBinding = window[config.invoke]
  const sendBinding = window[config.send]
  if (window !== window.top) return
  delete window[config.invoke]
  delete window[config.send]

  /** @type {Map<string, Array<{ listener: Function, once: boolean }>>} */
  const listeners = new Map()
  /** Invokes waiting for their answer, by id. */
  const pending = new Map()
  let nextInvoke = 1
  const ipcRenderer = {
    invoke(channel, ...args) {
      const id = nextInvoke++
      return new Promise((resolve, reject) => {
        pending.set(id, { channel: String(channel), resolve, reject })
        invokeBinding(String(channel), args, id).catch((error) => {
          pending.delete(id)
          reject(error)
        })
      })
    },
    send(channel, ...args) {
      void sendBinding(String(channel), args)
    },
    on(channel, listener) {
      const list = listeners.get(channel) ?? []
      list.push({ listener, once: false })
      listeners.set(channel, list)
      return ipcRenderer
    },
    once(channel, listener) {
      const list = listeners.get(channel) ?? []
      list.push({ listener, once: true })
      listeners.set(channel, list)
      return ipcRenderer
    },
    removeListener(channel, listener) {
      const list = listeners.get(channel) ?? []
      const index = list.findIndex((entry) => entry.listener === listener)
      if (index >= 0) list.splice(index, 1)
      return ipcRenderer
    },
    off(channel, listener) {
      return ipcRenderer.removeListener(channel, listener)
    },
    removeAllListeners(channel) {
      if (channel === undefined) listeners.clear()
      else listeners.delete(channel)
      return ipcRenderer
    }
  }

  // What main sends the page, one message at a time and in order, as Electron's IPC keeps it:
  // webContents.send(channel, ...args) as { event }, and the answers to invokes as { reply }.
  Object.defineProperty(window, config.dispatch, {
    value: (message) => {
      if (message.reply !== undefined) {
        const waiting = pending.get(message.reply)
        if (!waiting) return
        pending.delete(message.reply)
        if (message.answer.ok) waiting.resolve(message.answer.value)
        else waiting.reject(new Error(`Error invoking remote method '${waiting.channel}': ${message.answer.error}`))
        return
      }
      const list = listeners.get(message.event)
      if (!list) return
      const event = { sender: ipcRenderer, senderId: 0, ports: [] }
      for (const entry of [...list]) {
        if (entry.once) ipcRenderer.removeListener(message.event, entry.listener)
        entry.listener(event, ...message.args)
      }
    },
    enumerable: false,
    configurable: false,
    writable: false
  })

  /** Electron's contextBridge: values are copied and frozen, functions proxied. */
  const bridged = (value, seen) => {
    if (typeof value === 'function') {
      return (...args) => {
        const result = value(...args.map((arg) => bridged(arg, new Set())))
        return result instanceof Promise ? result.then((resolved) => bridged(resolved, new Set())) : bridged(result, new Set())
      }
    }
    if (value === null || typeof value !== 'object') return value
    if (value instanceof Promise) return value.then((resolved) => bridged(resolved, new Set()))
    if (seen.has(value)) throw new Error('An object could not be cloned: it contains a cycle')
    seen.add(value)
    const copy = Array.isArray(value) ? value.map((item) => bridged(item, seen)) : {}
    if (!Array.isArray(value)) for (const key of Object.keys(value)) copy[key] = bridged(value[key], seen)
    seen.delete(value)
    return Object.freeze(copy)
  }
  const contextBridge = {
    exposeInMainWorld(apiKey, api) {
      if (Object.prototype.hasOwnProperty.call(window, apiKey)) {
        throw new Error('Cannot bind an API on top of an existing property on the window object')
      }
      Object.defineProperty(window, apiKey, { value: bridged(api, new Set()), enumerable: true, configurable: false, writable: false })
    }
  }

  const electron = Object.freeze({ contextBridge, ipcRenderer })
  const require = (id) => {
    if (id === 'electron' || id === 'electron/renderer') return electron
    throw new Error(`module not found: ${id} (a sandboxed preload can require only 'electron' here)`)
  }
  const process = Object.freeze({ platform: config.platform, type: 'renderer', sandboxed: true, contextIsolated: true, versions: Object.freeze({ ...config.versions }), env: {}, argv: [] })
  const module = { exports: {} }
  try {
    preload(require, process, undefined, window, undefined, undefined, module.exports, module)
  } catch (error) {
    // Electron logs a failing preload to the page's console and goes on loading the page.
    console.error(`Unable to load preload script: ${config.preloadPath}\n${error && error.stack ? error.stack : error}`)
  }
})
