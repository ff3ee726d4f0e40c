/**
 * The Electron glue of watchlist notifications. Electron's `Notification` cannot exist here (no
 * Electron binary), so a stand-in class records what the glue asks of it.
 */
import { describe, expect, it } from 'vitest'
import { showWatchNotifications } from '../../src/main/ipc/register'
import type { WatchEvent } from '../../src/shared/watchlist'

function standIn(supported = true): { Notification: Parameters<typeof showWatchNotifications>[0]; shown: Array<{ title: string; body: string }>; clicks: Array<() => void> } {
  const shown: Array<{ title: string; body: string }> = []
  const clicks: Array<() => void> = []
  class Notification {
    constructor(private readonly options: { title: string; body: string }) {}
    static isSupported(): boolean {
      return supported
    }
    on(_event: 'click', listener: () => void): this {
      clicks.push(listener)
      return this
    }
    show(): void {
      shown.push({ title: this.options.title, body: this.options.body })
    }
  }
  return { Notification, shown, clicks }
}

const event = (n: number): WatchEvent => ({ id: `wf${n}|status:completed`, kind: 'status', workflow: `wf${n}`, title: 'Workflow completed', body: `wf${n}`, time: 1 })

describe('desktop notifications (Electron stand-in)', () => {
  it('shows one notification per event, and a click brings the window forward', () => {
    const { Notification, shown, clicks } = standIn()
    let focused = 0
    expect(showWatchNotifications(Notification, [event(1), event(2)], () => focused++)).toBe(2)
    expect(shown).toEqual([{ title: 'Stats2: Workflow completed', body: 'wf1' }, { title: 'Stats2: Workflow completed', body: 'wf2' }])
    clicks[0]!()
    expect(focused).toBe(1)
  })

  it('summarises a flood of events instead of showing each', () => {
    const { Notification, shown } = standIn()
    expect(showWatchNotifications(Notification, Array.from({ length: 40 }, (_, i) => event(i)), () => undefined)).toBe(4)
    expect(shown[3]).toEqual({ title: 'Stats2: 37 more watchlist events', body: 'Open the Watchlist to see them all.' })
  })

  it('shows nothing where the system has no notifications', () => {
    const { Notification, shown } = standIn(false)
    expect(showWatchNotifications(Notification, [event(1)], () => undefined)).toBe(0)
    expect(shown).toEqual([])
  })
})
