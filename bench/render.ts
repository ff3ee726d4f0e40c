/**
 * `npm run bench:render`: first render, in Debian's Chromium, of a 2 000-row result list and of a
 * workflow chart with 5 000 history points per dataset — the renderer served by the browser-mode
 * bridge, answered by the real handlers over an embedded store filled for the purpose.
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

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'stats2-render-bench-'))
  const core = await AppCore.create({ userDataDir: join(work, 'user'), env: { HOME: work, STATS2_DATA_DIR: join(work, 'store') }, secrets: new MemorySecretStore() })
  const store = await core.activeStore()
  for (let i = 0; i < ROWS; i += 500) await store.saveWorkflows(Array.from({ length: 500 }, (_, j) => workflow(i + j, 12)))
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
  try {
    await page.goto(bridge.openUrl)
    await page.getByTestId('search').waitFor()

    const apiTimes: number[] = []
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now()
      await core.search({ text: 'BenchCampaign', field: 'campaign', pageSize: ROWS })
      apiTimes.push(performance.now() - started)
    }
    const listTimes: number[] = []
    for (let run = 0; run < RUNS; run++) {
      await page.goto(`${bridge.url}/#q=none&field=workflow&page=1`)
      await page.reload()
      await page.getByTestId('empty-result').waitFor()
      const started = performance.now()
      await setHash('#q=BenchCampaign&field=campaign&page=1&size=2000')
      await page.getByTestId('search-summary').filter({ hasText: /2[,\u202f ]?000 workflows/ }).waitFor()
      await page.getByTestId('workflow-row').first().waitFor()
      await painted()
      listTimes.push(performance.now() - started)
    }
    const rowsInDom = await page.getByTestId('workflow-row').count()

    const chartTimes: number[] = []
    await setHash('#q=ChartCampaign&field=campaign&page=1')
    await page.getByTestId('workflow-row').first().waitFor()
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now()
      await page.getByTestId('workflow-row').first().locator('button.workflow-name').click()
      await page.locator('[data-testid="history-chart"][data-series]').waitFor()
      await painted()
      chartTimes.push(performance.now() - started)
      await page.getByTestId('detail-close').click()
      await page.getByTestId('history-chart').waitFor({ state: 'detached' })
    }
    console.log(`# first render in Chromium (median of ${RUNS})`)
    console.log(`search of ${ROWS} workflows, handler only:            ${median(apiTimes).toFixed(0)} ms`)
    console.log(`${ROWS}-row result list, hash change → rows painted:  ${median(listTimes).toFixed(0)} ms  (${rowsInDom} rows in the DOM, the rest windowed)`)
    console.log(`chart of ${POINTS} points × 3 datasets, click → painted: ${median(chartTimes).toFixed(0)} ms`)
    console.log(JSON.stringify({ listMs: Math.round(median(listTimes)), chartMs: Math.round(median(chartTimes)), searchApiMs: Math.round(median(apiTimes)) }))
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
