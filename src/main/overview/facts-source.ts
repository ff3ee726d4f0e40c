/**
 * Where the engine reads documents for their facts: the store's facts view (slim copies, see
 * facts-view.ts), or, when the view cannot be had — a read-only CouchDB (DB_URL without an admin)
 * that does not hold `_design/stats2-overview`, or holds another function under its view name —
 * the whole documents. Both answer documents `factsOf` reads alike.
 */
import type { CouchStore } from '../store/couch-store'
import { StoreError } from '../store/couch-store'
import { createLogger } from '../log/logger'
import { FACTS_MAP, FACTS_VIEW, OVERVIEW_DESIGN_ID, overviewDesignDoc } from './facts-view'

const log = createLogger('overview')

export const PAGE_SIZE = 2000
const KEYS_BATCH = 500

export interface FactsSource {
  kind: 'view' | 'documents'
  /** Every stored workflow as `[name, document]`, in pages. */
  all(): AsyncGenerator<Array<[string, unknown]>>
  /** These workflows' documents; a name that is not stored is absent. */
  some(names: readonly string[]): Promise<Map<string, unknown>>
}

function viewSource(store: CouchStore): FactsSource {
  /** Rows whose map emitted null (something unusual, see facts-view.ts) are read whole. */
  const completed = async (rows: Array<{ id: string; value: unknown }>): Promise<Array<[string, unknown]>> => {
    const whole = rows.filter((row) => row.value === null).map((row) => row.id)
    const docs = whole.length > 0 ? await store.getWorkflows(whole) : new Map<string, unknown>()
    const out: Array<[string, unknown]> = []
    for (const row of rows) {
      if (row.value !== null) out.push([row.id, { ...(row.value as Record<string, unknown>), _id: row.id }])
      else if (docs.has(row.id)) out.push([row.id, docs.get(row.id)])
    }
    return out
  }
  return {
    kind: 'view',
    async *all() {
      let startkey: string | undefined
      for (;;) {
        const qs: Record<string, unknown> = { limit: PAGE_SIZE + 1 }
        if (startkey !== undefined) qs.startkey = startkey
        const { rows } = await store.queryDesignView<unknown>(OVERVIEW_DESIGN_ID, FACTS_VIEW, { qs })
        const page = rows.slice(0, PAGE_SIZE).filter((row) => typeof row.id === 'string')
        if (page.length > 0) yield await completed(page)
        if (rows.length <= PAGE_SIZE) return
        startkey = rows[PAGE_SIZE]!.id
      }
    },
    async some(names) {
      const found = new Map<string, unknown>()
      for (let at = 0; at < names.length; at += KEYS_BATCH) {
        const batch = names.slice(at, at + KEYS_BATCH)
        const { rows } = await store.queryDesignView<unknown>(OVERVIEW_DESIGN_ID, FACTS_VIEW, { keys: batch })
        for (const [name, doc] of await completed(rows.filter((row) => typeof row.id === 'string'))) found.set(name, doc)
      }
      return found
    }
  }
}

function documentSource(store: CouchStore): FactsSource {
  return {
    kind: 'documents',
    async *all() {
      for await (const page of store.allWorkflows(PAGE_SIZE)) yield page.map((doc) => [doc._id, doc] as [string, unknown])
    },
    async some(names) {
      return store.getWorkflows(names)
    }
  }
}

/**
 * The facts view when it can be had (created or completed on a writable store), else whole
 * documents, saying why once.
 */
export async function openFactsSource(store: CouchStore): Promise<FactsSource> {
  let design: Record<string, unknown> | undefined
  try {
    design = await store.ensureDesignDocument(overviewDesignDoc())
  } catch (error) {
    if (!(error instanceof StoreError) || error.code === 'unreachable' || error.code === 'timeout') throw error
    log.warn(`the overview's design document could not be written (${error.message}): reading whole documents instead`)
  }
  const map = (design?.views as Record<string, { map?: unknown }> | undefined)?.[FACTS_VIEW]?.map
  if (map === FACTS_MAP) return viewSource(store)
  if (design === undefined) {
    log.warn(`${OVERVIEW_DESIGN_ID} is not in ${store.url}${store.readOnly ? ' (open read-only: it cannot be created)' : ''}: the overview reads whole documents, slower on a large store`)
  } else {
    log.warn(`${OVERVIEW_DESIGN_ID} in ${store.url} holds another ${FACTS_VIEW} function: the overview reads whole documents instead`)
  }
  return documentSource(store)
}
