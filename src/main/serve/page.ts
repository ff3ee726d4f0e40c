/**
 * The front page (`/`, `/<page>`): server-rendered HTML that works without JavaScript, showing what
 * the old Stats2 page showed. Drawn from the row view model (read-model.ts `rowOf`: the document
 * schema and rules/workflow-row.ts), never from the raw document: a document that does not fit is one
 * row marked invalid with its reasons. Every value is escaped, bidirectional controls in values are
 * shown as visible marks and names are isolated (`<bdi>`); links inside the service are relative to
 * `<base href>` (the base path), as in the old page.
 */
import type { WorkflowRow, WorkflowRowStatus } from '../../shared/search-types'
import { formatPercent, typeColour } from '../../shared/rules/completion'
import {
  campaignLink, dasDatasetLink, harvestingLink, pdmvLink, pmpLink, reqmgrLink, serviceOfPrepId, unifiedLink, wmstatsLink
} from '../../shared/rules/links'
import { timeAgo } from '../../shared/rules/time-ago'
import { groupDigits, humanSize } from '../../shared/rules/size'
import { tierOf } from '../../shared/rules/tiers'
import { showBidiControls } from '../../shared/rules/bidi'
import { FIELD_OF, type Selector } from './query'

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** A stored value as HTML text: escaped, its bidirectional controls visible. */
const text = (value: string): string => escapeHtml(showBidiControls(value))

/** encodeURIComponent that never throws: a lone UTF-16 surrogate (not text) becomes U+FFFD. */
const enc = (value: string): string =>
  encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'))

/** `YYYY-MM-DD HH:MM:SS` in the server's local time, as the old page printed it. */
export function localTime(seconds: number): string {
  const d = new Date(seconds * 1000)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

/** A link inside the service: `0?<param>=<value>` (page 0 of that selector), isolated from the text around it. */
const filterLink = (param: string, value: string, label: string = value): string =>
  `<bdi><a href="0?${param}=${escapeHtml(enc(value))}">${text(label)}</a></bdi>`

const external = (url: string, label: string): string =>
  `<a class="ext" rel="noreferrer noopener" target="_blank" href="${escapeHtml(url)}">${escapeHtml(label)}</a>`

function when(seconds: number | undefined, now: number): string {
  if (seconds === undefined) return '<span class="muted">unknown</span>'
  return `${escapeHtml(timeAgo(seconds, now))} ago <small>(${escapeHtml(localTime(seconds))})</small>`
}

function line(label: string, html: string): string {
  return `<div><small>${escapeHtml(label)}:</small> ${html}</div>`
}

function status(label: string, entry: WorkflowRowStatus, now: number): string {
  return line(label, `${text(entry.status)} <small>was set</small> ${when(entry.time, now)}`)
}

/** One listed workflow: its id (the JSON link) and its row view model. */
export interface PageRow {
  id: string
  row: WorkflowRow
}

function invalidNote(row: WorkflowRow): string {
  if (!row.invalid) return ''
  const issues = (row.issues ?? []).map((issue) => `<li>${text(issue)}</li>`).join('')
  return `<div class="invalid-note"><strong>This stored document does not have the Stats2 shape</strong>; what could be read is shown.<ul>${issues}</ul></div>`
}

function workflowCell({ id, row }: PageRow, now: number): string {
  const name = row.name !== '' ? row.name : id
  const { unit, total } = row.expected
  const parts = [invalidNote(row), line('Name', filterLink('workflow_name', name))]
  if (row.prepId) parts.push(line('PrepID', filterLink('prepid', row.prepId)))
  if (row.requestType) parts.push(line('Type', filterLink('type', row.requestType)))
  const totalHtml = total >= 0 ? escapeHtml(groupDigits(total)) : '<span class="muted">unknown</span>'
  parts.push(line(unit === 'lumis' ? 'Total lumisections' : 'Total events', totalHtml))
  parts.push(line('Priority', escapeHtml(groupDigits(row.priority))))
  parts.push(line('Last update', when(row.lastUpdate, now)))
  const last = row.lastStatus ?? row.firstStatus
  if (row.firstStatus) parts.push(status('First status', row.firstStatus, now))
  if (last) parts.push(status('Last status', last, now))
  if (row.processingString) parts.push(line('Processing string', filterLink('processing_string', row.processingString)))
  if (row.inputDataset) {
    parts.push(line('Input dataset', `${filterLink('input_dataset', row.inputDataset)} ${external(dasDatasetLink(row.inputDataset), 'DAS')}`))
  }
  parts.push(
    `<div class="links">${[
      external(reqmgrLink(name), 'ReqMgr2'),
      external(unifiedLink(name), 'Unified'),
      external(wmstatsLink(name), 'WMStats'),
      `<a href="get_json/${escapeHtml(enc(id))}">JSON</a>`
    ].join(' ')}</div>`
  )
  return `<td class="workflow${row.invalid ? ' invalid' : ''}">${parts.join('')}</td>`
}

function relatedCell(row: WorkflowRow): string {
  const prepId = row.prepId ?? ''
  let requests = row.requests
  let requestParam = 'request'
  // The old page listed the PrepID as the request when a workflow had no task requests.
  if (requests.length === 0 && prepId) {
    requests = [prepId]
    requestParam = 'prepid'
  }
  const mcm = serviceOfPrepId(prepId) === 'mcm'
  const items: string[] = []
  if (requests.length > 0) {
    const list = requests.map((request) => {
      const service = pdmvLink(request)
      const links = [service ? external(service, serviceName(request)) : '', external(pmpLink(request), 'pMp')].filter(Boolean).join(' ')
      return `<li>${filterLink(requestParam, request)} <small>${links}</small></li>`
    })
    items.push(`<li><small>Requests (tasks/steps):</small><ul>${list.join('')}</ul></li>`)
  }
  if (row.campaigns.length > 0) {
    const list = row.campaigns.map((campaign) => {
      const links = [mcm ? external(campaignLink(campaign), 'McM') : '', external(pmpLink(campaign), 'pMp')].filter(Boolean).join(' ')
      return `<li>${filterLink('campaign', campaign)} <small>${links}</small></li>`
    })
    items.push(`<li><small>Campaigns:</small><ul>${list.join('')}</ul></li>`)
  }
  return `<td class="related"><ul class="plain">${items.join('')}</ul></td>`
}

function serviceName(prepId: string): string {
  switch (serviceOfPrepId(prepId)) {
    case 'rereco':
      return 'ReReco'
    case 'relval':
      return 'RelVal'
    default:
      return 'McM'
  }
}

function datasetsCell(row: WorkflowRow, name: string): string {
  const items = row.datasets.map((dataset) => {
    const percent = formatPercent(dataset.percent)
    const value = Math.min(100, Math.max(0, dataset.percent ?? 0))
    const tier = tierOf(dataset.dataset)
    const parts = [
      `<progress class="bar ${typeColour(dataset.type)}" max="100" value="${value.toFixed(2)}" title="${text(`${dataset.type}, ${percent}`)}">${escapeHtml(percent)}</progress>`,
      `<small>datatier:</small> ${text(tier)},`,
      `<small>completed (on ${dataset.unit === 'lumis' ? 'lumisections' : 'events'}):</small> ${escapeHtml(percent)},`,
      dataset.unit === 'lumis'
        ? `<small>lumisections:</small> ${escapeHtml(groupDigits(dataset.lumis))},`
        : `<small>events:</small> ${escapeHtml(groupDigits(dataset.events))},`
    ]
    if (dataset.size > 0) parts.push(`<small>size:</small> <span title="${escapeHtml(`${dataset.size} bytes`)}">${escapeHtml(humanSize(dataset.size))}</span>,`)
    parts.push(`<small>type:</small> <b class="type ${typeColour(dataset.type)}">${text(dataset.type)}</b>,`)
    parts.push(external(dasDatasetLink(dataset.dataset), 'DAS'))
    if (tier === 'DQMIO') parts.push(external(harvestingLink(name), 'harvesting'))
    return `<li class="dataset">${parts.join(' ')}<br><small>${filterLink('output_dataset', dataset.dataset)}</small></li>`
  })
  return `<td class="datasets"><ul>${items.join('')}</ul></td>`
}

export interface FrontPageModel {
  basePath: string
  /** The request's raw query string (without `?`), kept by Previous/Next and the Markdown link. */
  query: string
  selector: Selector | undefined
  page: number
  /** True when the store gave a full page. */
  hasNext: boolean
  rows: PageRow[]
  totalWorkflows: number
  lastUpdate: number | undefined
  /** Unix seconds. */
  now: number
}

/** `#q=…&field=…&page=N` of the dashboard (1-based page there). */
export function dashboardHash(selector: Selector | undefined, page: number): string {
  const params = new URLSearchParams()
  params.set('q', selector?.value ?? '')
  params.set('field', selector ? FIELD_OF[selector.name] : 'any')
  params.set('page', String(page + 1))
  return `#${params.toString()}`
}

export function renderFrontPage(model: FrontPageModel): string {
  const base = model.basePath === '/' ? '/' : `${model.basePath}/`
  const query = model.query === '' ? '' : `?${model.query}`
  const rows = model.rows
    .map((entry) => `<tr>${workflowCell(entry, model.now)}${relatedCell(entry.row)}${datasetsCell(entry.row, entry.row.name || entry.id)}</tr>`)
    .join('\n')
  const previous = model.page > 0
    ? `<a class="page-link" href="${model.page - 1}${escapeHtml(query)}">Previous</a>`
    : '<span class="page-link disabled">Previous</span>'
  const next = model.hasNext
    ? `<a class="page-link" href="${model.page + 1}${escapeHtml(query)}">Next</a>`
    : '<span class="page-link disabled">Next</span>'
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="${escapeHtml(base)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="static/stats2.css">
<link rel="icon" href="data:,">
<title>Stats2</title>
</head>
<body>
<header>
<a class="title" href="${escapeHtml(base)}">Stats<sup>2</sup></a>
<ul class="summary">
<li><small>Total workflows in Stats2:</small> <span id="total-workflows">${escapeHtml(model.totalWorkflows)}</span></li>
<li><small>Last update:</small> <span id="last-update">${model.lastUpdate === undefined ? 'never' : escapeHtml(localTime(model.lastUpdate))}</span></li>
<li>
<form action="search" method="get" class="search">
<label for="q"><small>Search:</small></label>
<input type="text" name="q" id="q" maxlength="1000" placeholder="Workflow, PrepID, input or output dataset, campaign, type, …" value="${escapeHtml(model.selector?.value ?? '')}">
<button type="submit">Search</button>
<a class="button" id="markdown-link" href="md${escapeHtml(query)}">Markdown table</a>
<a class="button" id="dashboard-link" href="dashboard/${escapeHtml(dashboardHash(model.selector, model.page))}">Open in the dashboard</a>
</form>
</li>
</ul>
</header>
<table class="workflows">
<thead><tr><th>Workflow</th><th>Requests/Campaigns</th><th>Output datasets</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${model.rows.length === 0 ? '<p class="empty">No workflow matches.</p>\n' : ''}<nav class="pagination">${previous} <span class="page-link current">${model.page}</span> ${next}</nav>
</body>
</html>
`
}

/** The page's stylesheet (served as `static/stats2.css`: the CSP allows no inline style). */
export const FRONT_PAGE_CSS = `body{font-family:system-ui,sans-serif;margin:0 12px;color:#222}
.title{font-size:1.8rem;font-weight:300;text-decoration:none;color:#222}
.title sup{color:#c00}
.summary{list-style:none;padding:0;margin:6px 0}
.summary li{margin:3px 0}
.search input{width:36rem;max-width:70vw;margin:0 6px}
.button,button{border:1px solid #888;border-radius:4px;padding:2px 10px;background:#fff;color:#0645ad;text-decoration:none;font-size:.9rem;margin-left:6px}
table.workflows{border-collapse:collapse;width:100%;font-size:.9rem}
table.workflows th,table.workflows td{border-top:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}
ul.plain{list-style:none;padding-left:0}
.links a{margin-right:8px}
small{color:#666}
.muted{color:#999}
progress.bar{display:block;width:100%;height:8px;appearance:none;border:none;background:#ddd}
progress.bar::-webkit-progress-bar{background:#ddd}
progress.bar.production::-webkit-progress-value{background:#f0a030}
progress.bar.valid::-webkit-progress-value{background:#3070d0}
progress.bar.invalid::-webkit-progress-value{background:#d03030}
progress.bar.other::-webkit-progress-value{background:#444}
progress.bar.production::-moz-progress-bar{background:#f0a030}
progress.bar.valid::-moz-progress-bar{background:#3070d0}
progress.bar.invalid::-moz-progress-bar{background:#d03030}
progress.bar.other::-moz-progress-bar{background:#444}
b.type.production{color:#c07010}
b.type.valid{color:#2050b0}
b.type.invalid{color:#b02020}
.pagination{text-align:center;margin:16px}
.page-link{margin:0 8px}
.page-link.disabled{color:#aaa}
.empty{color:#666}
td.workflow.invalid{background:#fff8e1}
.invalid-note{border-left:3px solid #c07010;padding:2px 6px;margin-bottom:4px}
`
