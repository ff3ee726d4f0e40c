/**
 * Settings → Source in Chromium: an operator picks "a shared Stats2 CouchDB, replicated here" (a
 * second embedded store served over HTTP), saves, presses Pull and watches it arrive: the progress
 * strip, its outcome, the status line naming the replica, and the workflows searchable locally.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { ARTIFACTS, startHarness, type Harness } from './harness'
import { fillSource, startSource, syntheticDoc, type Source } from '../replica/helpers'

let h: Harness
let page: Page
let source: Source

beforeAll(async () => {
  h = await startHarness()
  source = await startSource(join(h.work, 'shared-stats2'))
  await fillSource(source, 400, 8)
  page = h.page
  await page.goto(h.bridge.openUrl)
}, 120_000)

afterAll(async () => {
  await h?.close()
  await source?.close()
})

describe('a replica of a shared Stats2', () => {
  it('is set up in Settings → Source, pulled with one click, and searched here', async () => {
    await page.getByTestId('open-settings').click()
    const dialog = page.getByTestId('settings-dialog')
    await dialog.waitFor()
    await page.getByTestId('source-replica').check()
    await dialog.locator('#settings-sourceUrl').fill(source.url)
    await dialog.locator('#settings-sourceUser').fill(source.couch.adminUser)
    await dialog.locator('#settings-sourcePassword').fill(source.couch.adminPassword)
    await page.screenshot({ path: join(ARTIFACTS, 'settings-source.png') })
    await page.getByTestId('settings-save').click()
    await expect.poll(() => h.core.settingsView().source?.kind).toBe('replica')
    expect(h.core.settingsView().replicaPasswordStored).toBe(true)
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })

    const pull = page.getByTestId('pull-replica')
    await pull.waitFor()
    expect(await page.getByTestId('update-all').count()).toBe(0)
    await pull.click()
    const result = page.getByTestId('replica-result')
    await result.waitFor({ timeout: 60_000 })
    expect(await result.innerText()).toMatch(/Pull: up to date.*400 documents pulled, 400 written/s)
    await expect.poll(async () => page.getByTestId('replica-status').innerText(), { timeout: 10_000 }).toMatch(new RegExp(`Replica of ${source.url.replace(/[.:/]/g, '\\$&')}, pulled \\d+s ago`))
    await page.screenshot({ path: join(ARTIFACTS, 'replica-pulled.png') })

    const doc = syntheticDoc(17, 8)
    await page.getByTestId('search').fill(doc.PrepID!)
    await page.getByTestId('search').press('Enter')
    await page.getByTestId('workflow-row').filter({ hasText: doc._id }).waitFor()
    await expect.poll(() => page.getByTestId('workflow-row').count()).toBe(1)
    expect(h.pageErrors).toEqual([])
  }, 180_000)
})
