/**
 * Notifications (spec §7) end to end: `stats2 update --trigger-prod --trigger-dev` against the
 * simulator, which also plays Keycloak and the PdmV services and records what they received.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { notifyingEnv, runCli, simulatorEnv } from '../helpers/cli'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { TokenCache } from '../../src/main/notify/keycloak'
import { notificationFor } from '../../src/main/notify/targets'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'

let work: string
let sim: Simulator
let env: Record<string, string>

const cli = (args: string[], extra: Record<string, string> = {}): ReturnType<typeof runCli> => runCli(args, { ...env, ...extra })

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-notify-'))
  sim = await startSimulator({ scenario: generateScenario({ workflows: 40, steps: 2, seed: 11 }), tlsDir: join(work, 'tls'), tokenLifetimeSeconds: 600 })
  env = {
    ...simulatorEnv(sim, work),
    ...notifyingEnv(sim)
  }
})

afterAll(async () => {
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

describe('notifying McM, RelVal and ReReco', () => {
  it('calls the right service for every written workflow, on production and development, with a cached token per audience', async () => {
    sim.resetCounts()
    const update = await cli(['update', '--trigger-prod', '--trigger-dev', '--json'])
    expect(update.code).toBe(0)
    const report = JSON.parse(update.out) as { notifications: { sent: number; failed: number }; warnings: string[] }
    // Complete settings: no "not notifying" warning while sending.
    expect(report.warnings.filter((warning) => warning.includes('notif'))).toEqual([])
    const calls = sim.notifications()
    expect(calls.length).toBe(report.notifications.sent)
    expect(report.notifications.failed).toBe(0)

    const docs = JSON.parse((await cli(['dump'])).out) as WorkflowDoc[]
    const byName = new Map(docs.map((doc) => [doc._id, doc]))
    const services = new Set(calls.map((call) => call.service))
    expect([...services].sort()).toEqual(['mcm', 'relval', 'rereco'])
    for (const call of calls) {
      expect(call.authorization).toMatch(/^Bearer /)
      expect(call.audience).toBe(call.environment === 'prod' ? 'cms-pdmv-prod' : 'cms-pdmv-dev')
      const name = call.service === 'mcm' ? decodeURIComponent(call.path.split('/').pop()!) : undefined
      if (name) {
        expect(notificationFor(byName.get(name)!).service).toBe('mcm')
      } else {
        const prepid = (call.body as { prepid: string }).prepid
        expect(docs.some((doc) => doc.PrepID === prepid && notificationFor(doc).service === call.service)).toBe(true)
      }
    }
    for (const environment of ['prod', 'dev']) {
      const names = new Set(calls.filter((c) => c.environment === environment && c.service === 'mcm').map((c) => c.path))
      expect(names.size).toBeGreaterThan(0)
    }
    // One token per audience for the whole run (cached for 75 % of its lifetime).
    expect(sim.requestCounts()['keycloak.token']).toBe(2)
  })

  it('does not notify without the Keycloak client, and says why', async () => {
    sim.advance()
    const before = sim.notifications().length
    const update = await cli(['update', '--trigger-prod', '--json'], { CALLBACK_CLIENT_SECRET: '' })
    expect(update.code).toBe(0)
    expect(JSON.parse(update.out).warnings.join(' ')).toContain('CALLBACK_CLIENT_SECRET')
    expect(sim.notifications().length).toBe(before)
  })

  it('--trigger-dev alone with complete settings sends to development and warns nothing', async () => {
    const before = sim.notifications().length
    // A fresh store: every workflow is written again, so there is something to notify.
    const update = await cli(['update', '--trigger-dev'], { STATS2_DATA_DIR: join(work, 'store-dev-only') })
    expect(update.code).toBe(0)
    expect(update.out).not.toMatch(/warning: .*notif/)
    const sent = sim.notifications().slice(before)
    expect(sent.length).toBeGreaterThan(0)
    expect(new Set(sent.map((call) => call.environment))).toEqual(new Set(['dev']))
  })

  it('refreshes a token after 75 % of its lifetime, and reports a refusal clearly', async () => {
    let now = 1_000_000
    const cache = new TokenCache({ keycloakUrl: 'https://127.0.0.1:1', clientId: 'a', clientSecret: 'b', now: () => now })
    await expect(cache.token('aud')).rejects.toThrow(/Cannot reach Keycloak/)
    const { Agent } = await import('undici')
    const { readFile } = await import('node:fs/promises')
    const dispatcher = new Agent({ connect: { ca: await readFile(sim.tls.caCert, 'utf8') } })
    const live = new TokenCache({ keycloakUrl: sim.url, clientId: 'a', clientSecret: 'b', dispatcher, now: () => now })
    sim.resetCounts()
    const first = await live.token('aud')
    expect(await live.token('aud')).toBe(first)
    now += 600 * 750 - 1
    await live.token('aud')
    expect(sim.requestCounts()['keycloak.token']).toBe(1)
    now += 2
    await live.token('aud')
    expect(sim.requestCounts()['keycloak.token']).toBe(2)
    const refused = new TokenCache({ keycloakUrl: sim.url, clientId: 'a', clientSecret: '', dispatcher })
    await expect(refused.token('aud')).rejects.toThrow(/CALLBACK_CLIENT_SECRET/)
    await dispatcher.close()
  })
})
