import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import { isInvalidWorkflow, viewName, type WorkflowChartAnswer, type WorkflowView } from '../../../shared/workflow-view'
import { workflowRow } from '../../../shared/rules/workflow-row'
import { getApi } from '../api'
import { useApiResult } from '../hooks/useApiResult'
import { ErrorBoundary } from './ErrorBoundary'
import { InvalidWorkflowNotice } from './InvalidWorkflowNotice'
import { HistoryTable } from './HistoryTable'
import { RawJson } from './RawJson'
import { WorkflowChart } from './WorkflowChart'
import { PinButton } from './PinButton'
import { WorkflowLinks } from './WorkflowLinks'
import { WorkflowSummary } from './WorkflowSummary'
import { SafeText } from './SafeText'
import { showBidiControls } from '../../../shared/rules/bidi'
import '../styles/tabs.css'
import '../styles/panel.css'

type Tab = 'chart' | 'history' | 'json'

interface Props {
  name: string
  now: number
  /** Changes after an update ended: reload the document. */
  refreshKey: number
  onClose: () => void
}

/** The history table, from the whole document, read only when its tab opens. */
function HistoryTab({ name, now, refreshKey }: { name: string; now: number; refreshKey: number }): ReactNode {
  const { value: view, error } = useApiResult<WorkflowView>(() => getApi().getWorkflow({ name }), `${name}#${refreshKey}`)
  const current = view && viewName(view) === name ? view : undefined
  if (error) return <p className="alert alert-error" role="alert">{error}</p>
  if (!current) return <p className="muted">Loading…</p>
  if (isInvalidWorkflow(current)) return <InvalidWorkflowNotice view={current} />
  return <HistoryTable doc={current} now={now} />
}

/** One workflow in detail: its fields, the history chart, the table of history entries, the raw JSON. */
export function WorkflowPanel({ name, now, refreshKey, onClose }: Props): ReactNode {
  // The summary and the decimated chart series first; the whole document only for the history tab.
  const { value: answer, error } = useApiResult<WorkflowChartAnswer>(() => getApi().getWorkflowChart({ name }), `${name}#${refreshKey}`)
  const [tab, setTab] = useState<Tab>('chart')
  const closeRef = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    closeRef.current?.focus({ preventScroll: true })
  }, [name])

  const current = answer && viewName(isInvalidWorkflow(answer) ? answer : answer.view) === name ? answer : undefined
  const invalid = isInvalidWorkflow(current) ? current : undefined
  const chart = isInvalidWorkflow(current) ? undefined : current
  const shown = chart?.view
  const row = useMemo(() => (chart ? { ...workflowRow(chart.view, name), historyLength: chart.historyLength } : undefined), [chart, name])
  // Tabs as the ARIA pattern has them: one stop for Tab, the arrows (Home, End) move between them.
  const tabKeys = (event: KeyboardEvent<HTMLDivElement>): void => {
    const order = tabs.map(({ id }) => id)
    const at = order.indexOf(tab)
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: order.length - 1 }[event.key]
    if (next === undefined) return
    event.preventDefault()
    const id = order[(next + order.length) % order.length]!
    setTab(id)
    event.currentTarget.querySelector<HTMLElement>(`[data-testid="tab-${id}"]`)?.focus()
  }
  const tabs: Array<{ id: Tab; label: string }> = [
    { id: 'chart', label: 'Chart' },
    { id: 'history', label: `History${chart ? ` (${chart.historyLength})` : ''}` },
    { id: 'json', label: 'Raw JSON' }
  ]
  return (
    <section className="detail-panel" data-testid="detail-panel" aria-label={`Workflow ${name}`}>
      <header className="detail-head">
        <h2 className="mono detail-title" title={showBidiControls(name)}><SafeText text={name} /></h2>
        <PinButton item={{ kind: 'workflow', value: name }} label />
        <button type="button" ref={closeRef} className="button ghost close" onClick={onClose} aria-label="Close the workflow panel (Esc)" data-testid="detail-close">×</button>
      </header>
      {error ? <p className="alert alert-error" role="alert">{error}</p> : null}
      {!current && !error ? <p className="muted detail-body">Loading…</p> : null}
      {invalid ? <div className="detail-body"><InvalidWorkflowNotice view={invalid} /></div> : null}
      {shown && chart ? (
        <ErrorBoundary what={`workflow ${name}`} resetKey={shown} className="detail-body">
          <div className="detail-body">
            <div className="detail-links"><WorkflowLinks inputDataset={row?.inputDataset} name={name} /></div>
            <div className="detail-summary">
              {row ? <WorkflowSummary row={row} now={now} datasets={row.historyLength === 0} /> : null}
            </div>
            <div className="tabs" role="tablist" aria-label="Workflow views" onKeyDown={tabKeys}>
              {tabs.map(({ id, label }) => (
                <button
                  key={id}
                  type="button"
                  role="tab"
                  id={`tab-${id}`}
                  aria-selected={tab === id}
                  tabIndex={tab === id ? 0 : -1}
                  aria-controls={`tabpanel-${id}`}
                  className={`tab${tab === id ? ' is-active' : ''}`}
                  data-testid={`tab-${id}`}
                  onClick={() => setTab(id)}
                >
                  {label}
                </button>
              ))}
            </div>
            <div className="tab-panel" role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`}>
              <ErrorBoundary what={`the ${tab === 'json' ? 'raw JSON' : tab} of ${name}`} resetKey={`${tab}#${refreshKey}`}>
                {tab === 'chart' ? <WorkflowChart name={name} series={chart.series} now={now} /> : null}
                {tab === 'history' ? <HistoryTab name={name} now={now} refreshKey={refreshKey} /> : null}
                {tab === 'json' ? <RawJson name={name} refreshKey={refreshKey} /> : null}
              </ErrorBoundary>
            </div>
          </div>
        </ErrorBoundary>
      ) : null}
    </section>
  )
}
