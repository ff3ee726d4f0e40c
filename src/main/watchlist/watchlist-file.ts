/**
 * `<userData>/watchlist.json`: the pinned items, the stall time, what was already notified per
 * workflow and the newest notifications. Validated when read; a file that does not validate is kept
 * aside (never deleted) and the watchlist starts empty, with a warning.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { createLogger } from '../log/logger'
import {
  DEFAULT_STALL_HOURS, MAX_WATCH_ITEMS, sameWatchItem, stallHoursSchema, watchItemSchema, type WatchEvent, type WatchItem
} from '../../shared/watchlist'

const log = createLogger('watchlist')

export const MAX_RECENT_EVENTS = 50

const eventSchema = z.object({
  id: z.string().max(2000),
  kind: z.enum(['dataset-valid', 'status', 'stalled', 'update-failed']),
  workflow: z.string().max(300),
  title: z.string().max(300),
  body: z.string().max(2000),
  time: z.number()
}).strict()

const fileSchema = z.object({
  version: z.literal(1),
  items: z.array(watchItemSchema).max(MAX_WATCH_ITEMS),
  stallHours: stallHoursSchema,
  notified: z.record(z.string().max(300), z.array(z.string().max(2000)).max(1000)),
  recent: z.array(eventSchema).max(MAX_RECENT_EVENTS)
}).strict()

export type WatchlistData = z.infer<typeof fileSchema>

/** A change the watchlist refuses (too many items): carries the contract's code. */
export class WatchlistError extends Error {
  override name = 'WatchlistError'
  readonly code = 'invalid-argument'
}

const empty = (): WatchlistData => ({ version: 1, items: [], stallHours: DEFAULT_STALL_HOURS, notified: {}, recent: [] })

export class WatchlistFile {
  private constructor(readonly file: string, private data: WatchlistData) {}

  static async open(userDataDir: string): Promise<WatchlistFile> {
    const file = join(userDataDir, 'watchlist.json')
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): starting with an empty watchlist`)
      return new WatchlistFile(file, empty())
    }
    let parsed: ReturnType<typeof fileSchema.safeParse>
    try {
      parsed = fileSchema.safeParse(JSON.parse(text))
    } catch {
      parsed = fileSchema.safeParse(undefined)
    }
    if (parsed.success) return new WatchlistFile(file, parsed.data)
    // Keep the operator's file for inspection rather than overwrite it on the next change.
    const aside = `${file}.invalid-${Date.now()}`
    await rename(file, aside).catch(() => undefined)
    log.warn(`${file} is not a valid watchlist; kept as ${aside}, starting with an empty watchlist`)
    return new WatchlistFile(file, empty())
  }

  get current(): WatchlistData {
    return structuredClone(this.data)
  }

  get items(): WatchItem[] {
    return structuredClone(this.data.items)
  }

  async add(item: WatchItem): Promise<void> {
    if (this.data.items.some((known) => sameWatchItem(known, item))) return
    if (this.data.items.length >= MAX_WATCH_ITEMS) throw new WatchlistError(`The watchlist holds at most ${MAX_WATCH_ITEMS} items; unpin some first.`)
    await this.save({ ...this.data, items: [...this.data.items, item] })
  }

  async remove(item: WatchItem): Promise<void> {
    await this.save({ ...this.data, items: this.data.items.filter((known) => !sameWatchItem(known, item)) })
  }

  async setStallHours(hours: number): Promise<void> {
    await this.save({ ...this.data, stallHours: hours })
  }

  /** Records the notified keys (only for the given workflows: unpinned ones are forgotten) and new events. */
  async record(notified: Record<string, string[]>, events: WatchEvent[]): Promise<void> {
    const recent = [...events.slice().reverse(), ...this.data.recent].slice(0, MAX_RECENT_EVENTS)
    await this.save({ ...this.data, notified, recent })
  }

  private async save(next: WatchlistData): Promise<void> {
    const checked = fileSchema.parse(next)
    await mkdir(dirname(this.file), { recursive: true })
    const temp = `${this.file}.tmp`
    await writeFile(temp, JSON.stringify(checked, null, 2), { mode: 0o600 })
    await rename(temp, this.file)
    this.data = checked
  }
}
