/**
 * `npm run bench:render`: first render, in Debian's Chromium, of a 100- and a 2 000-row result list,
 * the summed chart of a 2 000-workflow campaign, and a workflow chart with 5 000 history points per
 * dataset — the renderer served by the browser-mode bridge, answered by the real handlers over an
 * embedded store filled for the purpose. Rows come from the main process's row cache: the first
 * (cold) search of a campaign reads its documents and is reported apart, as is the first opening of
 * a workflow chart (`chart5000ColdMs`: the document read; later openings come from the chart cache).
 *
 * The clock runs in the page: it starts when the hash is set (or at the `pointerdown` of a real
 * mouse click) and stops in the second animation frame after what is waited for is in the DOM, i.e.
 * once a frame showing it has been painted. Timing from Node instead measured Playwright: each
 * `waitFor` polls the page 0, 20, 70, 170 ms… after it starts (and a click first waits for the
 * element to be stable for two frames), so every figure was rounded up to the next poll plus the
 * DevTools round trips, which is why the figures sat just above 170 ms whatever the page did.
 * `--trace DIR` also writes a Chromium trace (chrome://tracing, DevTools) of one run of each.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium, type Page } from 'playwright-core'
import { setLogLevel } from '../src/main/log/logger'
import { AppCore } from '../src/main/desktop/app-core'
import { MemorySecretStore } from '../src/main/desktop/secrets'
import { createHandlers } from '../src/main/ipc/handlers'
import { startBridge } from '../src/main/ipc/bridge-server'
import { RENDERER_DIR } from '../src/main/cli/ui-command'
import type { HistoryEntry, WorkflowDoc } from '../src/shared/stats2-doc'
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/e2e/harness'

setLogLevel('warn')
const ROWS = 2000
const POINTS = 5000
const RUNS = 5
const { values: args } = parseArgs({ options: { trace: { type: 'string' } } })

function workflow(i: number, entries: number): WorkflowDoc {
  const name = `pdmvserv_task_BNC-Bench-${String(i).padStart(5, '0')}__v1_T_241201_${String(100000 + i).slice(-6)}_${1000 + (i % 9000)}`
  const outputs = ['GEN-SIM', 'AODSIM', 'MINIAODSIM'].map((tier) => `/Bench${i}_TuneCP5/BenchCampaign-v1/${tier}`)
  const history: HistoryEntry[] = Array.from({ length: entries }, (_, k) => ({
    Time: 1_730_000_000 + k * 900,
    Datasets: Object.fromEntries(outputs.map((d, j) => [d, { Type: k === entries - 1 ? 'VALID' : 'PRODUCTION', Events: Math.floor((k + 1) * (1000 - j * 100)), Size: k * 1000 }]))
  }))
  return {
    _id: name, RequestName: name, PrepID: `BNC-Bench-${String(i).padStart(5, '0')}`, RequestType: 'TaskChain', Campaigns: ['BenchCampaign'],
    Requests: [`BNC-Bench-${i}`], OutputDatasets: outputs, RequestPriority: 100000, TotalEvents: entries * 1000, TotalInputLumis: -1,
    RequestTransition: [{ Status: 'new', UpdateTime: 1_730_000_000 }, { Status: 'running-open', UpdateTime: 1_730_100_000 }],
    EventNumberHistory: history, LastUpdate: 1_730_000_000 + entries * 900
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Times `runs` runs of `step` (after `before`, untimed): Node's clock, for the handler alone. */
async function timed(runs: number, before: () => Promise<unknown>, step: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    await before()
    const started = performance.now()
    await step()
    times.push(performance.now() - started)
  }
  return times
}

/** Runs of `step` (after `before`, untimed), each returning the milliseconds the page measured. */
async function measured(runs: number, before: () => Promise<unknown>, step: () => Promise<number>): Promise<number[]> {
  const times: number[] = []
  for (let run = 0; run < runs; run++) {
    await before()
    times.push(await step())
  }
  return times
}

/**
 * Installed in the page (a string: this file is type-checked without the DOM library).
 * `__benchArm(conditions, hash)` starts waiting for every `[selector, text pattern]` to match; the
 * clock starts at the next `pointerdown` or, with `hash`, now, as the hash is set. `__benchResult`
 * is the milliseconds from that start to the second animation frame after the match.
 */
const IN_PAGE_CLOCK = `
window.__benchArm = (conditions, hash) => {
  let start
  const matches = () => conditions.every(([selector, text]) => {
    const element = document.querySelector(selector)
    return element !== null && (text === null || new RegExp(text).test(element.textContent || ''))
  })
  window.__benchResult = new Promise((resolve, reject) => {
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error('not shown within 30 s: ' + JSON.stringify(conditions))) }, 30000)
    const check = () => {
      if (start === undefined || !matches()) return
      observer.disconnect()
      clearTimeout(timer)
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start)))
    }
    const observer = new MutationObserver(check)
    observer.observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true })
    if (hash === null) {
      addEventListener('pointerdown', (event) => { start = event.timeStamp }, { capture: true, once: true })
    } else {
      start = performance.now()
      location.hash = hash
      check()
    }
  })
  return true
}`

type Condition = [selector: string, text: string | null]

/** Sets the hash in the page; the page's milliseconds until `conditions` hold and a frame is painted. */
async function afterHash(page: Page, hash: string, conditions: Condition[]): Promise<number> {
  await page.evaluate(`window.__benchArm(${JSON.stringify(conditions)}, ${JSON.stringify(hash)})`)
  return Number(await page.evaluate('window.__benchResult'))
}

/** A real mouse click in the middle of `selector`'s first match; the page's milliseconds from pointerdown until `conditions` hold and a frame is painted. */
async function afterClick(page: Page, selector: string, conditions: Condition[]): Promise<number> {
  const box = await page.locator(selector).first().boundingBox()
  if (!box) throw new Error(`${selector} is not shown`)
  await page.evaluate(`window.__benchArm(${JSON.stringify(conditions)}, null)`)
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
  return Number(await page.evaluate('window.__benchResult'))
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'stats2-render-bench-'))
  const core = await AppCore.create({ userDataDir: join(work, 'user'), env: { HOME: work, STATS2_DATA_DIR: join(work, 'store') }, secrets: new MemorySecretStore() })
  const store = await core.activeStore()
  // Two campaigns of ROWS workflows: one read cold by the handler alone, one cold by the dashboard.
  for (const [offset, campaign] of [[0, 'BenchCampaign'], [ROWS, 'BenchCampaignB']] as const) {
    for (let i = 0; i < ROWS; i += 500) {
      await store.saveWorkflows(Array.from({ length: 500 }, (_, j) => ({ ...workflow(offset + i + j, 12), Campaigns: [campaign] })))
    }
  }
  const chartDoc = workflow(99_999, POINTS)
  chartDoc.Campaigns = ['ChartCampaign']
  await store.saveWorkflow(chartDoc)
  // Opened once, first, for the cold figure: listed with a small workflow, not on its own.
  const coldDoc = { ...workflow(99_998, POINTS), Campaigns: ['ChartCampaignCold'] }
  await store.saveWorkflows([coldDoc, { ...workflow(99_997, 12), Campaigns: ['ChartCampaignCold'] }])
  await store.queryView('campaigns', { limit: 0 })
  const bridge = await startBridge({ handlers: createHandlers(core, { openExternal: async () => undefined }), rendererDir: RENDERER_DIR, subscribe: (e, l) => core.subscribe(e, l) })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  await page.addInitScript(IN_PAGE_CLOCK)
  const emptyPage = async (): Promise<void> => {
    await page.goto(`${bridge.url}/#q=none&field=workflow&page=1`)
    await page.reload()
    await page.getByTestId('empty-result').waitFor()
  }
  // The summary of this campaign's 2 000 matches and a row of them.
  const listed: Condition[] = [['[data-testid="search-summary"]', '2[,\u202f ]?000 workflows'], ['[data-testid="workflow-row"]', null]]
  const listOf = (campaign: string, size: number) => (): Promise<number> =>
    afterHash(page, `#q=${campaign}&field=campaign&page=1${size === 100 ? '' : `&size=${size}`}`, listed)
  const traced = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    if (!args.trace) return step()
    await mkdir(args.trace, { recursive: true })
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'v8.execute', 'toplevel', 'loading', 'blink.user_timing'] })
    try {
      return await step()
    } finally {
      await writeFile(join(args.trace, `${name}.json`), await browser.stopTracing())
    }
  }
  try {
    await page.goto(bridge.openUrl)
    await page.getByTestId('search').waitFor()

    // Cold: nothing of these workflows read yet (first search after start or after an update).
    let started = performance.now()
    await core.search({ text: 'BenchCampaign', field: 'campaign', pageSize: ROWS })
    const apiCold = performance.now() - started
    await emptyPage()
    const [listCold] = await measured(1, async () => undefined, listOf('BenchCampaignB', ROWS))

    const apiTimes = await timed(RUNS, async () => undefined, () => core.search({ text: 'BenchCampaign', field: 'campaign', pageSize: ROWS }))
    const list2000 = await measured(RUNS, emptyPage, listOf('BenchCampaign', ROWS))
    const rowsInDom = await page.getByTestId('workflow-row').count()
    const list100 = await measured(RUNS, emptyPage, listOf('BenchCampaign', 100))
    const summedPainted: Condition[] = [['[data-testid="search-chart"][data-series]', null]]
    const summed = await measured(RUNS, emptyPage, () => afterHash(page, '#q=BenchCampaign&field=campaign&page=1', summedPainted))
    started = performance.now()
    await core.searchHistory('BenchCampaign', 'campaign')
    const summedApi = performance.now() - started
    if (args.trace) {
      await emptyPage()
      await traced('list100', listOf('BenchCampaign', 100))
    }

    const name = 'button.workflow-name'
    const chartPainted: Condition[] = [['[data-testid="history-chart"][data-series]', null]]
    // Closing the panel comes before each run, untimed: the figure is click → chart painted.
    const closePanel = async (): Promise<void> => {
      if ((await page.getByTestId('detail-panel').count()) === 0) return
      await page.getByTestId('detail-close').click()
      await page.getByTestId('history-chart').waitFor({ state: 'detached' })
    }
    await page.evaluate(`location.hash = '#q=ChartCampaignCold&field=campaign&page=1'`)
    await page.locator(`[data-testid="workflow-row"][data-name="${coldDoc._id}"]`).waitFor()
    await page.getByTestId('search-summary').filter({ hasText: '“ChartCampaignCold”' }).waitFor()
    const chartCold = await afterClick(page, `[data-testid="workflow-row"][data-name="${coldDoc._id}"] ${name}`, chartPainted)
    await closePanel()
    await page.evaluate(`location.hash = '#q=ChartCampaign&field=campaign&page=1'`)
    const chartRow = `[data-testid="workflow-row"][data-name="${chartDoc._id}"]`
    await page.locator(chartRow).waitFor()
    await page.getByTestId('search-summary').filter({ hasText: '“ChartCampaign”' }).waitFor()
    const chartTimes = await measured(RUNS, closePanel, () => afterClick(page, `${chartRow} ${name}`, chartPainted))
    if (args.trace) {
      await closePanel()
      await traced('chart5000', () => afterClick(page, `${chartRow} ${name}`, chartPainted))
    }
    const ms = (values: number[]): number => Math.round(median(values))
    console.log(`# first render in Chromium (median of ${RUNS}; noisy on a shared machine)`)
    console.log(`search of ${ROWS} workflows, handler only:               ${ms(apiTimes)} ms  (cold, documents read: ${apiCold.toFixed(0)} ms)`)
    console.log(`${ROWS}-row result list, hash change → rows painted:     ${ms(list2000)} ms  (cold: ${listCold!.toFixed(0)} ms; ${rowsInDom} rows in the DOM, the rest windowed)`)
    console.log(`100-row page, hash change → rows painted:              ${ms(list100)} ms`)
    console.log(`summed chart of a ${ROWS}-workflow campaign → painted:   ${ms(summed)} ms  (handler alone ${summedApi.toFixed(0)} ms)`)
    console.log(`chart of ${POINTS} points × 3 datasets, click → painted:    ${ms(chartTimes)} ms  (first opening, document read: ${chartCold.toFixed(0)} ms)`)
    console.log(`runs, ms: list100 ${list100.map(Math.round).join(' ')}; chart5000 ${chartTimes.map(Math.round).join(' ')}`)
    if (args.trace) console.log(`Chromium traces of one run of each in ${args.trace}`)
    console.log(JSON.stringify({
      listMs: ms(list2000), chartMs: ms(chartTimes), searchApiMs: ms(apiTimes),
      list100Ms: ms(list100), list2000Ms: ms(list2000), chart5000Ms: ms(chartTimes), summed2000Ms: ms(summed),
      list2000ColdMs: Math.round(listCold!), searchApiColdMs: Math.round(apiCold), chart5000ColdMs: Math.round(chartCold)
    }))
  } finally {
    await browser.close()
    await bridge.close()
    await core.close()
    await rm(work, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
