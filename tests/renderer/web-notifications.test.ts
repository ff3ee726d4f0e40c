import { describe, expect, it } from 'vitest'
import { showWebNotifications, type WebNotificationApi, type WebNotificationPermission } from '../../src/renderer/src/lib/web-notifications'
import type { WatchEvent } from '../../src/shared/watchlist'

function api(permission: WebNotificationPermission): { Api: WebNotificationApi; made: Array<{ title: string; options?: { body?: string; tag?: string } }> } {
  const made: Array<{ title: string; options?: { body?: string; tag?: string } }> = []
  const Api = class {
    static permission = permission
    static requestPermission = async (): Promise<WebNotificationPermission> => permission
    constructor(title: string, options?: { body?: string; tag?: string }) {
      made.push({ title, options })
    }
  }
  return { Api: Api as unknown as WebNotificationApi, made }
}

const event: WatchEvent = { id: 'wf|valid:/a/b/C', kind: 'dataset-valid', workflow: 'wf', title: 'Dataset VALID', body: '/a/b/C is VALID (10 events) — wf', time: 1 }

describe('Web Notifications in browser mode', () => {
  it('creates a notification per event once permission is granted', () => {
    const { Api, made } = api('granted')
    expect(showWebNotifications(Api, [event])).toBe(1)
    expect(made).toEqual([{ title: 'Stats2: Dataset VALID', options: { body: event.body, tag: event.id } }])
  })

  it('creates nothing without permission or without the API', () => {
    for (const permission of ['default', 'denied'] as const) {
      const { Api, made } = api(permission)
      expect(showWebNotifications(Api, [event])).toBe(0)
      expect(made).toEqual([])
    }
    expect(showWebNotifications(undefined, [event])).toBe(0)
  })
})
