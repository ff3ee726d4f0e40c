import { useState, type ReactNode } from 'react'
import type { WorkflowDoc } from '../../../shared/stats2-doc'
import { datasetCompletions, newestEntry } from '../../../shared/rules/completion'
import { formatUtc, timeAgo } from '../../../shared/rules/time-ago'
import { MAX_STALL_HOURS, MIN_STALL_HOURS, WATCH_KIND_LABELS, type WatchedItemView } from '../../../shared/watchlist'
import { isBrowserMode } from '../api'
import { useWatchlistContext } from '../hooks/useWatchlist'
import { lastTransition, workflowName } from '../lib/format'
import { webNotificationApi } from '../lib/web-notifications'
import { isInvalidWorkflow, viewName } from '../../../shared/workflow-view'
import { DatasetBar } from './DatasetBar'
import { InvalidWorkflowNotice } from './InvalidWorkflowNotice'
import { PinButton } from './PinButton'
import { SearchLink } from './SearchLink'
import { SafeText } from './SafeText'
import '../styles/results.css'
import '../styles/workflow.css'
import '../styles/watchlist.css'

interface Props {
  now: number
  updateRunning: boolean
  onUpdateWatchlist: () => void
  onOpen: (name: string) => void
}

/** The newest of its last status change and its newest history entry. */
function lastChange(doc: WorkflowDoc): number | undefined {
  const times = [lastTransition(doc)?.UpdateTime, newestEntry(doc.EventNumberHistory)?.Time].filter((t): t is number => typeof t === 'number')
  return times.length > 0 ? Math.max(...times) : undefined
}

function WatchedWorkflow({ doc, now, onOpen }: { doc: WorkflowDoc; now: number; onOpen: (name: string) => void }): ReactNode {
  const name = workflowName(doc)
  const status = lastTransition(doc)
  const changed = lastChange(doc)
  return (
    <div className="watch-workflow" data-testid="watch-workflow" data-name={name} data-status={status?.Status ?? ''}>
      <div className="row-head">
        <button type="button" className="workflow-name mono" onClick={() => onOpen(name)} title="Show the history chart, table and raw JSON">{name}</button>
        <span className="status-name" data-testid="watch-status">{status?.Status ?? 'no status'}</span>
        <span className="muted" data-testid="watch-last-change" title={changed ? `${formatUtc(changed)} UTC` : undefined}>
          {changed ? `last change ${timeAgo(changed, now)} ago` : 'no change recorded'}
        </span>
      </div>
      {datasetCompletions(doc).map((completion) => <DatasetBar key={completion.dataset} completion={completion} workflow={name} />)}
    </div>
  )
}

function WatchedItem({ entry, now, onOpen }: { entry: WatchedItemView; now: number; onOpen: (name: string) => void }): ReactNode {
  const { item, total, workflows, error } = entry
  return (
    <section className="watch-item" data-testid="watch-item" data-kind={item.kind} data-value={item.value} aria-label={`${WATCH_KIND_LABELS[item.kind]} ${item.value}`}>
      <header className="watch-item-head">
        <span className="attr-label">{WATCH_KIND_LABELS[item.kind]}</span>
        <SearchLink className="mono" text={item.value} field={item.kind} />
        <span className="muted">{item.kind === 'workflow' ? '' : `${total} workflow${total === 1 ? '' : 's'}`}{total > workflows.length && item.kind !== 'workflow' ? ` (first ${workflows.length} shown)` : ''}</span>
        <span className="spacer-flex" />
        <PinButton item={item} label />
      </header>
      {error ? <p className="alert alert-error" role="alert">{error}</p> : null}
      {!error && workflows.length === 0 ? (
        <p className="muted watch-empty">{item.kind === 'workflow' ? 'Not in the store yet: the next watchlist update fetches it from ReqMgr2.' : 'No stored workflow has it yet.'}</p>
      ) : null}
      {workflows.map((view) =>
        isInvalidWorkflow(view) ? (
          <div key={view.name} className="watch-workflow" data-testid="watch-workflow" data-name={view.name}>
            <button type="button" className="workflow-name mono" onClick={() => onOpen(view.name)}><SafeText text={view.name} /></button>
            <InvalidWorkflowNotice view={view} compact />
          </div>
        ) : (
          <WatchedWorkflow key={viewName(view)} doc={view} now={now} onOpen={onOpen} />
        )
      )}
    </section>
  )
}

/** Permission for Web Notifications, asked on a click only (browser mode). */
function NotificationPermission(): ReactNode {
  const api = webNotificationApi()
  const [permission, setPermission] = useState(api?.permission)
  if (!isBrowserMode()) return <span className="muted">Desktop notifications are on.</span>
  if (!api) return <span className="muted">This browser has no notifications; events show at the bottom of the window.</span>
  if (permission === 'granted') return <span className="muted" data-testid="notifications-on">Browser notifications are on.</span>
  if (permission === 'denied') return <span className="muted">Notifications are blocked for this page in the browser's site settings.</span>
  return (
    <button type="button" className="button small" data-testid="enable-notifications" onClick={() => void api.requestPermission().then(setPermission)}>
      Enable browser notifications
    </button>
  )
}

/** The Watchlist tab: each pinned item with its workflows, progress bars and last change; settings; the newest notifications. */
export function WatchlistView({ now, updateRunning, onUpdateWatchlist, onOpen }: Props): ReactNode {
  const { view, error, setStallHours } = useWatchlistContext()
  const [stall, setStall] = useState<string>()
  const stallValue = stall ?? String(view?.stallHours ?? '')
  const stallNumber = Number(stallValue)
  const stallValid = Number.isInteger(stallNumber) && stallNumber >= MIN_STALL_HOURS && stallNumber <= MAX_STALL_HOURS
  return (
    <div className="results-pane watchlist-pane" data-testid="watchlist-view">
      <div className="results-head watch-toolbar">
        <h2 className="watch-title">Watchlist</h2>
        <button
          type="button"
          className="button small primary"
          data-testid="update-watchlist"
          disabled={updateRunning || !view || view.items.length === 0}
          onClick={onUpdateWatchlist}
          title="Fetch the pinned workflows from ReqMgr2 and DBS now"
        >
          Update watchlist
        </button>
        <label className="watch-stall" title="A running workflow with no new events for this long raises a notification">
          Stalled after{' '}
          <input
            type="number"
            min={MIN_STALL_HOURS}
            max={MAX_STALL_HOURS}
            value={stallValue}
            aria-invalid={!stallValid}
            data-testid="stall-hours"
            onChange={(event) => setStall(event.target.value)}
            onBlur={() => {
              if (stallValid && stallNumber !== view?.stallHours) setStallHours(stallNumber)
              setStall(undefined)
            }}
          />{' '}
          h without new events
        </label>
        <span className="spacer-flex" />
        <NotificationPermission />
      </div>
      {error ? <p className="alert alert-error" role="alert">{error}</p> : null}
      {view && view.items.length === 0 ? (
        <div className="empty-state" data-testid="watchlist-empty">
          <p>Nothing pinned yet.</p>
          <p className="muted">Pin a workflow with ☆ on its row or its panel, or a PrepID or campaign from its search. Pinned workflows are updated first and notify you when a dataset becomes VALID, a final status is reached, progress stalls or an update fails.</p>
        </div>
      ) : null}
      {view?.items.map((entry) => <WatchedItem key={`${entry.item.kind}:${entry.item.value}`} entry={entry} now={now} onOpen={onOpen} />)}
      {view && view.recent.length > 0 ? (
        <section className="watch-recent" aria-label="Recent notifications">
          <h3>Recent notifications</h3>
          <ul>
            {view.recent.map((event) => (
              <li key={`${event.id}@${event.time}`} data-testid="watch-event" data-kind={event.kind}>
                <span className="muted" title={`${formatUtc(event.time)} UTC`}>{timeAgo(event.time, now)} ago</span> <strong>{event.title}</strong> {event.body}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  )
}
