/**
 * Keycloak client-credentials tokens for the PdmV services, one per audience, cached for 75 % of
 * their lifetime as the old Stats2 did (CALLBACK_CLIENT_ID / CALLBACK_CLIENT_SECRET).
 */
import { request, type Dispatcher } from 'undici'

export class TokenError extends Error {
  override name = 'TokenError'
}

interface CachedToken {
  token: string
  expiresAt: number
}

export class TokenCache {
  private readonly cache = new Map<string, CachedToken>()
  private readonly inFlight = new Map<string, Promise<string>>()

  constructor(
    private readonly options: {
      keycloakUrl: string
      clientId?: string
      clientSecret?: string
      dispatcher?: Dispatcher
      now?: () => number
    }
  ) {}

  private now(): number {
    return this.options.now ? this.options.now() : Date.now()
  }

  async token(audience: string): Promise<string> {
    const cached = this.cache.get(audience)
    if (cached && cached.expiresAt > this.now()) return cached.token
    const pending = this.inFlight.get(audience)
    if (pending) return pending
    const fetching = this.fetchToken(audience).finally(() => this.inFlight.delete(audience))
    this.inFlight.set(audience, fetching)
    return fetching
  }

  private async fetchToken(audience: string): Promise<string> {
    const { clientId, clientSecret, keycloakUrl } = this.options
    if (!clientId || !clientSecret) {
      throw new TokenError('Notifications need CALLBACK_CLIENT_ID and CALLBACK_CLIENT_SECRET')
    }
    const url = `${keycloakUrl}/auth/realms/cern/api-access/token`
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience })
    let answer: Dispatcher.ResponseData
    try {
      answer = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        dispatcher: this.options.dispatcher,
        headersTimeout: 30_000,
        bodyTimeout: 30_000
      })
    } catch (error) {
      throw new TokenError(`Cannot reach Keycloak at ${url}: ${(error as Error).message}`)
    }
    const text = await answer.body.text()
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      // reported below with the status
    }
    if (answer.statusCode !== 200 || typeof body.access_token !== 'string') {
      const reason = [body.error, body.error_description].filter(Boolean).join(': ') || text.slice(0, 200)
      throw new TokenError(`Keycloak refused a token for audience ${audience} (${answer.statusCode}): ${reason}`)
    }
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 300
    this.cache.set(audience, { token: body.access_token, expiresAt: this.now() + lifetime * 750 })
    return body.access_token
  }
}
