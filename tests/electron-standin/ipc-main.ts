/**
 * ipcMain of the Electron stand-in: `handle`d channels answer `ipcRenderer.invoke` from a window's
 * page (through a Playwright binding), `on` listeners receive `ipcRenderer.send`. The event carries
 * the real sender: the window's webContents and the frame the call came from (its URL as Chromium
 * reports it), so the app's own frame check runs as it does in Electron.
 */
import { EventEmitter } from 'node:events'
import type { Frame } from 'playwright-core'
import { logText, records } from './records'

/** The part of a webContents an IPC event names. */
export interface IpcSender {
  readonly id: number
}

export interface StandinFrame {
  readonly url: string
  readonly name: string
  readonly origin: string
  readonly isMainFrame: boolean
}

export interface IpcEvent {
  sender: IpcSender
  senderFrame: StandinFrame | null
  frameId: number
  processId: number
  type: 'frame'
}

/** The answer to an invoke, as the page-side bridge resolves or rejects it. */
export type InvokeAnswer = { ok: true; value: unknown } | { ok: false; error: string }

type Handler = (event: IpcEvent, ...args: unknown[]) => unknown

export function frameOf(frame: Frame): StandinFrame {
  const url = frame.url()
  let origin = 'null'
  try {
    origin = new URL(url).origin
  } catch {
    // about:blank and the like: an opaque origin
  }
  return { url, name: frame.name(), origin, isMainFrame: frame.parentFrame() === null }
}

class IpcMain extends EventEmitter {
  private readonly handlers = new Map<string, Handler>()

  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, listener)
  }

  handleOnce(channel: string, listener: Handler): void {
    this.handle(channel, (event, ...args) => {
      this.removeHandler(channel)
      return listener(event, ...args)
    })
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }

  /** An `ipcRenderer.invoke` from a page: the registered handler's answer, or why there is none. */
  async invokeFromPage(sender: IpcSender, frame: Frame, channel: string, args: unknown[]): Promise<InvokeAnswer> {
    const senderFrame = frameOf(frame)
    const event: IpcEvent = { sender, senderFrame, frameId: 0, processId: 0, type: 'frame' }
    const handler = this.handlers.get(channel)
    let answer: InvokeAnswer
    if (!handler) {
      answer = { ok: false, error: `Error: No handler registered for '${channel}'` }
    } else {
      try {
        answer = { ok: true, value: await handler(event, ...args) }
      } catch (error) {
        answer = { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
      }
    }
    records.ipc.push({ direction: 'invoke', channel, frameUrl: senderFrame.url, toMain: logText(args), toPage: logText(answer) })
    return answer
  }

  /** An `ipcRenderer.send` from a page: emitted to the `on` listeners. */
  sendFromPage(sender: IpcSender, frame: Frame, channel: string, args: unknown[]): void {
    const senderFrame = frameOf(frame)
    records.ipc.push({ direction: 'renderer-send', channel, frameUrl: senderFrame.url, toMain: logText(args) })
    this.emit(channel, { sender, senderFrame, frameId: 0, processId: 0, type: 'frame', returnValue: undefined, reply: () => undefined }, ...args)
  }
}

export const ipcMain = new IpcMain()
