/**
 * The detail panel's chart answers (`getWorkflowChart`: summary, decimated series, ETAs) of recently
 * opened workflows, kept in memory so that opening a workflow again does not read and check its
 * whole document (1–2 MB for a long history: about 50 ms to read from the embedded store and as
 * much again to check it and compute the series) but answers in a few milliseconds.
 *
 * Freshness as in row-cache.ts: before every lookup what was written since the last one is read
 * (store-changes.ts) and its answers dropped; lookups run one at a time, so a slow read never puts
 * an older answer back over a newer one. Bounded by weight (chart points, or the raw text of a
 * document that does not fit the schema), least recently used out.
 */
import { WeightedLru } from './weighted-lru'
import type { CouchStore } from '../store/couch-store'
import { chartView } from '../core/workflow-boundary'
import { isInvalidWorkflow, type WorkflowChartAnswer } from '../../shared/workflow-view'
import { StoreChanges } from './store-changes'

/** About 60 bytes a unit: the default keeps the cache under about 15 MB (two hundred 1 000-point lines). */
export const DEFAULT_MAX_CHART_WEIGHT = 250_000

function weightOf(answer: WorkflowChartAnswer): number {
  if (isInvalidWorkflow(answer)) return 50 + Math.ceil(answer.raw.length / 60)
  return 50 + answer.series.datasets.reduce((sum, item) => sum + item.points.length, 0)
}

export class ChartCache {
  private readonly entries: WeightedLru<WorkflowChartAnswer>
  private readonly changes: StoreChanges
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly store: CouchStore, maxWeight = DEFAULT_MAX_CHART_WEIGHT) {
    this.entries = new WeightedLru(maxWeight, weightOf)
    this.changes = new StoreChanges(store)
  }

  get size(): number {
    return this.entries.size
  }

  /** The chart answer of `name`, undefined when no such document is stored. */
  answer(name: string): Promise<WorkflowChartAnswer | undefined> {
    const run = this.queue.then(() => this.lookup(name))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async lookup(name: string): Promise<WorkflowChartAnswer | undefined> {
    await this.sync()
    const cached = this.entries.get(name)
    if (cached) return cached
    const doc = await this.store.getWorkflow(name)
    if (doc === undefined) return undefined
    const answer = chartView(doc)
    this.put(name, answer)
    return answer
  }

  private put(name: string, answer: WorkflowChartAnswer): void {
    this.entries.set(name, answer)
  }

  private drop(name: string): void {
    this.entries.delete(name)
  }

  private async sync(): Promise<void> {
    const changed = await this.changes.read()
    if (changed.reset) {
      this.entries.clear()
      return
    }
    for (const id of changed.ids) this.drop(id)
  }
}
