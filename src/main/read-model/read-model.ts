/**
 * The one read side of the store: stored documents turned into the view models every reader shows
 * — the desktop and `stats2 ui` (through AppCore), the read-only dashboard of `stats2 serve`, and the
 * server page, `/md` and `/api/fetch` (through `rowOf`). Every document passes the document schema
 * (stats2-doc-schema.ts, via workflow-boundary.ts) and the row view model (rules/workflow-row.ts)
 * on its way out: one that does not fit becomes a row or view marked invalid with its reasons,
 * never an exception that breaks a page. Rows and chart answers come from the bounded caches of
 * src/main/search (one pair per store).
 */
import type { CouchStore } from '../store/couch-store'
import { NotFoundError } from '../core/errors'
import { WorkflowSearch } from '../search/search'
import { RowCache, digestOf } from '../search/row-cache'
import { ChartCache } from '../search/chart-cache'
import { detailView } from '../core/workflow-boundary'
import { aggregateTracks, type AggregateSeries } from '../../shared/rules/series'
import { SearchExport, workflowExportFile } from '../../shared/rules/exports'
import { settingsFigures } from '../../shared/settings-schema'
import type { ExportFile, ExportFormat } from '../../shared/ipc-contract'
import type { WorkflowFailure } from '../../shared/update-types'
import type { SearchField, SearchQuery, SearchRowsResult, WorkflowRow } from '../../shared/search-types'
import type { WorkflowChartAnswer, WorkflowView } from '../../shared/workflow-view'
import type { WorkflowDoc } from '../../shared/stats2-doc'

/** An export whose text would pass the reader's limit: narrow the search. */
export class ExportTooLargeError extends Error {
  override name = 'ExportTooLargeError'
}

export interface ReadModelOptions {
  /** Characters an export of a search may reach before it is refused (unbounded when absent). */
  exportMaxChars?: number
}

/** What the status shows from the settings document. */
export interface SettingsFigures {
  lastUpdate?: number
  lastSequence?: string | number
  failed: WorkflowFailure[]
}

/** Documents read per store call while an export is built (only the export's text is kept). */
const EXPORT_PAGE = 500

/**
 * The row view model of any stored document: the schema's verdict and the row's own checks; an
 * invalid document gives a row marked invalid with its reasons and raw JSON. `id` names the row
 * when the document has no usable name.
 */
export function rowOf(doc: unknown, id: string): WorkflowRow {
  return digestOf(doc as WorkflowDoc, id).row
}

export class ReadModel {
  private readonly rows: RowCache
  private readonly charts: ChartCache

  constructor(readonly store: CouchStore, private readonly options: ReadModelOptions = {}) {
    this.rows = new RowCache(store)
    this.charts = new ChartCache(store)
  }

  /**
   * A page of results for the list: a row view model per workflow, not the documents. Rows, and the
   * matches of recent texts (for paging), come from the row cache.
   */
  async search(query: SearchQuery): Promise<SearchRowsResult> {
    await this.rows.fresh()
    const { names, ...found } = await new WorkflowSearch(this.store, this.rows.memo).findNames(query)
    const digests = await this.rows.digests(names)
    return { ...found, rows: names.flatMap((name) => (digests.has(name) ? [digests.get(name)!.row] : [])) }
  }

  /** The result rows of these workflows, in their order (missing ones left out): the overview's cell lists. */
  async rowsOf(names: readonly string[]): Promise<WorkflowRow[]> {
    const digests = await this.rows.digests(names)
    return names.flatMap((name) => (digests.has(name) ? [digests.get(name)!.row] : []))
  }

  async getWorkflow(name: string): Promise<WorkflowDoc> {
    const doc = await this.store.getWorkflow(name)
    if (!doc) throw new NotFoundError(`No workflow named ${name} in the store`)
    return doc
  }

  /** The stored document checked at the contract boundary (the detail panel). */
  async workflowView(name: string): Promise<WorkflowView> {
    return detailView(await this.getWorkflow(name))
  }

  /** The summary and decimated chart series of a stored workflow (the detail panel's first paint), from the chart cache. */
  async workflowChart(name: string): Promise<WorkflowChartAnswer> {
    const answer = await this.charts.answer(name)
    if (!answer) throw new NotFoundError(`No workflow named ${name} in the store`)
    return answer
  }

  /** The summed chart of every match. */
  async searchHistory(text: string, field?: SearchField): Promise<AggregateSeries> {
    await this.rows.fresh()
    const { names } = await new WorkflowSearch(this.store, this.rows.memo).findAllNames({ text, field })
    return aggregateTracks([...(await this.rows.digests(names)).values()].map((digest) => digest.track))
  }

  /** Every match as a file, read a page at a time; refused past `exportMaxChars`. */
  async exportSearch(text: string, field: SearchField | undefined, format: ExportFormat): Promise<ExportFile> {
    await this.rows.fresh()
    const { names } = await new WorkflowSearch(this.store, this.rows.memo).findAllNames({ text, field })
    const file = new SearchExport(text, format)
    const limit = this.options.exportMaxChars ?? Infinity
    for (let start = 0; start < names.length; start += EXPORT_PAGE) {
      const page = names.slice(start, start + EXPORT_PAGE)
      const docs = await this.store.getWorkflows(page)
      file.add(page.flatMap((name) => (docs.has(name) ? [docs.get(name)!] : [])))
      if (file.length > limit) {
        throw new ExportTooLargeError(`The export of ${names.length} workflows is over ${Math.round(limit / 1e6)} MB here; narrow the search, or export from the desktop app or \`stats2 dump\`.`)
      }
    }
    return file.file()
  }

  async exportWorkflow(name: string): Promise<ExportFile> {
    return workflowExportFile(name, await this.getWorkflow(name))
  }

  /** Last update, feed position and failed workflows, each only when the stored settings give it its documented type. */
  async settingsFigures(): Promise<SettingsFigures> {
    return settingsFigures(await this.store.getSettings())
  }
}
