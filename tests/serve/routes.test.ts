/**
 * Every read route of ../shared/spec/stats2-web.md against a store filled by the updater over the
 * public scenario (simulator over mTLS, `stats2 update`), plus hand-made documents for paging, "N ago"
 * and hostile values. Expectations are computed from the stored documents and the spec's rules.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import type { WorkflowDoc } from '../../src/shared/stats2-doc'
import { call, fillPublicStore, serveStore, type FilledStore, type ServiceUnderTest } from './helpers'

const NOW = 1_900_000_000
const DAS = 'https://cmsweb.cern.ch/das/request?view=list&limit=50&instance=prod%2Fglobal&input=dataset%3D'
const STATS_PAGE = 'https://cms-pdmv-prod.web.cern.ch/stats/?workflow_name='

let work: string
let filled: FilledStore
let store: CouchStore
let svc: ServiceUnderTest
let rootSvc: ServiceUnderTest
let base: string
let docs: WorkflowDoc[]

const doc = (id: string, over: Partial<WorkflowDoc>): WorkflowDoc => ({
  _id: id, RequestName: id, Campaigns: [], EventNumberHistory: [], OutputDatasets: [], RequestPriority: 1000,
  RequestTransition: [], Requests: [], TotalEvents: 100, TotalInputLumis: -1, LastUpdate: NOW - 60, ...over
})

/** The spec's ordering key, written out here: the two `_` fields before the last one. */
const dateKey = (d: WorkflowDoc): string => (d.RequestName ?? d._id).split('_').slice(-3, -1).join('_')
const byDate = (list: WorkflowDoc[]): WorkflowDoc[] => [...list].sort((a, b) => (dateKey(a) < dateKey(b) ? -1 : dateKey(a) > dateKey(b) ? 1 : 0))
const byId = (list: WorkflowDoc[]): WorkflowDoc[] => [...list].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
const names = (list: Array<{ _id: string }>): string[] => list.map((d) => d._id)

/** Rows of the front page's table, by workflow. */
function rowsOf(html: string): string[] {
  const body = html.split('<tbody>')[1]!.split('</tbody>')[0]!
  return body.split('<tr>').slice(1)
}

function assertSortedJson(text: string): void {
  // Every object's keys in sorted order (JSON.parse keeps the text's order), two-space indent.
  const check = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(check)
    if (value && typeof value === 'object') {
      const keys = Object.keys(value)
      expect(keys).toEqual([...keys].sort())
      Object.values(value).forEach(check)
    }
  }
  check(JSON.parse(text))
  const second = text.split('\n')[1]
  if (second !== undefined) expect(second).toMatch(/^ {2}\S/)
}

const synthetic = Array.from({ length: 150 }, (_, i) => {
  // Id order ascending i; date order descending i: a page is re-ordered, pages are not merged.
  const hhmmss = String(150 - i).padStart(6, '0')
  return doc(`synth_${String(i).padStart(3, '0')}_250101_${hhmmss}_1`, { PrepID: 'SYN-Paged-00001', RequestType: 'Synthetic' })
})

const hostileName = 'hostile_230101_000000_1'
const hostile = doc(hostileName, {
  PrepID: '"><script>alert(1)</script>',
  RequestType: '<img src=x onerror=alert(2)>',
  Campaigns: ['<b>c</b>', "x' onmouseover='alert(3)"],
  Requests: ['</a><script>r</script>'],
  OutputDatasets: ['/A/<script>d</script>/AOD'],
  InputDataset: '/In/"onfocus=alert(4)/RAW',
  ProcessingString: '<iframe src=x>',
  RequestTransition: [{ Status: '<svg onload=alert(5)>', UpdateTime: NOW - 100 }],
  EventNumberHistory: [{ Time: NOW - 50, Datasets: { '/A/<script>d</script>/AOD': { Type: '<marquee>', Events: 5, Size: 1 } } }],
  TotalInputLumis: null
})

const agoName = 'timeago_230101_000000_2'
const ago = doc(agoName, {
  LastUpdate: NOW - (3 * 86_400 + 10),
  RequestTransition: [{ Status: 'new', UpdateTime: NOW - (2 * 3600 + 5 * 60 + 9) }, { Status: 'running-open', UpdateTime: NOW - (7 * 60 + 3) }]
})
const secondsName = 'timeago_230101_000001_3'
const seconds = doc(secondsName, { LastUpdate: NOW - 42 })

/** A ReReco with a lumi list whose TotalInputLumis is null (the old page crashed on it). */
const nullLumisName = 'nulllumis_230101_000002_4'
const nullLumis = doc(nullLumisName, {
  RequestType: 'ReReco', LumiList: { '1': [[1, 10]] }, TotalInputLumis: null, TotalEvents: 2000, OutputDatasets: ['/N/L-v1/AOD'],
  EventNumberHistory: [{ Time: NOW - 10, Datasets: { '/N/L-v1/AOD': { Type: 'VALID', Events: 500, Size: 2_500_000, Lumis: 3 } } }]
})

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-serve-routes-'))
  filled = await fillPublicStore(work)
  store = await CouchStore.open(filled.config.db)
  await store.saveWorkflows([...synthetic, hostile, ago, seconds, nullLumis])
  docs = []
  for await (const page of store.allWorkflows()) docs.push(...page)
  svc = await serveStore(store, filled.config, filled.env, '/stats', () => NOW)
  rootSvc = await serveStore(store, filled.config, filled.env, '/', () => NOW)
  base = `${svc.origin}/stats`
})

afterAll(async () => {
  await svc?.close()
  await rootSvc?.close()
  await store?.close()
  await filled?.sim.close()
  await rm(work, { recursive: true, force: true })
})

describe('the store under test', () => {
  it('holds the public scenario as the updater wrote it, plus the hand-made documents', () => {
    expect(docs.filter((d) => !d._id.startsWith('synth_')).length).toBeGreaterThanOrEqual(16 + 4)
    expect(docs.some((d) => d._id === 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111')).toBe(true)
  })
})

describe('get_json and api/get_json', () => {
  it('answers every stored document as key-sorted JSON with a two-space indent, on both paths', async () => {
    for (const stored of docs.filter((d) => !d._id.startsWith('synth_'))) {
      for (const path of ['get_json', 'api/get_json']) {
        const answer = await call(`${base}/${path}/${encodeURIComponent(stored._id)}`)
        expect(answer.status, stored._id).toBe(200)
        expect(answer.headers['content-type']).toBe('application/json')
        expect(JSON.parse(answer.text)).toEqual(stored)
        assertSortedJson(answer.text)
      }
    }
  })

  it('answers 404 with {} for an unknown name, a design document and a name with a slash', async () => {
    for (const name of ['no_such_workflow_000000_000000_0', '_design%2F_designDoc', '_design/_designDoc', 'a/b']) {
      const answer = await call(`${base}/api/get_json/${name}`)
      expect(answer.status, name).toBe(404)
      expect(answer.text).toBe('{}')
      expect(answer.headers['content-type']).toBe('application/json')
    }
  })
})

describe('api/fetch', () => {
  const fetchJson = async (query: string): Promise<WorkflowDoc[]> => {
    const answer = await call(`${base}/api/fetch?${query}`)
    expect(answer.status, query).toBe(200)
    expect(answer.headers['content-type']).toBe('application/json')
    assertSortedJson(answer.text)
    return JSON.parse(answer.text) as WorkflowDoc[]
  }

  it('orders a PrepID, dataset and request selection by the date-time of the RequestName', async () => {
    const prepid = 'TEST-TEST-HIG-RunIISummer15wmLHEGS-00744'
    const expected = byDate(docs.filter((d) => d.PrepID === prepid))
    expect(expected.length).toBe(3)
    // The id order differs from the date order here, so the ordering is really exercised.
    expect(names(expected)).not.toEqual(names(byId(expected)))
    expect(await fetchJson(`prepid=${prepid}`)).toEqual(expected)

    const request = 'TEST-Step1-RunIISummer15wmLHEGS-00744'
    expect(await fetchJson(`request=${request}`)).toEqual(byDate(docs.filter((d) => (d.Requests as string[]).includes(request))))

    const output = '/MuonEG/Run2022C-27Jun2023-v2/AOD'
    expect(names(await fetchJson(`output_dataset=${encodeURIComponent(output)}`))).toEqual(names(byDate(docs.filter((d) => d.OutputDatasets.includes(output)))))
    const input = '/MuonEG/Run2022C-v1/RAW'
    expect(names(await fetchJson(`input_dataset=${encodeURIComponent(input)}`))).toEqual(names(byDate(docs.filter((d) => d.InputDataset === input))))
  })

  it('keeps the view order (document id) for campaign, type and processing string', async () => {
    expect(names(await fetchJson('campaign=HG1812_Validation'))).toEqual(names(byId(docs.filter((d) => (d.Campaigns as string[]).includes('HG1812_Validation')))))
    expect(names(await fetchJson('type=ReReco'))).toEqual(names(byId(docs.filter((d) => d.RequestType === 'ReReco'))))
    expect(names(await fetchJson('processing_string=27Jun2023'))).toEqual(names(byId(docs.filter((d) => d.ProcessingString === '27Jun2023'))))
  })

  it('reads every page: with no selector all workflows in id order, design documents dropped', async () => {
    const all = await fetchJson('')
    expect(names(all)).toEqual(names(byId(docs)))
    expect(all.length).toBeGreaterThan(100)
  })

  it('orders each page of 100, not the whole selection, as the old service did', async () => {
    const fetched = names(await fetchJson('prepid=SYN-Paged-00001'))
    const first = names(byDate(synthetic.slice(0, 100)))
    const second = names(byDate(synthetic.slice(100)))
    expect(fetched).toEqual([...first, ...second])
  })

  it('follows the selector precedence and answers workflow_name once', async () => {
    const name = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'
    expect(names(await fetchJson(`prepid=SYN-Paged-00001&workflow_name=${name}`))).toEqual([name])
    expect(names(await fetchJson(`campaign=HG1812_Validation&prepid=IncludeParents-Prep-Alan`))).toEqual(['amaltaro_ReReco_Parents_HG1812_Validation_181203_121714_7387'])
    expect(await fetchJson('workflow_name=not_stored_000000_000000_0')).toEqual([])
    expect(await fetchJson('prepid=')).toEqual([])
  })
})

describe('md', () => {
  function parseTable(text: string): string[][] {
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^\| RequestName +\| InputDataset +\| OutputDatasets +\|$/)
    expect(lines[1]).toMatch(/^\|:-+\|:-+\|:-+\|$/)
    return lines.slice(2).map((line) => line.slice(1, -1).split(' | ').map((cell) => cell.trim()))
  }

  it('lists each workflow once with its Stats2 link, its input dataset and its output datasets as DAS links', async () => {
    const answer = await call(`${base}/md?campaign=HG1812_Validation`)
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toMatch(/^text\/plain/)
    const rows = parseTable(answer.text)
    const expected = byId(docs.filter((d) => (d.Campaigns as string[]).includes('HG1812_Validation')))
    const workflowCells = rows.map((row) => row[0]).filter((cell) => cell !== '')
    expect(workflowCells).toEqual(expected.map((d) => `[${d.RequestName}](${STATS_PAGE}${d.RequestName})`))
    // Each workflow's output datasets, one per line below its name.
    let index = -1
    const outputs = new Map<string, string[]>()
    const inputs = new Map<string, string>()
    for (const row of rows) {
      if (row[0] !== '') {
        index++
        outputs.set(expected[index]!._id, [])
        inputs.set(expected[index]!._id, row[1]!)
      }
      if (row[2] !== '') outputs.get(expected[index]!._id)!.push(row[2]!)
    }
    for (const d of expected) {
      expect(outputs.get(d._id), d._id).toEqual(d.OutputDatasets.map((o) => `- [${o}](${DAS}${o})`))
      expect(inputs.get(d._id), d._id).toBe(d.InputDataset ? `[${d.InputDataset}](${DAS}${d.InputDataset})` : '')
    }
    // The scenario has workflows without an input dataset: their cell is empty, not an error.
    expect(expected.some((d) => !d.InputDataset)).toBe(true)
  })

  it('reads at most 5 pages and answers an empty body when nothing matches', async () => {
    const rows = parseTable((await call(`${base}/md`)).text).filter((row) => row[0] !== '')
    expect(rows.length).toBe(docs.length)
    const none = await call(`${base}/md?prepid=NOTHING-00000`)
    expect(none.status).toBe(200)
    expect(none.text).toBe('')
  })
})

describe('search', () => {
  const location = async (q: string, svcBase = base): Promise<string> => {
    const answer = await call(`${svcBase}/search?q=${encodeURIComponent(q)}`)
    expect(answer.status, q).toBe(302)
    return answer.headers.location!
  }

  it('redirects to the first selector whose view has the text, else to workflow_name', async () => {
    expect(await location('TEST-TEST-HIG-RunIISummer15wmLHEGS-00744')).toBe('/stats?prepid=TEST-TEST-HIG-RunIISummer15wmLHEGS-00744')
    expect(await location('/MuonEG/Run2022C-27Jun2023-v2/AOD')).toBe(`/stats?output_dataset=${encodeURIComponent('/MuonEG/Run2022C-27Jun2023-v2/AOD')}`)
    expect(await location('/MuonEG/Run2022C-v1/RAW')).toBe(`/stats?input_dataset=${encodeURIComponent('/MuonEG/Run2022C-v1/RAW')}`)
    expect(await location('HG1812_Validation')).toBe('/stats?campaign=HG1812_Validation')
    expect(await location('StepChain')).toBe('/stats?type=StepChain')
    // Both a campaign-free processing string and a request value resolve in the spec's order.
    expect(await location('27Jun2023')).toBe('/stats?processing_string=27Jun2023')
    expect(await location('TEST-Step2-RunIISummer15wmLHEGS-00744')).toBe('/stats?request=TEST-Step2-RunIISummer15wmLHEGS-00744')
    expect(await location('anything_else')).toBe('/stats?workflow_name=anything_else')
    expect(await location('')).toBe('/stats')
    expect(await location('   ')).toBe('/stats')
  })

  it('follows the base path /', async () => {
    expect(await location('StepChain', rootSvc.origin)).toBe('/?type=StepChain')
    expect(await location('', rootSvc.origin)).toBe('/')
  })
})

describe('the front page', () => {
  it('shows the totals, the last update, the search box, the Markdown and dashboard links, with a CSP', async () => {
    const answer = await call(`${base}/`)
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'")
    expect(answer.headers['content-security-policy']).not.toContain('unsafe-inline')
    const html = answer.text
    expect(html).toContain('<base href="/stats/">')
    const info = await store.raw<{ doc_count: number }>('info', { db: 'requests', method: 'get' })
    expect(html).toContain(`<span id="total-workflows">${info.doc_count}</span>`)
    const settings = await store.getSettings()
    const local = new Intl.DateTimeFormat('sv-SE', { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(settings.last_dbs_update_date! * 1000))
    expect(html).toContain(`<span id="last-update">${local}</span>`)
    expect(html).toMatch(/<form action="search" method="get"[^>]*>[\s\S]*<input type="text" name="q"/)
    expect(html).not.toMatch(/<script/i)
    // No selector: the first 100 rows of _all_docs, design documents dropped.
    const firstPage = (await store.raw<{ rows: Array<{ id: string }> }>('ids', { db: 'requests', path: '_all_docs', method: 'get', qs: { limit: 100 } })).rows
      .map((row) => row.id).filter((id) => !id.startsWith('_design/'))
    const rows = rowsOf(html)
    expect(rows.length).toBe(firstPage.length)
    firstPage.forEach((id, i) => expect(rows[i]).toContain(`>${id}</a>`))
  })

  it('keeps the query string in Previous/Next, the Markdown link and pages of 100', async () => {
    const query = 'type=Synthetic'
    const page0 = (await call(`${base}/?${query}`)).text
    expect(rowsOf(page0).length).toBe(100)
    expect(page0).toContain(`<a class="page-link" href="1?${query}">Next</a>`)
    expect(page0).toContain('<span class="page-link disabled">Previous</span>')
    expect(page0).toContain(`href="md?${query}"`)
    expect(page0).toContain('href="dashboard/#q=Synthetic&amp;field=type&amp;page=1"')
    const page1 = (await call(`${base}/1?${query}`)).text
    expect(rowsOf(page1).length).toBe(50)
    expect(page1).toContain(`<a class="page-link" href="0?${query}">Previous</a>`)
    expect(page1).toContain('<span class="page-link disabled">Next</span>')
    expect(rowsOf(page1)[0]).toContain('>synth_100_250101_000050_1</a>')
    // A negative page counts as 0.
    expect(rowsOf((await call(`${base}/-3?${query}`)).text)).toEqual(rowsOf(page0))
  })

  it('shows every listed field of a workflow and a completion bar per output dataset coloured by type', async () => {
    const name = 'pdmvserv_Run2022C-v1_MuonEG_27Jun2023_230627_101500_1111'
    const stored = docs.find((d) => d._id === name)!
    const [row] = rowsOf((await call(`${base}/?workflow_name=${name}`)).text)
    expect(row).toContain(`href="0?prepid=${encodeURIComponent(stored.PrepID!)}"`)
    expect(row).toContain(`href="0?type=${stored.RequestType}"`)
    expect(row).toContain(`href="0?processing_string=${stored.ProcessingString}"`)
    expect(row).toContain(`href="0?input_dataset=${encodeURIComponent(stored.InputDataset!)}"`)
    expect(row).toContain(`href="0?campaign=${(stored.Campaigns as string[])[0]}"`)
    expect(row).toContain(`https://cmsweb.cern.ch/reqmgr2/fetch?rid=${name}`)
    expect(row).toContain(`href="get_json/${name}"`)
    // Lumi-based (ReReco with a lumi list): lumisections, done ÷ TotalInputLumis from the newest entry.
    const newest = [...stored.EventNumberHistory].sort((a, b) => b.Time - a.Time)[0]!
    for (const dataset of stored.OutputDatasets) {
      const stat = newest.Datasets[dataset]!
      const percent = (Math.floor(((stat.Lumis ?? 0) / stored.TotalInputLumis!) * 1000) / 10).toFixed(1)
      const colour = { PRODUCTION: 'production', VALID: 'valid', INVALID: 'invalid', DELETED: 'invalid' }[stat.Type] ?? 'other'
      const item = row!.split('<li class="dataset">').find((part) => part.includes(`output_dataset=${encodeURIComponent(dataset)}"`))!
      expect(item, dataset).toContain(`<progress class="bar ${colour}"`)
      expect(item).toContain(`completed (on lumisections):</small> ${percent} %`)
      expect(item).toContain(`lumisections:</small> ${stat.Lumis}`)
      expect(item).toContain(`${DAS}${encodeURIComponent(dataset)}`.replace(/&/g, '&amp;'))
      if (dataset.endsWith('/DQMIO')) expect(item).toContain('harvesting')
    }
    expect(row).toContain(`<b class="type invalid">INVALID</b>`)
  })

  it('orders a PrepID page by the date-time of the names', async () => {
    const prepid = 'TEST-TEST-HIG-RunIISummer15wmLHEGS-00744'
    const rows = rowsOf((await call(`${base}/?prepid=${prepid}`)).text)
    const expected = byDate(docs.filter((d) => d.PrepID === prepid))
    expect(rows.length).toBe(3)
    expected.forEach((d, i) => expect(rows[i]).toContain(`>${d._id}</a>`))
  })

  it('writes "N ago" as days, else hours and minutes, else minutes, else seconds', async () => {
    const [row] = rowsOf((await call(`${base}/?workflow_name=${agoName}`)).text)
    expect(row).toMatch(/Last update:<\/small> 3d ago/)
    expect(row).toMatch(/new <small>was set<\/small> 2h 5min ago/)
    expect(row).toMatch(/running-open <small>was set<\/small> 7min ago/)
    const [secondsRow] = rowsOf((await call(`${base}/?workflow_name=${secondsName}`)).text)
    expect(secondsRow).toMatch(/Last update:<\/small> 42s ago/)
  })

  it('renders a document whose TotalInputLumis is null (by events)', async () => {
    const answer = await call(`${base}/?workflow_name=${nullLumisName}`)
    expect(answer.status).toBe(200)
    const [row] = rowsOf(answer.text)
    expect(row).toContain('Total events:</small> 2,000')
    expect(row).toContain('completed (on events):</small> 25.0 %')
  })

  it('escapes every value of a hostile document', async () => {
    for (const url of [`${base}/?workflow_name=${hostileName}`, `${base}/?prepid=${encodeURIComponent(hostile.PrepID!)}`, `${base}/`]) {
      const answer = await call(url)
      expect(answer.status).toBe(200)
      const html = answer.text
      expect(html).toContain(hostileName)
      for (const tag of ['<script', '<img', '<iframe', '<svg', '<marquee', '<b>c']) expect(html, tag).not.toContain(tag)
      expect(html).not.toContain("' onmouseover='")
      expect(html).not.toContain('"onfocus=')
    }
    const [row] = rowsOf((await call(`${base}/?workflow_name=${hostileName}`)).text)
    expect(row).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(row).toContain('x&#39; onmouseover=&#39;alert(3)')
  })

  it('works under the base path / too', async () => {
    const html = (await call(`${rootSvc.origin}/?type=StepChain`)).text
    expect(html).toContain('<base href="/">')
    expect(rowsOf(html).length).toBe(docs.filter((d) => d.RequestType === 'StepChain').length)
    expect((await call(`${rootSvc.origin}/api/get_json/${agoName}`)).status).toBe(200)
    expect((await call(`${rootSvc.origin}/stats/api/get_json/${agoName}`)).status).toBe(404)
  })
})

describe('the dashboard', () => {
  it('serves the built renderer with its CSP and answers reading channels, refusing updates', async () => {
    const page = await call(`${base}/dashboard/`)
    expect(page.status).toBe(200)
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    const search = JSON.parse((await call(`${base}/dashboard/api/search`, { method: 'POST', body: JSON.stringify({ text: 'HG1812_Validation' }), headers: { 'content-type': 'application/json' } })).text)
    expect(search.ok).toBe(true)
    expect(search.value.total).toBe(docs.filter((d) => (d.Campaigns as string[]).includes('HG1812_Validation')).length)
    for (const channel of ['updateAll', 'updateSelected', 'setSettings', 'getSettings', 'startDemo', 'openExternal']) {
      const body = channel === 'updateSelected' ? { names: [agoName] } : channel === 'openExternal' ? { url: 'https://cmsweb.cern.ch/' } : {}
      const answer = JSON.parse((await call(`${base}/dashboard/api/${channel}`, { method: 'POST', body: JSON.stringify(body) })).text)
      expect(answer, channel).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }
    expect((await call(`${base}/dashboard`)).headers.location).toBe('/stats/dashboard/')
  })
})

describe('bad input', () => {
  it('answers unknown routes 404 and wrong methods 405', async () => {
    expect((await call(`${base}/no/such/route`)).status).toBe(404)
    expect((await call(`${base}/abc`)).status).toBe(404)
    expect((await call(`${svc.origin}/elsewhere`)).status).toBe(404)
    const post = await call(`${base}/`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET')
  })

  it('answers 400 with a clear message for overlong or odd parameters', async () => {
    const long = await call(`${base}/api/fetch?prepid=${'x'.repeat(1500)}`)
    expect(long.status).toBe(400)
    expect(JSON.parse(long.text).error).toMatch(/"prepid" is 1500 characters long/)
    const control = await call(`${base}/?output_dataset=%2FA%0A%2FB`)
    expect(control.status).toBe(400)
    expect(control.text).toMatch(/control characters/)
    expect((await call(`${base}/99999999999`)).status).toBe(400)
    expect((await call(`${base}/get_json/%E0%A4%A`)).status).toBe(400)
    expect((await call(`${base}/search?q=${'y'.repeat(2000)}`)).status).toBe(400)
    for (const answer of [long, control]) expect(answer.text).not.toMatch(/\n\s+at /)
  })
})
