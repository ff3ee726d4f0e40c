/**
 * Issue 14, reproductions 6 and 10 against `stats2 serve` on a real embedded store: documents of the
 * wrong shape (stored by the admin, as any CouchDB writer may) are one row marked invalid with its
 * reasons on the server page and in `/md`, never a 500; `/md` escapes Markdown and HTML in every
 * cell; bidirectional controls in names are isolated and shown on the page and in `/md`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/main/config/config'
import { CouchStore } from '../../src/main/store/couch-store'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { call, serveStore, type ServiceUnderTest } from './helpers'

let work: string
let store: CouchStore
let svc: ServiceUnderTest
let base: string

const good = (id: string, over: Record<string, unknown> = {}): WorkflowDoc => ({
  _id: id, RequestName: id, Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 1, RequestTransition: [], Requests: [],
  TotalEvents: 100, TotalInputLumis: -1, ...over
}) as WorkflowDoc

/** The reproduction's documents: id → what the row must name as wrong. */
const MALFORMED: Array<{ doc: Record<string, unknown>; issue: RegExp }> = [
  { doc: { _id: 'bad', RequestName: 'bad', OutputDatasets: [null] }, issue: /OutputDatasets/ },
  { doc: { _id: 'bad_outputs_null_1', OutputDatasets: null, PrepID: 'BAD-PREP-00001' }, issue: /OutputDatasets/ },
  { doc: { _id: 'bad_outputs_text_1', OutputDatasets: '/A/B/AOD', PrepID: 'BAD-PREP-00001' }, issue: /OutputDatasets/ },
  { doc: { _id: 'bad_outputs_object_1', OutputDatasets: { a: 1 }, PrepID: 'BAD-PREP-00001' }, issue: /OutputDatasets/ },
  { doc: { _id: 'bad_outputs_number_1', OutputDatasets: [5], PrepID: 'BAD-PREP-00001' }, issue: /OutputDatasets/ },
  { doc: { _id: 'bad_history_number_1', EventNumberHistory: 7, OutputDatasets: ['/A/B/AOD'], PrepID: 'BAD-PREP-00001' }, issue: /EventNumberHistory/ },
  { doc: { _id: 'bad_history_object_1', EventNumberHistory: { Time: 1 }, OutputDatasets: ['/A/B/AOD'], PrepID: 'BAD-PREP-00001' }, issue: /EventNumberHistory/ },
  { doc: { _id: 'bad_history_entry_1', EventNumberHistory: [null], OutputDatasets: ['/A/B/AOD'], PrepID: 'BAD-PREP-00001' }, issue: /EventNumberHistory/ },
  // A number where the date-ordered selectors read the RequestName, and text that is not Unicode.
  { doc: { _id: 'bad_230101_000000_1', RequestName: 7, PrepID: 'BAD-PREP-00001' }, issue: /RequestName/ },
  { doc: { _id: 'bad_surrogate_1', PrepID: 'BAD-PREP-\ud800', InputDataset: '/In/\udc00/RAW' }, issue: /surrogate/ }
]

const RLO_NAME = 'evil\u202egnp.exe_230101_000000_1'
const HOSTILE_MD: WorkflowDoc[] = [
  good('md](javascript:alert(1))_230101_000000_1', { PrepID: 'MD-HOSTILE-00001', OutputDatasets: ['/A/<script>alert(2)</script>/AOD'], InputDataset: '/In|put/x](javascript:y)/RAW' }),
  good('md<img src=x onerror=alert(3)>_230101_000000_2', { PrepID: 'MD-HOSTILE-00001', OutputDatasets: ['/B/a|b|c/AOD'] }),
  good('md\nline | break_230101_000000_3', { PrepID: 'MD-HOSTILE-00001', OutputDatasets: ['/C/new\nline\u2028sep/AOD'] }),
  good(RLO_NAME, { PrepID: 'MD-HOSTILE-00001', OutputDatasets: ['/D/x\u202etxt.exe/AOD'] })
]

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-hostile-'))
  const env = { HOME: work, STATS2_DATA_DIR: join(work, 'store') }
  const config = loadConfig(env)
  store = await CouchStore.open(config.db, { inMemory: true })
  const results = await store.saveWorkflows([...MALFORMED.map(({ doc }) => doc as unknown as WorkflowDoc), ...HOSTILE_MD, good('fine_230101_000000_9', { PrepID: 'BAD-PREP-00001' })])
  expect(results.filter((result) => !result.ok)).toEqual([])
  svc = await serveStore(store, config, env)
  base = `${svc.origin}/stats`
})

afterAll(async () => {
  await svc?.close()
  await store?.close()
  await rm(work, { recursive: true, force: true })
})

/** The workflow cells of the page, by the row's name. */
function workflowCells(html: string): string[] {
  return html.split('<td class="workflow').slice(1).map((cell) => cell.split('</td>')[0]!)
}

describe('documents of the wrong shape', () => {
  it('are each one row marked invalid with its reasons on the server page, never a 500', async () => {
    for (const { doc, issue } of MALFORMED) {
      const answer = await call(`${base}/?workflow_name=${encodeURIComponent(doc._id as string)}`)
      expect(answer.status, doc._id as string).toBe(200)
      const cells = workflowCells(answer.text)
      expect(cells, doc._id as string).toHaveLength(1)
      expect(cells[0]!.startsWith(' invalid"'), doc._id as string).toBe(true)
      expect(cells[0], doc._id as string).toContain('does not have the Stats2 shape')
      expect(cells[0], doc._id as string).toMatch(issue)
    }
  })

  it('leave the other rows of a listing as they are, on every listing route', async () => {
    const page = await call(`${base}/?prepid=BAD-PREP-00001`)
    expect(page.status).toBe(200)
    const cells = workflowCells(page.text)
    const listed = MALFORMED.filter(({ doc }) => doc.PrepID === 'BAD-PREP-00001')
    expect(cells).toHaveLength(listed.length + 1)
    expect(cells.filter((cell) => !cell.startsWith(' invalid"'))).toHaveLength(1)
    expect(cells.find((cell) => !cell.startsWith(' invalid"'))).toContain('>fine_230101_000000_9</a>')
    expect((await call(`${base}/`)).status).toBe(200)

    const fetched = await call(`${base}/api/fetch?prepid=BAD-PREP-00001`)
    expect(fetched.status).toBe(200)
    // The stored documents themselves, as the old service answered them (clients read documents).
    const ids = (JSON.parse(fetched.text) as Array<{ _id: string }>).map((doc) => doc._id).sort()
    expect(ids).toEqual([...MALFORMED.filter(({ doc }) => doc.PrepID === 'BAD-PREP-00001').map(({ doc }) => doc._id as string), 'fine_230101_000000_9'].sort())

    const md = await call(`${base}/md?prepid=BAD-PREP-00001`)
    expect(md.status).toBe(200)
    expect(md.text.match(/invalid document: /g)).toHaveLength(listed.length)
    for (const { doc } of MALFORMED) {
      expect((await call(`${base}/md?workflow_name=${encodeURIComponent(doc._id as string)}`)).status, doc._id as string).toBe(200)
      expect((await call(`${base}/api/get_json/${encodeURIComponent(doc._id as string)}`)).status, doc._id as string).toBe(200)
    }
  })
})

describe('/md', () => {
  it('escapes Markdown and HTML in every cell: one line per workflow, three cells, no live link or tag', async () => {
    const answer = await call(`${base}/md?prepid=MD-HOSTILE-00001`)
    expect(answer.status).toBe(200)
    const lines = answer.text.split('\n')
    expect(lines).toHaveLength(2 + HOSTILE_MD.length)
    expect(lines[1]).toMatch(/^\|:-+\|:-+\|:-+\|$/)
    for (const line of [lines[0]!, ...lines.slice(2)]) {
      expect(line.startsWith('| ') && line.endsWith(' |'), line).toBe(true)
      // Exactly the four separators of three cells: every | inside a value is escaped.
      expect(line.split(/(?<!\\)\|/).length, line).toBe(5)
      expect(line, line).not.toMatch(/(?<!\\)<(script|img)|(?<!\\)\]\(javascript:|\u2028/)
    }
    expect(answer.text).toContain('[md\\](javascript:alert(1))_230101_000000_1](https://cms-pdmv-prod.web.cern.ch/stats/?workflow_name=md%5D%28javascript:alert%281%29%29_230101_000000_1)')
    expect(answer.text).toContain('\\<script>alert(2)\\</script>')
    expect(answer.text).toContain('md line \\| break_230101_000000_3')
  })
})

describe('bidirectional controls in names', () => {
  it('are isolated and shown as visible marks on the page and in /md', async () => {
    const page = (await call(`${base}/?prepid=MD-HOSTILE-00001`)).text
    expect(page).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/)
    expect(page).toContain(`<bdi><a href="0?workflow_name=${encodeURIComponent(RLO_NAME)}">evil[U+202E]gnp.exe_230101_000000_1</a></bdi>`)
    expect(page).toContain('x[U+202E]txt.exe')
    const md = (await call(`${base}/md?prepid=MD-HOSTILE-00001`)).text
    expect(md).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/)
    expect(md).toContain('evil\\[U+202E\\]gnp.exe_230101_000000_1')
  })
})
