/**
 * Bounds shared by the two HTTP servers (`stats2 serve` and the `stats2 ui` bridge): who a client is
 * (its address, or the address a trusted proxy forwarded), and gates that let at most N of one kind
 * of answer run per client and per instance. A refused caller gets 429 (its own limit) or 503 (the
 * instance's), both with `Retry-After`, at once: nothing waits in a queue that could grow.
 */
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import { LimitError } from './errors'

/** `::ffff:127.0.0.1` → `127.0.0.1`, so one configured address matches both socket forms. */
export function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1')
}

/**
 * The client a request counts against: the socket's address, or, when that is a trusted proxy, the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy (the left ones are whatever
 * the client wrote).
 */
export function clientOf(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const address = plainAddress(req.socket.remoteAddress)
  if (!trustedProxies.has(address)) return address
  const header = req.headers['x-forwarded-for']
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((hop) => plainAddress(hop.trim()))
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index]!
    if (isIP(hop) !== 0 && !trustedProxies.has(hop)) return hop
  }
  return address
}


export interface GateLimits {
  /** At once over the whole instance (503 beyond). */
  total: number
  /** At once per client (429 beyond). */
  perClient: number
}

/** At most `perClient` at once per client and `total` at once overall; `enter` answers at once. */
export class ConcurrencyGate {
  private readonly byClient = new Map<string, number>()
  private running = 0

  /** `what`: the plural noun of the refusal messages ("requests", "event streams"). */
  constructor(private readonly what: string, private readonly limits: GateLimits, private readonly retryAfterSeconds = 2) {}

  get active(): number {
    return this.running
  }

  /** Takes a slot for `client` or throws LimitError; the returned function frees it (once, however often called). */
  enter(client: string): () => void {
    const mine = this.byClient.get(client) ?? 0
    if (mine >= this.limits.perClient) {
      throw new LimitError(429, `Too many ${this.what} at once from ${client}: at most ${this.limits.perClient}; retry when one has finished.`, this.retryAfterSeconds)
    }
    if (this.running >= this.limits.total) {
      throw new LimitError(503, `The service is answering its maximum of ${this.limits.total} ${this.what}; retry in a moment.`, this.retryAfterSeconds)
    }
    this.running++
    this.byClient.set(client, mine + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.running--
      const left = (this.byClient.get(client) ?? 1) - 1
      if (left > 0) this.byClient.set(client, left)
      else this.byClient.delete(client)
    }
  }
}
