import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WatchlistError, WatchlistFile } from '../../src/main/watchlist/watchlist-file'
import { mergeReports } from '../../src/main/watchlist/reports'
import { MAX_WATCH_ITEMS, watchItemSchema } from '../../src/shared/watchlist'
import type { UpdateReport } from '../../src/shared/update-types'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stats2-watchlist-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('watchlist file', () => {
  it('starts empty, keeps items once each, and reads them back', async () => {
    const file = await WatchlistFile.open(dir)
    expect(file.items).toEqual([])
    await file.add({ kind: 'prepid', value: 'HIG-Run3Summer22GS-00042' })
    await file.add({ kind: 'prepid', value: 'HIG-Run3Summer22GS-00042' })
    await file.add({ kind: 'campaign', value: 'Run3Summer22GS' })
    await file.setStallHours(6)
    await file.record({ wf: ['status:completed'] }, [{ id: 'wf|status:completed', kind: 'status', workflow: 'wf', title: 'Workflow completed', body: 'wf', time: 5 }])
    const again = await WatchlistFile.open(dir)
    expect(again.items).toEqual([{ kind: 'prepid', value: 'HIG-Run3Summer22GS-00042' }, { kind: 'campaign', value: 'Run3Summer22GS' }])
    expect(again.current).toMatchObject({ stallHours: 6, notified: { wf: ['status:completed'] }, recent: [{ id: 'wf|status:completed' }] })
    await again.remove({ kind: 'prepid', value: 'HIG-Run3Summer22GS-00042' })
    expect((await WatchlistFile.open(dir)).items).toEqual([{ kind: 'campaign', value: 'Run3Summer22GS' }])
  })

  it('keeps an invalid file aside instead of overwriting it', async () => {
    const path = join(dir, 'watchlist.json')
    const broken = JSON.stringify({ version: 1, items: [{ kind: 'dataset', value: '/a/b/c' }], stallHours: 24, notified: {}, recent: [] })
    await writeFile(path, broken)
    const file = await WatchlistFile.open(dir)
    expect(file.items).toEqual([])
    const kept = (await readdir(dir)).filter((name) => name.startsWith('watchlist.json.invalid-'))
    expect(kept).toHaveLength(1)
    expect(await readFile(join(dir, kept[0]!), 'utf8')).toBe(broken)
    await writeFile(path, '{not json')
    expect((await WatchlistFile.open(dir)).items).toEqual([])
  })

  it('refuses more than the maximum of items with a clear error', async () => {
    const file = await WatchlistFile.open(dir)
    for (let i = 0; i < MAX_WATCH_ITEMS; i++) await file.add({ kind: 'workflow', value: `wf_${i}` })
    await expect(file.add({ kind: 'workflow', value: 'one_more' })).rejects.toBeInstanceOf(WatchlistError)
    expect((await WatchlistFile.open(dir)).items).toHaveLength(MAX_WATCH_ITEMS)
  })

  it('validates pinned names', () => {
    expect(watchItemSchema.safeParse({ kind: 'prepid', value: ' HIG-1 ' })).toMatchObject({ success: true, data: { value: 'HIG-1' } })
    expect(watchItemSchema.safeParse({ kind: 'prepid', value: '' }).success).toBe(false)
    expect(watchItemSchema.safeParse({ kind: 'prepid', value: 'a/b' }).success).toBe(false)
    expect(watchItemSchema.safeParse({ kind: 'user', value: 'x' }).success).toBe(false)
    expect(watchItemSchema.safeParse({ kind: 'workflow', value: 'x', extra: 1 }).success).toBe(false)
  })
})

describe('pinned-first reports', () => {
  const report = (overrides: Partial<UpdateReport>): UpdateReport => ({
    scope: 'all', startedAt: 0, finishedAt: 0, changed: 0, deleted: 0, written: 0, unchanged: 0, recalculated: 0, historyAdded: 0,
    failed: [], notifications: { sent: 0, failed: 0 }, warnings: [], cancelled: false, ...overrides
  })

  it('adds the two runs, and the later verdict on a workflow wins', () => {
    const merged = mergeReports(
      report({ scope: 'names', startedAt: 1, finishedAt: 2, changed: 2, written: 2, failed: [{ name: 'a', reason: 'x' }], warnings: ['w1'] }),
      report({ startedAt: 3, finishedAt: 9, changed: 10, written: 7, failed: [{ name: 'a', reason: 'y' }, { name: 'b', reason: 'z' }], lastSequence: '42-abc', warnings: ['w2'] })
    )
    expect(merged).toMatchObject({ scope: 'all', startedAt: 1, finishedAt: 9, changed: 12, written: 9, lastSequence: '42-abc', warnings: ['w1', 'w2'] })
    expect(merged.failed).toEqual([{ name: 'a', reason: 'y' }, { name: 'b', reason: 'z' }])
  })
})
