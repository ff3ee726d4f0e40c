/**
 * Tells McM, RelVal or ReReco that a workflow document changed, on production and/or development
 * (the old Stats2's `--trigger-prod` / `--trigger-dev`). A failed notification is logged and
 * reported; it never fails the update.
 */
import { Agent, request, type Dispatcher } from 'undici'
import type { NotifyConfig } from '../config/config'
import { createLogger } from '../log/logger'
import type { WorkflowDoc } from '../../shared/stats2-doc'
import { TokenCache } from './keycloak'
import { notificationFor } from './targets'

const log = createLogger('notify')

export interface NotifyTargets {
  prod: boolean
  dev: boolean
}

export interface NotificationOutcome {
  workflow: string
  environment: 'prod' | 'dev'
  service: string
  ok: boolean
  error?: string
}

export class Notifier {
  private readonly tokens: TokenCache
  private readonly dispatcher: Dispatcher

  constructor(private readonly config: NotifyConfig, options: { ca?: string[]; connections?: number } = {}) {
    this.dispatcher = new Agent({ connections: options.connections ?? 4, connect: options.ca ? { ca: options.ca } : {} })
    this.tokens = new TokenCache({
      keycloakUrl: config.keycloakUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      dispatcher: this.dispatcher
    })
  }

  /** What is missing for these targets, or undefined when notifications can be sent. */
  missingSettings(targets: NotifyTargets): string | undefined {
    const missing: string[] = []
    if (!this.config.clientId) missing.push('CALLBACK_CLIENT_ID')
    if (!this.config.clientSecret) missing.push('CALLBACK_CLIENT_SECRET')
    if (targets.prod && !this.config.prodAudience) missing.push('APPLICATION_CLIENT_ID')
    if (targets.dev && !this.config.devAudience) missing.push('DEV_APPLICATION_CLIENT_ID')
    return missing.length > 0 ? `notifications need ${missing.join(', ')}` : undefined
  }

  async notify(doc: Pick<WorkflowDoc, '_id' | 'RequestType' | 'PrepID'>, targets: NotifyTargets): Promise<NotificationOutcome[]> {
    const outcomes: NotificationOutcome[] = []
    const environments: Array<['prod' | 'dev', string, string | undefined]> = []
    if (targets.prod) environments.push(['prod', this.config.prodUrl, this.config.prodAudience])
    if (targets.dev) environments.push(['dev', this.config.devUrl, this.config.devAudience])
    const call = notificationFor(doc)
    for (const [environment, base, audience] of environments) {
      const outcome: NotificationOutcome = { workflow: doc._id, environment, service: call.service, ok: false }
      try {
        if (!audience) throw new Error(`no audience set for ${environment}`)
        const token = await this.tokens.token(audience)
        const answer = await request(`${base}${call.path}`, {
          method: call.method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(call.body ? { 'content-type': 'application/json' } : {})
          },
          body: call.body ? JSON.stringify(call.body) : undefined,
          dispatcher: this.dispatcher,
          headersTimeout: 60_000,
          bodyTimeout: 60_000
        })
        const text = await answer.body.text()
        if (answer.statusCode >= 400) throw new Error(`${answer.statusCode}: ${text.slice(0, 200)}`)
        outcome.ok = true
        log.info(`notified ${call.service} (${environment}) about ${doc._id}`)
      } catch (error) {
        outcome.error = (error as Error).message
        log.warn(`could not notify ${call.service} (${environment}) about ${doc._id}: ${outcome.error}`)
      }
      outcomes.push(outcome)
    }
    return outcomes
  }

  async close(): Promise<void> {
    await this.dispatcher.close()
  }
}
