/**
 * Who may trigger an update through the service: a bearer token from the tokens file (compared in
 * constant time), or a user name in a header set by a trusted reverse proxy (believed only from the
 * configured proxy addresses). Everyone else may read, never write.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { ConfigError } from '../config/config'
import type { ServeConfig } from '../config/serve-config'
import { createLogger } from '../log/logger'
import { plainAddress } from '../http/limits'

const log = createLogger('serve/auth')

/** Shorter tokens are guessable; they are ignored with a warning. */
export const MIN_TOKEN_LENGTH = 16

export type AuthDecision =
  | { ok: true; caller: string }
  | { ok: false; status: 401 | 403; message: string }

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

export { plainAddress }

export class Authoriser {
  private tokens: Buffer[] = []
  private tokensMtime = -1
  private readonly proxies: Set<string>

  constructor(private readonly config: Pick<ServeConfig, 'tokensFile' | 'trustedHeader' | 'trustedProxies'>) {
    this.proxies = new Set(config.trustedProxies.map(plainAddress))
    if (config.tokensFile) this.loadTokens(true)
  }

  /** True when some way of authorising is configured (else every update is refused with a hint). */
  get configured(): boolean {
    return this.config.trustedHeader !== undefined || this.config.tokensFile !== undefined
  }

  /**
   * Reads the tokens file when it changed (rotating a token needs no restart). At start a missing or
   * unreadable file is a configuration error; later the last good list is kept.
   */
  private loadTokens(atStart = false): void {
    const path = this.config.tokensFile!
    let mtime: number
    let mode: number
    try {
      const info = statSync(path)
      mtime = info.mtimeMs
      mode = info.mode
    } catch (error) {
      if (atStart) throw new ConfigError(`STATS2_SERVE_TOKENS_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
      log.warn(`tokens file ${path} cannot be read now; keeping the ${this.tokens.length} tokens read before`)
      return
    }
    if (mtime === this.tokensMtime) return
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      if (atStart) throw new ConfigError(`STATS2_SERVE_TOKENS_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
      return
    }
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      log.warn(`tokens file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`)
    }
    const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
    const short = lines.filter((line) => line.length < MIN_TOKEN_LENGTH).length
    if (short > 0) log.warn(`tokens file ${path}: ${short} token(s) shorter than ${MIN_TOKEN_LENGTH} characters ignored`)
    this.tokens = lines.filter((line) => line.length >= MIN_TOKEN_LENGTH).map(digest)
    this.tokensMtime = mtime
    log.info(`${this.tokens.length} update token(s) read from ${path}`)
  }

  private tokenMatches(given: string): boolean {
    const wanted = digest(given)
    let found = false
    // Every token is compared (equal-length digests, constant time each): no early exit to time.
    for (const token of this.tokens) if (timingSafeEqual(token, wanted)) found = true
    return found
  }

  authorise(req: IncomingMessage): AuthDecision {
    const header = this.config.trustedHeader
    const proxied = header === undefined ? undefined : req.headers[header]
    if (proxied !== undefined) {
      const user = Array.isArray(proxied) ? proxied[0] : proxied
      if (!this.proxies.has(plainAddress(req.socket.remoteAddress))) {
        return { ok: false, status: 403, message: `The ${header} header is only accepted from the configured proxies.` }
      }
      if (user && user.trim() !== '') return { ok: true, caller: `${header}=${user.trim().slice(0, 100)}` }
      return { ok: false, status: 403, message: `The ${header} header is empty.` }
    }
    const authorization = req.headers.authorization
    if (authorization === undefined || authorization.trim() === '') {
      return {
        ok: false,
        status: 401,
        message: this.configured
          ? 'Updating needs an authorised caller: send "Authorization: Bearer <token>".'
          : 'Updates through this service are turned off: set STATS2_SERVE_TOKENS_FILE or STATS2_SERVE_TRUSTED_HEADER.'
      }
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (!match) return { ok: false, status: 403, message: 'Only "Authorization: Bearer <token>" is accepted.' }
    if (this.config.tokensFile) this.loadTokens()
    if (this.tokens.length > 0 && this.tokenMatches(match[1]!)) return { ok: true, caller: 'token' }
    return { ok: false, status: 403, message: 'The token is not one of this service\'s update tokens.' }
  }
}
