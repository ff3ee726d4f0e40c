/**
 * The one search box (spec §9): the text is tried, in order, as a PrepID, output dataset, input
 * dataset, campaign, request type, processing string and task request; otherwise as a workflow
 * name. New here: when nothing matches exactly, names, PrepIDs and datasets are matched by prefix.
 */
import type { CouchStore } from '../store/couch-store'
import type { ViewName } from '../store/design-docs'
import type { WorkflowDoc } from '../../shared/stats2-doc'
import { byRequestDateTime } from '../../shared/rules/request-name'
import { SEARCH_FIELDS, type SearchField, type SearchQuery, type SearchResult } from '../../shared/search-types'

export const PAGE_SIZE = 100
/** Beyond this many matches a prefix search asks for more letters instead of listing them all. */
const PREFIX_MATCH_LIMIT = 10_000

/** The view behind each search field (also the old service's query parameters, src/main/serve). */
export const VIEW_OF: Record<Exclude<SearchField, 'any' | 'workflow'>, ViewName> = {
  prepid: 'prepids',
  output_dataset: 'outputDatasets',
  input_dataset: 'inputDatasets',
  campaign: 'campaigns',
  type: 'types',
  processing_string: 'processingStrings',
  request: 'requests'
}

/** The seed's resolution order. */
export const RESOLUTION_ORDER: Array<keyof typeof VIEW_OF> = [
  'prepid', 'output_dataset', 'input_dataset', 'campaign', 'type', 'processing_string', 'request'
]

/** Searches ordered by the date-time part of the RequestName (spec §9); the others by name. */
const DATE_ORDERED = new Set<SearchField>(['prepid', 'output_dataset', 'input_dataset', 'request'])

/** Prefix matching applies to these fields (names, PrepIDs, datasets). */
const PREFIX_FIELDS: SearchField[] = ['workflow', 'prepid', 'output_dataset', 'input_dataset']

/** A search's answer before the documents are read: the names of the page, in result order. */
export interface SearchNames extends Omit<SearchResult, 'workflows'> {
  names: string[]
}

export class SearchError extends Error {
  override name = 'SearchError'
}

/** The highest code point CouchDB collates: `startkey=p, endkey=p + HIGH` covers every key starting with p. */
const HIGH = '\ufff0'

/** Rejects what no Stats2 value can be, with a message the operator can act on. */
export function validateSearchText(text: string): string {
  const trimmed = text.trim()
  if (trimmed.length > 500) throw new SearchError(`The search text is ${trimmed.length} characters long; names, PrepIDs and datasets are under 500.`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new SearchError('The search text contains control characters (a paste of several lines?). Search for one value at a time.')
  return trimmed
}

/** Every match of one search text, in result order (what a page is cut from). */
export interface Matches {
  field: SearchField
  prefix: boolean
  names: string[]
}

/**
 * Remembers the matches of recent texts, so that paging through a result or coming back to it
 * does not query the views again. The caller keeps it fresh (row-cache.ts empties it whenever the
 * store changed).
 */
export interface MatchMemo {
  get(key: string): Matches | undefined
  set(key: string, matches: Matches): void
}

function ordered(field: SearchField, prefix: boolean, names: string[]): Matches {
  return { field, prefix, names: [...new Set(names)].sort(DATE_ORDERED.has(field) ? byRequestDateTime : undefined) }
}

export class WorkflowSearch {
  constructor(private readonly store: CouchStore, private readonly memo?: MatchMemo) {}

  async search(query: SearchQuery): Promise<SearchResult> {
    const { names, ...found } = await this.findNames(query)
    return { ...found, workflows: await this.load(names) }
  }

  /** The page's workflow names, in result order, without reading the documents (the dashboard builds rows from them). */
  findNames(query: SearchQuery): Promise<SearchNames> {
    return this.find(query, 2000)
  }

  private async find(query: SearchQuery, maxPageSize: number): Promise<SearchNames> {
    const text = validateSearchText(query.text)
    const page = Math.max(0, Math.floor(query.page ?? 0))
    const pageSize = Math.min(Math.max(1, Math.floor(query.pageSize ?? PAGE_SIZE)), maxPageSize)
    const field = query.field ?? 'any'
    if (!SEARCH_FIELDS.includes(field)) throw new SearchError(`Unknown search field ${String(field)}`)

    if (text === '') {
      const { names, total } = await this.store.listNames({ skip: page * pageSize, limit: pageSize })
      return { text: '', field: 'any', prefix: false, page, pageSize, total, names }
    }

    const key = `${field}\u0000${text}`
    let matches = this.memo?.get(key)
    if (!matches) {
      matches = await this.match(field, text)
      this.memo?.set(key, matches)
    }
    const slice = matches.names.slice(page * pageSize, (page + 1) * pageSize)
    return { text, field: matches.field, prefix: matches.prefix, page, pageSize, total: matches.names.length, names: slice }
  }

  /** Every workflow matching `text`, in result order, and how the text was read. */
  private async match(field: SearchField, text: string): Promise<Matches> {
    const resolved = field === 'any' ? await this.resolveExact(text) : { field, names: await this.exactNames(field, text) }
    if (resolved && resolved.names.length > 0) return ordered(resolved.field, false, resolved.names)
    const prefixFields = field === 'any' ? PREFIX_FIELDS : PREFIX_FIELDS.includes(field) ? [field] : []
    // Asked together, judged in order, as if asked one after the other (a "too many" error included).
    const prefixed = await Promise.allSettled(prefixFields.map((prefixField) => this.prefixNames(prefixField, text)))
    for (const [index, outcome] of prefixed.entries()) {
      if (outcome.status === 'rejected') throw outcome.reason
      if (outcome.value.length > 0) return ordered(prefixFields[index]!, true, outcome.value)
    }
    return { field: field === 'any' ? 'workflow' : field, prefix: false, names: [] }
  }

  /** Every field at once (one round trip's latency, not eight), then the first in the seed's order. */
  private async resolveExact(text: string): Promise<{ field: SearchField; names: string[] } | undefined> {
    const fields: SearchField[] = [...RESOLUTION_ORDER, 'workflow']
    const found = await Promise.all(fields.map((field) => this.exactNames(field, text)))
    const index = found.findIndex((names) => names.length > 0)
    return index < 0 ? undefined : { field: fields[index]!, names: found[index]! }
  }

  private async exactNames(field: SearchField, text: string): Promise<string[]> {
    if (field === 'workflow') return (await this.store.getWorkflow(text)) ? [text] : []
    if (field === 'any') throw new SearchError('internal: "any" is resolved before a lookup')
    return this.store.namesByViewKey(VIEW_OF[field], text)
  }

  private async prefixNames(field: SearchField, text: string): Promise<string[]> {
    const range = { startkey: text, endkey: text + HIGH, limit: PREFIX_MATCH_LIMIT + 1 }
    let names: string[]
    if (field === 'workflow') {
      names = (await this.store.listNames(range)).names
    } else {
      const { rows } = await this.store.queryView(VIEW_OF[field as keyof typeof VIEW_OF], range)
      names = [...new Set(rows.map((row) => row.id))]
    }
    if (names.length > PREFIX_MATCH_LIMIT) {
      throw new SearchError(`More than ${PREFIX_MATCH_LIMIT} workflows start with "${text}"; type more of it.`)
    }
    return names
  }


  private async load(names: string[]): Promise<WorkflowDoc[]> {
    const docs = await this.store.getWorkflows(names)
    return names.map((name) => docs.get(name)).filter((doc): doc is WorkflowDoc => doc !== undefined)
  }

  /** The names of every matching workflow (summed charts), not one page. */
  async findAllNames(query: Omit<SearchQuery, 'page' | 'pageSize'>, limit = 20_000): Promise<SearchNames> {
    const all = await this.find({ ...query, page: 0, pageSize: limit + 1 }, limit + 1)
    if (all.total > limit) throw new SearchError(`${all.total} workflows match; narrow the search to under ${limit}.`)
    return { ...all, pageSize: Math.max(1, all.names.length) }
  }

  /** Every matching workflow (exports, summed charts), not one page. */
  async searchAll(query: Omit<SearchQuery, 'page' | 'pageSize'>, limit = 20_000): Promise<SearchResult> {
    const first = await this.search({ ...query, page: 0, pageSize: 1 })
    if (first.total > limit) throw new SearchError(`${first.total} workflows match; narrow the search to under ${limit}.`)
    if (first.total <= 1) return first
    const workflows: WorkflowDoc[] = []
    for (let page = 0; page * 1000 < first.total; page++) {
      const result = await this.search({ ...query, page, pageSize: 1000 })
      workflows.push(...result.workflows)
    }
    return { ...first, page: 0, pageSize: workflows.length, workflows }
  }
}
