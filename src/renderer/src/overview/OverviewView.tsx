import { useCallback, useEffect, useState, type ReactNode } from 'react'
import type { WorkflowProgress } from '../../../shared/ipc-contract'
import type { OverviewDrill } from '../../../shared/overview/drill'
import { isEmptyDrill } from '../../../shared/overview/drill'
import type { OverviewSelection } from '../../../shared/overview/selection'
import { ErrorBoundary } from '../components/ErrorBoundary'
import { formatOverviewHash, parseOverviewHash, type OverviewAddress } from './address'
import { AttentionSection } from './Attention'
import { BoardSection } from './Board'
import { DrillList } from './DrillList'
import { DurationsSection } from './Durations'
import { formatUtc, groupDigits } from './format'
import { SelectionForm } from './SelectionForm'
import { SinceLookSection } from './SinceLook'
import { useLook, useOverviewData } from './useOverview'
import { useReadOnlyService } from '../hooks/readOnlyService'
import '../styles/overview.css'

interface Props {
  now: number
  refreshKey: number
  openName: string | undefined
  onOpen: (name: string) => void
  selected: ReadonlySet<string>
  onSelect: (names: string[], selected: boolean) => void
  progress: ReadonlyMap<string, WorkflowProgress>
  updateRunning: boolean
  updateBlockedReason?: string
  onUpdateSelected: () => void
}

/** The overview's address, followed through Back/Forward; `go` adds a history entry. */
function useOverviewAddress(): { address: OverviewAddress; go: (next: OverviewAddress) => void } {
  const [address, setAddress] = useState(() => parseOverviewHash(location.hash))
  useEffect(() => {
    const changed = (): void => setAddress(parseOverviewHash(location.hash))
    window.addEventListener('hashchange', changed)
    return () => window.removeEventListener('hashchange', changed)
  }, [])
  const go = useCallback((next: OverviewAddress) => {
    location.hash = formatOverviewHash(next)
  }, [])
  return { address, go }
}

/**
 * The operator overview: for the selection in the address, what changed since the last look, the
 * status board, the time in each status, what needs attention; or the workflows behind one cell.
 */
export function OverviewView(props: Props): ReactNode {
  const { address, go } = useOverviewAddress()
  const look = useLook()
  // The read-only dashboard of `stats2 serve`: no updates, no watchlist.
  const service = useReadOnlyService()
  const { selection, drill, page } = address
  const drilled = !isEmptyDrill(drill)
  const state = useOverviewData(selection, String(props.refreshKey), look, !drilled)
  const { view, error, loading } = state
  const select = (next: OverviewSelection): void => go({ selection: next, drill: {}, page: 0 })
  const onDrill = useCallback((next: OverviewDrill) => go({ selection, drill: next, page: 0 }), [go, selection])
  const back = useCallback(() => go({ selection, drill: {}, page: 0 }), [go, selection])

  // Esc leaves a cell's list for the overview (unless a panel or dialog is open: those close first).
  useEffect(() => {
    if (!drilled) return
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key !== 'Escape' || event.defaultPrevented || props.openName || document.querySelector('dialog[open]')) return
      event.preventDefault()
      back()
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [drilled, back, props.openName])

  if (drilled) {
    return (
      <DrillList
        selection={selection}
        drill={drill}
        page={page}
        refreshKey={String(props.refreshKey)}
        now={props.now}
        onPage={(next) => go({ ...address, page: next })}
        onBack={back}
        openName={props.openName}
        onOpen={props.onOpen}
        selected={props.selected}
        onSelect={props.onSelect}
        progress={props.progress}
        update={service ? undefined : { running: props.updateRunning, blockedReason: props.updateBlockedReason, onUpdateSelected: props.onUpdateSelected }}
      />
    )
  }

  return (
    <div className="results-pane overview-pane" data-testid="overview-view" aria-busy={loading}>
      <div className="results-head overview-head">
        <h2 className="overview-title">Overview</h2>
        <SelectionForm selection={selection} watchlist={!service} onSelect={select} />
        <span className="spacer-flex" />
        {view ? (
          <span className="muted overview-stamp" data-testid="overview-stamp">
            {groupDigits(view.total)} workflow{view.total === 1 ? '' : 's'} · as of {formatUtc(view.now)} UTC{loading ? ' · refreshing…' : ''}
          </span>
        ) : null}
      </div>
      {error ? <p className="alert alert-error" role="alert" data-testid="overview-error">The overview could not be made: {error}</p> : null}
      {!view && !error ? <div className="empty-state"><p className="muted">Reading the facts of every workflow… (the first time on a large store takes a while)</p></div> : null}
      {view && view.total === 0 ? (
        <div className="empty-state" data-testid="overview-empty">
          <p>No stored workflow is in {view.label}.</p>
          <p className="muted">Check the spelling, choose another selection, or search for it: the search also matches the start of names, PrepIDs and datasets.</p>
        </div>
      ) : null}
      {view && view.notReadable.count > 0 ? (
        <div className="alert alert-warning" role="status" data-testid="overview-not-readable">
          <strong>{groupDigits(view.notReadable.count)} not readable:</strong> their stored documents do not fit the Stats2 schema and are counted nowhere else.{' '}
          {view.notReadable.examples.slice(0, 5).map((example, index) => (
            <span key={example.workflow}>
              {index > 0 ? ', ' : ''}
              <button type="button" className="cell-link mono" onClick={() => props.onOpen(example.workflow)} title={example.issue}>{example.workflow}</button>
            </span>
          ))}
          {view.notReadable.count > 5 ? ' …' : ''}
        </div>
      ) : null}
      {view && view.total > 0 ? (
        <>
          <ErrorBoundary what="since your last look" resetKey={view}>
            <SinceLookSection view={view} onOpen={props.onOpen} />
          </ErrorBoundary>
          <ErrorBoundary what="the status board" resetKey={view}>
            <BoardSection view={view} now={props.now} onDrill={onDrill} />
          </ErrorBoundary>
          <ErrorBoundary what="the time in each status" resetKey={view}>
            <DurationsSection view={view} onDrill={onDrill} onOpen={props.onOpen} />
          </ErrorBoundary>
          <ErrorBoundary what="what needs attention" resetKey={view}>
            <AttentionSection view={view} onDrill={onDrill} onOpen={props.onOpen} />
          </ErrorBoundary>
        </>
      ) : null}
    </div>
  )
}
