/**
 * Links out: only https on the CMS allow-list, and what reaches the opener is exactly the parsed,
 * normalised href that was checked — never the raw string with its tabs, spaces or backslashes.
 * The handlers are the real ones; the opener records what it is given.
 */
import { describe, expect, it } from 'vitest'
import { allowedExternalUrl, isAllowedExternalUrl } from '../../src/shared/rules/links'
import { createHandlers, dispatch } from '../../src/main/ipc/handlers'
import type { AppCore } from '../../src/main/desktop/app-core'

describe('allowedExternalUrl', () => {
  const variants: Array<[string, string]> = [
    ['https://cmsweb.cern.ch/das/', 'https://cmsweb.cern.ch/das/'],
    [' https://cmsweb.cern.ch/das/', 'https://cmsweb.cern.ch/das/'],
    ['\thttps://cmsweb.cern.ch/das/\n', 'https://cmsweb.cern.ch/das/'],
    ['https://cms\tweb.cern.ch/das/', 'https://cmsweb.cern.ch/das/'],
    ['https:\\\\cmsweb.cern.ch\\das\\', 'https://cmsweb.cern.ch/das/'],
    ['HTTPS://CMSWEB.CERN.CH/das?x=1&y=2', 'https://cmsweb.cern.ch/das?x=1&y=2'],
    ['https://cms-pdmv.cern.ch/mcm/requests?prepid=A B', 'https://cms-pdmv.cern.ch/mcm/requests?prepid=A%20B'],
    ['https://cmsweb.cern.ch/a"b<c>', 'https://cmsweb.cern.ch/a%22b%3Cc%3E']
  ]
  for (const [given, href] of variants) {
    it(`opens ${JSON.stringify(given)} as ${href}`, () => {
      expect(allowedExternalUrl(given)).toBe(href)
    })
  }

  for (const refused of [
    'http://cmsweb.cern.ch/', 'https://evil.example/', 'https://cmsweb.cern.ch.evil.example/', 'https://user:pw@cmsweb.cern.ch/',
    'https://cmsweb.cern.ch@evil.example/', 'javascript:alert(1)', 'file:///etc/passwd', '//cmsweb.cern.ch/', 'not a url', ''
  ]) {
    it(`refuses ${JSON.stringify(refused)}`, () => {
      expect(allowedExternalUrl(refused)).toBeUndefined()
      expect(isAllowedExternalUrl(refused)).toBe(false)
    })
  }
})

describe('the openExternal handler', () => {
  it('hands the opener the normalised href, not the string the renderer sent', async () => {
    const opened: string[] = []
    // openExternal never touches the core.
    const handlers = createHandlers({} as AppCore, { openExternal: async (url) => void opened.push(url) })
    for (const url of [' https://cmsweb.cern.ch/das/', '\thttps://cmsweb.cern.ch/das/', 'https:\\\\cmsweb.cern.ch\\das\\']) {
      expect(await dispatch(handlers, 'openExternal', { url })).toEqual({ ok: true, value: null })
    }
    expect(opened).toEqual(['https://cmsweb.cern.ch/das/', 'https://cmsweb.cern.ch/das/', 'https://cmsweb.cern.ch/das/'])
    expect(await dispatch(handlers, 'openExternal', { url: 'https://evil.example/&calc' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(opened).toHaveLength(3)
  })
})
