/**
 * The `stats2` command as an operator runs it: the real bin in a child process where it matters
 * (sim's JSON line), the CLI in-process for the rest, against the mTLS simulator and the embedded
 * store. Includes the mTLS failures an operator meets, with their messages.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadScenario, startSimulator, type Simulator } from '../../src/sim'
import { createCertificateAuthority, encryptPrivateKey, issueCertificate } from '../helpers/pki'
import { CONFORMANCE_DIR, REPO_ROOT } from '../helpers/paths'
import { runCli, simulatorEnv } from '../helpers/cli'

const SCENARIO = join(CONFORMANCE_DIR, 'stats2-public')
let work: string
let sim: Simulator
let env: Record<string, string>

const cli = (args: string[], extra: Record<string, string | undefined> = {}): ReturnType<typeof runCli> => runCli(args, { ...env, ...extra })

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-cli-'))
  sim = await startSimulator({ scenario: await loadScenario(SCENARIO), tlsDir: join(work, 'tls') })
  env = { ...simulatorEnv(sim, work), STATS2_RETRIES: '0' }
})

afterAll(async () => {
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

describe('stats2 sim', () => {
  it('prints one JSON line with the URL, CA, client certificate and key, then serves until stopped', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'stats2.cjs'), 'sim', '--scenario', SCENARIO, '--tls-dir', join(work, 'sim-tls')], {
      env: { ...process.env, STATS2_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`sim exited with ${code}`)))
        createInterface({ input: child.stdout! }).once('line', resolve)
      })
      const info = JSON.parse(line) as Record<string, unknown>
      expect(Object.keys(info).sort()).toEqual(['ca', 'cert', 'key', 'step', 'url'])
      expect(info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(info.step).toBe(0)
      expect(await readFile(info.ca as string, 'utf8')).toContain('BEGIN CERTIFICATE')
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    expect(child.exitCode === 0 || child.signalCode === 'SIGTERM').toBe(true)
  })
})

describe('update, see, search, dump', () => {
  it('updates everything, then shows one workflow, searches, and dumps', async () => {
    const update = await cli(['update'])
    expect(update.code).toBe(0)
    expect(update.out).toMatch(/^Update finished in [\d.]+s: 16 changed, 16 written/)

    const see = await cli(['see', 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'])
    expect(see.code).toBe(0)
    expect(JSON.parse(see.out)).toMatchObject({ _id: 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111', TotalEvents: 41234 })

    const search = await cli(['search', 'Run2022C_ReReco_synthetic'])
    expect(search.code).toBe(0)
    expect(search.err).toContain('2 workflows matching campaign "Run2022C_ReReco_synthetic" (page 1 of 1)')
    expect((JSON.parse(search.out) as unknown[]).length).toBe(2)

    const prefix = await cli(['search', 'pdmvserv_Run20'])
    expect(prefix.err).toContain('starting with workflow name')

    const dump = await cli(['dump'])
    expect((JSON.parse(dump.out) as unknown[]).length).toBe(16)
  })

  it('updates only the named workflows', async () => {
    const update = await cli(['update', '--name', 'amaltaro_StepChain_MC_HG1812_Validation_181203_121017_2487', '--json'])
    expect(update.code).toBe(0)
    expect(JSON.parse(update.out)).toMatchObject({ scope: 'names', changed: 1, failed: [] })
  })

  it('explains what is wrong: unknown workflow, bad usage, a search with control characters', async () => {
    const missing = await cli(['see', 'no_such_workflow'])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('No workflow named no_such_workflow')
    const usage = await cli(['update', '--bogus'])
    expect(usage.code).toBe(2)
    expect(usage.err).toContain('Usage: stats2')
    const bad = await cli(['search', 'a\nb'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/control characters/)
    const page = await cli(['search', 'x', '--page', '0'])
    expect(page.code).toBe(2)
  })
})

describe('mTLS failures, as the operator sees them', () => {
  it('no client certificate at all: says where it looked', async () => {
    const result = await cli(['update'], { USERCRT: undefined, USERKEY: undefined })
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/\.globus\/usercert\.pem/)
  })

  it('a certificate the server does not accept: names the refusal of the client certificate', async () => {
    const stranger = createCertificateAuthority('Some other CA')
    const pair = issueCertificate(stranger, { commonName: 'Nobody', usage: 'client' })
    await writeFile(join(work, 'other.pem'), pair.certPem)
    await writeFile(join(work, 'other.key.pem'), pair.keyPem)
    const result = await cli(['update'], { USERCRT: join(work, 'other.pem'), USERKEY: join(work, 'other.key.pem') })
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/client certificate/i)
  })

  it('an encrypted key with a wrong passphrase', async () => {
    const encrypted = encryptPrivateKey(await readFile(sim.tls.clientKey, 'utf8'), 'right horse battery')
    await writeFile(join(work, 'encrypted.key.pem'), encrypted, { mode: 0o600 })
    const wrong = await cli(['update'], { USERKEY: join(work, 'encrypted.key.pem'), STATS2_KEY_PASSPHRASE: 'wrong' })
    expect(wrong.code).toBe(1)
    expect(wrong.err).toMatch(/Wrong passphrase for .*encrypted\.key\.pem/)
    const right = await cli(['update'], { USERKEY: join(work, 'encrypted.key.pem'), STATS2_KEY_PASSPHRASE: 'right horse battery' })
    expect(right.code).toBe(0)
  })

  it('an untrusted server: refuses to talk, and says how to trust it', async () => {
    const result = await cli(['update'], { CMSWEB_CA: undefined, NODE_EXTRA_CA_CERTS: undefined })
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/not trusted/)
    expect(result.err).toMatch(/CMSWEB_CA/)
  })

  it('an expired certificate: says when it expired', async () => {
    const ca = { certPem: await readFile(sim.tls.caCert, 'utf8'), keyPem: await readFile(sim.tls.caKey, 'utf8') }
    const old = issueCertificate(ca, { commonName: 'Old Operator', usage: 'client', notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2025-01-01T00:00:00Z') })
    await writeFile(join(work, 'old.pem'), old.certPem)
    await writeFile(join(work, 'old.key.pem'), old.keyPem)
    const result = await cli(['update'], { USERCRT: join(work, 'old.pem'), USERKEY: join(work, 'old.key.pem') })
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/expired on 2025-01-01/)
  })
})
