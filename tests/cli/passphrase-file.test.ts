/**
 * STATS2_KEY_PASSPHRASE_FILE through the CLI, against the simulator: a passphrase file that group or
 * others can access is refused (ssh's rule for private keys), with the file, its mode and the fix;
 * the same file at 0600 works.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateScenario, startSimulator, type Simulator } from '../../src/sim'
import { encryptPrivateKey } from '../helpers/pki'
import { runCli, simulatorEnv } from '../helpers/cli'

const PASSPHRASE = 'correct horse battery staple'
let work: string
let sim: Simulator
let env: Record<string, string>
let passFile: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-passfile-'))
  sim = await startSimulator({ scenario: generateScenario({ workflows: 5, steps: 1, seed: 3 }), tlsDir: join(work, 'tls') })
  const key = join(work, 'userkey.enc.pem')
  await writeFile(key, encryptPrivateKey(await readFile(sim.tls.clientKey, 'utf8'), PASSPHRASE), { mode: 0o600 })
  passFile = join(work, 'passphrase.txt')
  await writeFile(passFile, `${PASSPHRASE}\n`, { mode: 0o600 })
  env = { ...simulatorEnv(sim, work), USERKEY: key, STATS2_KEY_PASSPHRASE_FILE: passFile }
})

afterAll(async () => {
  await sim?.close()
  await rm(work, { recursive: true, force: true })
})

describe('a passphrase file', () => {
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
    it(`at mode ${mode.toString(8)} is refused with the reason and the fix`, async () => {
      await chmod(passFile, mode)
      const result = await runCli(['update'], env)
      expect(result.code).toBe(1)
      expect(result.err).toContain(passFile)
      expect(result.err).toContain(`mode 0${mode.toString(8)}`)
      expect(result.err).toContain(`chmod 600 ${passFile}`)
      expect(result.err).not.toContain(PASSPHRASE)
      expect(result.err).not.toMatch(/at .*\.ts:\d+/)
    })
  }

  it('at 0600 is used', async () => {
    await chmod(passFile, 0o600)
    const result = await runCli(['update'], env)
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
  })
})
