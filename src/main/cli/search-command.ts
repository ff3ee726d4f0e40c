/** `stats2 search TEXT`: as the search box does (PrepID, dataset, campaign, …, then by prefix). */
import { parseArgs } from 'node:util'
import type { Stats2Config } from '../config/config'
import { openStore } from '../core/runtime'
import { WorkflowSearch } from '../search/search'
import { SEARCH_FIELDS, SEARCH_FIELD_LABELS, type SearchField } from '../../shared/search-types'
import { UsageError, type CliIo } from './io'

export async function runSearchCommand(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { page: { type: 'string' }, field: { type: 'string' } },
    strict: true
  })
  const text = positionals.join(' ')
  const page = values.page === undefined ? 1 : Number(values.page)
  if (!Number.isInteger(page) || page < 1) throw new UsageError(`--page must be a page number from 1, got "${values.page}"`)
  const field = (values.field ?? 'any') as SearchField
  if (!SEARCH_FIELDS.includes(field)) throw new UsageError(`--field must be one of ${SEARCH_FIELDS.join(', ')}`)
  const store = await openStore(config)
  try {
    const result = await new WorkflowSearch(store).search({ text, field, page: page - 1 })
    const pages = Math.max(1, Math.ceil(result.total / result.pageSize))
    io.err(
      `${result.total} workflow${result.total === 1 ? '' : 's'} ${result.prefix ? 'starting with' : 'matching'} ` +
        `${SEARCH_FIELD_LABELS[result.field]} "${result.text}" (page ${page} of ${pages})\n`
    )
    io.out(JSON.stringify(result.workflows, null, 1) + '\n')
    return 0
  } finally {
    await store.close()
  }
}

