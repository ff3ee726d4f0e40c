/**
 * `npm run bench:render`: first render, in Debian's Chromium, of a 100- and a 2 000-row result list,
 * the summed chart of a 2 000-workflow campaign, and a workflow chart with 5 000 history points per
 * dataset — the renderer served by the browser-mode bridge, answered by the real handlers over an
 * embedded store filled for the purpose. Rows come from the main process's row cache: the first
 * (cold) search of a campaign reads its documents and is reported apart.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
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

/** Times `runs` runs of `step` (after `before`, untimed), median and all. */
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
  await store.queryView('campaigns', { limit: 0 })
  const bridge = await startBridge({ handlers: createHandlers(core, { openExternal: async () => undefined }), rendererDir: RENDERER_DIR, subscribe: (e, l) => core.subscribe(e, l) })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  // Evaluated in the page (strings: this file is type-checked without the DOM library).
  const painted = (): Promise<unknown> => page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))')
  const setHash = (hash: string): Promise<unknown> => page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
  const emptyPage = async (): Promise<void> => {
    await page.goto(`${bridge.url}/#q=none&field=workflow&page=1`)
    await page.reload()
    await page.getByTestId('empty-result').waitFor()
  }
  const summary = (): ReturnType<typeof page.getByTestId> => page.getByTestId('search-summary').filter({ hasText: /2[,\u202f ]?000 workflows/ })
  const listOf = (campaign: string, size: number) => async (): Promise<void> => {
    await setHash(`#q=${campaign}&field=campaign&page=1${size === 100 ? '' : `&size=${size}`}`)
    await summary().waitFor()
    await page.getByTestId('workflow-row').first().waitFor()
    await painted()
  }
  try {
    await page.goto(bridge.openUrl)
    await page.getByTestId('search').waitFor()

    // Cold: nothing of these workflows read yet (first search after start or after an update).
    let started = performance.now()
    await core.search({ text: 'BenchCampaign', field: 'campaign', pageSize: ROWS })
    const apiCold = performance.now() - started
    await emptyPage()
    const [listCold] = await timed(1, async () => undefined, listOf('BenchCampaignB', ROWS))

    const apiTimes = await timed(RUNS, async () => undefined, () => core.search({ text: 'BenchCampaign', field: 'campaign', pageSize: ROWS }))
    const list2000 = await timed(RUNS, emptyPage, listOf('BenchCampaign', ROWS))
    const rowsInDom = await page.getByTestId('workflow-row').count()
    const list100 = await timed(RUNS, emptyPage, listOf('BenchCampaign', 100))
    const summed = await timed(RUNS, emptyPage, async () => {
      await setHash('#q=BenchCampaign&field=campaign&page=1')
      await page.locator('[data-testid="search-chart"][data-series]').waitFor()
      await painted()
    })
    started = performance.now()
    await core.searchHistory('BenchCampaign', 'campaign')
    const summedApi = performance.now() - started

    await setHash('#q=ChartCampaign&field=campaign&page=1')
    await page.getByTestId('workflow-row').first().waitFor()
    // Closing the panel comes before each run, untimed: the figure is click → chart painted.
    const closePanel = async (): Promise<void> => {
      if ((await page.getByTestId('detail-panel').count()) === 0) return
      await page.getByTestId('detail-close').click()
      await page.getByTestId('history-chart').waitFor({ state: 'detached' })
    }
    const chartTimes = await timed(RUNS, closePanel, async () => {
      await page.getByTestId('workflow-row').first().locator('button.workflow-name').click()
      await page.locator('[data-testid="history-chart"][data-series]').waitFor()
      await painted()
    })
    const ms = (values: number[]): number => Math.round(median(values))
    console.log(`# first render in Chromium (median of ${RUNS}; noisy on a shared machine)`)
    console.log(`search of ${ROWS} workflows, handler only:               ${ms(apiTimes)} ms  (cold, documents read: ${apiCold.toFixed(0)} ms)`)
    console.log(`${ROWS}-row result list, hash change → rows painted:     ${ms(list2000)} ms  (cold: ${listCold!.toFixed(0)} ms; ${rowsInDom} rows in the DOM, the rest windowed)`)
    console.log(`100-row page, hash change → rows painted:              ${ms(list100)} ms`)
    console.log(`summed chart of a ${ROWS}-workflow campaign → painted:   ${ms(summed)} ms  (handler alone ${summedApi.toFixed(0)} ms)`)
    console.log(`chart of ${POINTS} points × 3 datasets, click → painted:    ${ms(chartTimes)} ms`)
    console.log(JSON.stringify({
      listMs: ms(list2000), chartMs: ms(chartTimes), searchApiMs: ms(apiTimes),
      list100Ms: ms(list100), list2000Ms: ms(list2000), chart5000Ms: ms(chartTimes), summed2000Ms: ms(summed),
      list2000ColdMs: Math.round(listCold!), searchApiColdMs: Math.round(apiCold)
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
