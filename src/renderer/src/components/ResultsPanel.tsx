import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react'
import type { WorkflowProgress } from '../../../shared/ipc-contract'
import type { QueryState } from '../lib/hash-query'
import { getApi } from '../api'
import { describeResult, emptyExplanation } from '../lib/search-summary'
import { PinButton } from './PinButton'
import { MAX_SELECTED } from '../lib/updater-view'
import type { SearchState } from '../hooks/useSearch'
import { useReadOnlyService } from '../hooks/readOnlyService'
import { ErrorBoundary } from './ErrorBoundary'
import { ExportButtons } from './ExportButtons'
import { Pager } from './Pager'
import { ResultsList } from './ResultsList'
import { SearchChart } from './SearchChart'
import '../styles/results.css'

const CHART_KEY = 'stats2.showSearchChart'

interface Props {
  /** Shown above everything (the setup banner). */
  banner?: ReactNode
  query: QueryState
  search: SearchState
  refreshKey: number
  now: number
  selected: ReadonlySet<string>
  onSelect: (names: string[], selected: boolean) => void
  onClearSelection: () => void
  openName: string | undefined
  onOpen: (name: string) => void
  progress: ReadonlyMap<string, WorkflowProgress>
  updateRunning: boolean
  /** Why updates are disabled (a read-only store), if they are. */
  updateBlockedReason?: string
  onUpdateSelected: () => void
  onNavigate: (query: QueryState) => void
}

function readChartPreference(): boolean {
  try {
    return localStorage.getItem(CHART_KEY) !== '0'
  } catch {
    return true
  }
}

/** What the search found: how it was read, the summed chart, selection and exports, the rows, paging. */
export function ResultsPanel(props: Props): ReactNode {
  const { query, search, now, selected, progress } = props
  const scrollRef = useRef<HTMLDivElement>(null)
  const listRef = useRef<HTMLDivElement>(null)
  const [showChart, setShowChart] = useState(readChartPreference)
  // Selection only serves updating: the read-only service has neither.
  const selectable = !useReadOnlyService()
  const result = search.result
  const rows = result?.rows ?? []
  // Only documents that fit can be selected for an update (an invalid one shows its raw JSON instead).
  const pageNames = rows.filter((row) => row.raw === undefined).map((row) => row.name)
  const selectedOnPage = pageNames.filter((name) => selected.has(name)).length
  const allOnPage = pageNames.length > 0 && selectedOnPage === pageNames.length
  const { onSelect } = props
  const onToggle = useCallback((name: string, value: boolean) => onSelect([name], value), [onSelect])

  // A new query starts at the top: scrolled in the next frame, whose layout it then shares; here it
  // would force a layout of the page before the search is even sent (this effect runs before App's).
  useEffect(() => {
    const id = requestAnimationFrame(() => scrollRef.current?.scrollTo({ top: 0 }))
    return () => cancelAnimationFrame(id)
  }, [query])

  // One workflow found (a name or PrepID searched for): it is likely opened next, so main reads its
  // document into the chart cache now and the panel's chart answers from memory. The answer here
  // is dropped; an invalid row has nothing to chart.
  const only = result?.total === 1 && rows.length === 1 && rows[0]!.raw === undefined ? rows[0]!.name : undefined
  useEffect(() => {
    if (only !== undefined) void getApi().getWorkflowChart({ name: only })
  }, [only, props.refreshKey])

  const toggleChart = (): void => {
    setShowChart((value) => {
      try {
        localStorage.setItem(CHART_KEY, value ? '0' : '1')
      } catch {
        // not kept: fine
      }
      return !value
    })
  }

  const toPage = (page: number): void => props.onNavigate({ ...query, page })
  const toPageSize = (pageSize: number): void => props.onNavigate({ ...query, page: 0, pageSize })

  return (
    <div className="results-pane" ref={scrollRef} aria-busy={search.loading}>
      {props.banner}
      {search.error ? (
        <div className="alert alert-error" role="alert" data-testid="search-error">
          <strong>The search could not run:</strong> {search.error.message.replace(/^text:\s*/, '').replace(/\.?$/, '.')}
          {search.error.code === 'invalid-argument' ? <div className="muted">Search for one PrepID, dataset, campaign, type, processing string, task request or workflow name at a time.</div> : null}
        </div>
      ) : null}
      {result ? (
        <>
          <div className="results-head">
            <p className="search-summary" data-testid="search-summary" aria-live="polite">
              {describeResult(result)}
              {search.loading ? <span className="muted"> · refreshing…</span> : null}
            </p>
            {result.total > 0 && !result.prefix && (result.field === 'prepid' || result.field === 'campaign') && result.text.trim() ? (
              <PinButton item={{ kind: result.field, value: result.text.trim() }} label />
            ) : null}
            {result.total > 0 ? (
              <button type="button" className="button small ghost" onClick={toggleChart} aria-expanded={showChart} aria-controls="search-chart-section">
                {showChart ? 'Hide chart' : 'Show chart'}
              </button>
            ) : null}
          </div>
          {result.total > 0 && showChart ? (
            <div id="search-chart-section">
              <ErrorBoundary what="the summed chart" resetKey={`${query.text}#${query.field}#${props.refreshKey}`}>
                <SearchChart text={query.text} field={query.field} refreshKey={props.refreshKey} />
              </ErrorBoundary>
            </div>
          ) : null}
          {result.total > 0 ? (
            <div className="results-toolbar">
              {selectable ? (
                <>
                  <label className="select-page">
                    <input
                      type="checkbox"
                      data-testid="select-page"
                      checked={allOnPage}
                      ref={(element) => {
                        if (element) element.indeterminate = selectedOnPage > 0 && !allOnPage
                      }}
                      onChange={(event) => props.onSelect(pageNames, event.target.checked)}
                      aria-label="Select every workflow on this page"
                    />
                    <span>All on page</span>
                  </label>
                  <span className="selected-count" data-testid="selected-count">
                    {selected.size > 0 ? `${selected.size} selected` : 'none selected'}
                  </span>
                  {selected.size > 0 ? <button type="button" className="button small ghost" onClick={props.onClearSelection}>Clear</button> : null}
                  <button
                    type="button"
                    className="button small primary"
                    data-testid="update-selected"
                    disabled={selected.size === 0 || selected.size > MAX_SELECTED || props.updateRunning || props.updateBlockedReason !== undefined}
                    title={props.updateBlockedReason ?? (selected.size > MAX_SELECTED ? `At most ${MAX_SELECTED} workflows at a time` : props.updateRunning ? 'An update is running' : 'Fetch the selected workflows from ReqMgr2 and DBS now')}
                    onClick={props.onUpdateSelected}
                  >
                    Update selected{selected.size > 0 ? ` (${selected.size})` : ''}
                  </button>
                </>
              ) : null}
              <span className="spacer-flex" />
              <ExportButtons text={query.text} field={query.field} disabled={result.total === 0} />
              <Pager page={result.page} pageSize={result.pageSize} total={result.total} onPage={toPage} onPageSize={toPageSize} position="top" />
            </div>
          ) : null}
          {result.total === 0 ? (
            <div className="empty-state" data-testid="empty-result">
              <p>{emptyExplanation(result.field, query.field)}</p>
              <p className="muted">Try the start of a PrepID or workflow name, a dataset starting with “/”, a campaign, or clear the box to list every workflow.</p>
            </div>
          ) : rows.length === 0 ? (
            <div className="empty-state"><p>This page is past the last one.</p></div>
          ) : (
            <ResultsList
              rows={rows}
              now={now}
              selected={selected}
              openName={props.openName}
              progress={progress}
              onToggle={onToggle}
              onOpen={props.onOpen}
              scrollRef={scrollRef}
              listRef={listRef}
            />
          )}
          {result.total > result.pageSize ? (
            <div className="results-foot">
              <Pager page={result.page} pageSize={result.pageSize} total={result.total} onPage={toPage} position="bottom" />
            </div>
          ) : null}
        </>
      ) : search.loading ? (
        <div className="empty-state"><p className="muted">Searching…</p></div>
      ) : null}
    </div>
  )
}
