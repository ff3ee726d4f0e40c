/**
 * app.requestSingleInstanceLock() across stand-in processes, the way Chromium's process singleton
 * does it for Electron: a lock in the userData folder (a symbolic link naming `host-pid`, created
 * atomically; a lock whose process is gone is taken over) and a Unix socket the holder listens on.
 * A later start finds the lock held, sends its argv, working directory and additional data over
 * the socket and gets `false`; the holder emits `second-instance` with them. The socket lives in a
 * short temporary folder (socket paths are limited to about 100 bytes); the userData folder holds a
 * link to it. The names differ from Chromium's own (SingletonLock…), which the stand-in's Chromium
 * uses in the same folder.
 */
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'

const LOCK = 'ElectronStandinLock'
const SOCKET_LINK = 'ElectronStandinSocket'

export interface SecondInstance {
  argv: string[]
  workingDirectory: string
  additionalData: unknown
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export class SingleInstanceLock {
  private server: Server | undefined
  private socketDir: string | undefined
  /** A later start's message on its way to the holder; quitting waits for it. */
  pending: Promise<void> = Promise.resolve()

  constructor(private readonly userData: string, private readonly onSecondInstance: (second: SecondInstance) => void) {}

  get held(): boolean {
    return this.server !== undefined
  }

  /** True when this process holds the lock (now or already); false when another one does. */
  request(additionalData: unknown): boolean {
    if (this.server) return true
    mkdirSync(this.userData, { recursive: true })
    const lock = join(this.userData, LOCK)
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        symlinkSync(`${hostname()}-${process.pid}`, lock)
        this.listen()
        return true
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      let owner = ''
      try {
        owner = readlinkSync(lock)
      } catch {
        continue
      }
      const pid = Number(owner.slice(owner.lastIndexOf('-') + 1))
      if (owner.startsWith(`${hostname()}-`) && pid !== process.pid && alive(pid)) {
        this.pending = this.notify(additionalData)
        return false
      }
      // A lock left by a process that is gone: take it over.
      rmSync(lock, { force: true })
    }
    return false
  }

  private listen(): void {
    this.socketDir = mkdtempSync(join(tmpdir(), 'es-'))
    const socket = join(this.socketDir, 's')
    this.server = createServer((connection) => {
      let text = ''
      connection.setEncoding('utf8')
      connection.on('data', (chunk: string) => {
        text += chunk
        if (!text.includes('\n')) return
        try {
          this.onSecondInstance(JSON.parse(text.slice(0, text.indexOf('\n'))) as SecondInstance)
        } finally {
          connection.end('ACK\n')
        }
      })
      connection.on('error', () => undefined)
    })
    // Binding a Unix socket happens inside listen(): a later start can connect as soon as this returns.
    this.server.listen(socket)
    const link = join(this.userData, SOCKET_LINK)
    rmSync(link, { force: true })
    symlinkSync(socket, link)
  }

  private async notify(additionalData: unknown): Promise<void> {
    const message: SecondInstance = { argv: process.argv, workingDirectory: process.cwd(), additionalData }
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const socket = readlinkSync(join(this.userData, SOCKET_LINK))
        await new Promise<void>((resolve, reject) => {
          const connection = createConnection(socket)
          connection.setEncoding('utf8')
          connection.on('connect', () => connection.write(`${JSON.stringify(message)}\n`))
          connection.on('data', (answer: string) => {
            if (answer.startsWith('ACK')) resolve()
          })
          connection.on('error', reject)
          connection.on('close', () => reject(new Error('closed before the acknowledgement')))
        })
        return
      } catch {
        // The holder is starting (no socket yet) or going: try again shortly.
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    process.stderr.write('electron-standin: the instance holding the lock did not answer\n')
  }

  release(): void {
    if (!this.server) return
    this.server.close()
    this.server = undefined
    for (const name of [LOCK, SOCKET_LINK]) {
      try {
        unlinkSync(join(this.userData, name))
      } catch {
        // already gone
      }
    }
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true })
  }
}
