/**
 * The desktop app as a whole, without Electron's binary: the BUILT main bundle (out/main/index.js),
 * preload and renderer, started through Playwright's Electron support with the Chromium-backed
 * stand-in for the `electron` module (tests/electron-standin, docs/testing-desktop.md). The steps
 * are those `npm run test:electron` runs on the real binary (desktop-scenario.ts); the stand-in
 * also shows what only it can see: the IPC between page and main, a refusal of IPC from a frame
 * that is not the app's, the CSP header, the encrypted secret, the single-instance messages.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { RENDERER_CSP } from '../../src/shared/csp'
import { CHROMIUM } from '../helpers/chromium'
import type { StandinRecords } from '../electron-standin/records'
import { desktopScenario, PASSPHRASE } from './desktop-scenario'
import { STANDIN_EXECUTABLE, type DesktopRun } from './launch'
import { standinRecorder } from './recorders'
import type { PageDom } from './scenario'

if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the desktop stand-in runs Debian's Chromium (apt-get install chromium)`)

interface Standin {
  standin: { records: StandinRecords; reachedPage(text: string): boolean; reachedMain(text: string): boolean }
}

const records = (run: DesktopRun): Promise<StandinRecords> => run.app.evaluate((electron) => (electron as unknown as Standin).standin.records)

desktopScenario({
  name: 'the desktop app on the Electron stand-in',
  executablePath: STANDIN_EXECUTABLE,
  recorder: async (app) => standinRecorder(app),
  checks: {
    csp(probe) {
      // The header the app sets through session.webRequest (frame-ancestors exists only there) and the built page's meta element.
      expect(probe.policies).toContain(RENDERER_CSP)
      expect(probe.policies).toHaveLength(2)
    },

    async passphraseStored(run, view) {
      const carried = await run.app.evaluate((electron, text) => {
        const { standin } = electron as unknown as Standin
        return { toMain: standin.reachedMain(text), toPage: standin.reachedPage(text) }
      }, PASSPHRASE)
      expect(carried).toEqual({ toMain: true, toPage: false })
      // Kept by safeStorage, encrypted, in userData.
      expect(view.secureStorage).toBe(true)
      const secrets = readFileSync(join(run.userData, 'secrets.json'), 'utf8')
      expect(Object.keys(JSON.parse(secrets) as object)).toEqual(['passphrase'])
      expect(secrets).not.toContain(PASSPHRASE)
      expect(Buffer.from(secrets, 'base64').toString('latin1')).not.toContain(PASSPHRASE)
    },

    diagnostics(text) {
      expect(text).toMatch(/\nElectron \d+\.\d+\.\d+-standin\n/)
    },

    async security(run) {
      // A frame inside the page calling main directly (as a compromised renderer could): main refuses.
      await run.page.evaluate(async () => {
        const { document } = globalThis as unknown as PageDom
        const frame = document.createElement('iframe')
        document.body.append(frame)
        const scope = frame.contentWindow as unknown as Record<string, (channel: string, args: unknown[], id: number) => Promise<unknown>>
        const binding = Object.getOwnPropertyNames(scope).find((key) => key.startsWith('__electronStandinInvoke_'))!
        await scope[binding]!('stats2:getStatus', [{}], 1)
        frame.remove()
      })
      const fromFrame = async (): Promise<StandinRecords['ipc']> => (await records(run)).ipc.filter((record) => record.frameUrl === 'about:blank')
      await expect.poll(fromFrame).toHaveLength(1)
      const [refused] = await fromFrame()
      expect(refused!.channel).toBe('stats2:getStatus')
      expect(JSON.parse(refused!.toPage!)).toMatchObject({ ok: true, value: { ok: false, error: { code: 'forbidden', message: expect.stringContaining('about:blank') } } })
      // Every other call came from the app's page.
      const withoutHash = (url = ''): string => url.replace(/#.*$/, '')
      const senders = new Set((await records(run)).ipc.filter((record) => record.direction === 'invoke').map((record) => withoutHash(record.frameUrl)))
      expect(senders).toEqual(new Set([withoutHash(run.page.url()), 'about:blank']))
    },

    async mainHealthy(run) {
      expect((await records(run)).mainErrors).toEqual([])
    },

    async secondInstance(run) {
      expect((await records(run)).secondInstances.some((argv) => argv.includes('--from-second-start'))).toBe(true)
    },

    quitted(run) {
      expect(existsSync(join(run.userData, 'ElectronStandinLock'))).toBe(false)
    }
  }
})
