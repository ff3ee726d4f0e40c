import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { SearchField } from '../../shared/search-types'
import { getApi } from './api'
import { AppHeader } from './components/AppHeader'
import { ErrorBoundary } from './components/ErrorBoundary'
import { FailedDialog } from './components/FailedDialog'
import { ResultsPanel } from './components/ResultsPanel'
import { SearchBar } from './components/SearchBar'
import { SettingsDialog } from './components/SettingsDialog'
import { UpdaterBar } from './components/UpdaterBar'
import { ReplicaBar } from './components/ReplicaBar'
import { useReplica } from './hooks/useReplica'
import { WelcomeCard } from './components/WelcomeCard'
import { WorkflowPanel } from './components/WorkflowPanel'
import { WatchlistView } from './components/WatchlistView'
import { WatchlistContext, useWatchlist } from './hooks/useWatchlist'
import { useView } from './hooks/useView'
import { useNotify } from './hooks/notices'
import { SearchNavigationContext } from './hooks/searchNavigation'
import { useGlobalKeys } from './hooks/useGlobalKeys'
import { ReadOnlyServiceContext } from './hooks/readOnlyService'
import { useHashQuery } from './hooks/useHashQuery'
import { useNow } from './hooks/useNow'
import { useSearch } from './hooks/useSearch'
import { useStatus } from './hooks/useStatus'
import { useUpdater } from './hooks/useUpdater'
import { attributeQuery } from './lib/hash-query'
import { MAX_SELECTED, isRunning, progressByName } from './lib/updater-view'
import './styles/tabs.css'
import { OverviewView } from './overview/OverviewView'
import { LookContext, useLookAtStart, useSinceBadge } from './overview/useOverview'

export function App(): ReactNode {
  const notify = useNotify()
  const now = useNow()
  const { status, error: statusError, refresh: refreshStatus, setStatus } = useStatus()
  const { query, nonce, navigate } = useHashQuery()
  const [refreshKey, setRefreshKey] = useState(0)
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [openName, setOpenName] = useState<string>()
  const [settingsOpen, setSettingsOpen] = useState(false)
  const [failedOpen, setFailedOpen] = useState(false)
  const searchRef = useRef<HTMLInputElement>(null)
  const mainRef = useRef<HTMLElement>(null)
  // What had the focus when a workflow was opened: it gets it back when the panel closes.
  const opener = useRef<{ element: Element | null; name: string } | undefined>(undefined)
  const { view, showWatchlist, showOverview } = useView()
  // This operator's last look (recorded once per page) and the changes since, for the tab's badge.
  const look = useLookAtStart()
  const sinceCount = useSinceBadge(look, String(refreshKey))
  const lastSearch = useRef(query)
  if (view === 'search') lastSearch.current = query

  const refreshAll = useCallback(() => {
    setRefreshKey((value) => value + 1)
    refreshStatus()
  }, [refreshStatus])

  const updater = useUpdater(refreshAll)
  const replica = useReplica(refreshAll)
  const running = isRunning(updater.state)
  const unconfigured = status?.mode === 'unconfigured'
  // The dashboard of `stats2 serve`: reading only, without any update, settings or pin controls.
  const service = status?.readOnlyService === true
  // A store opened without write rights: everything reads, updates are disabled (main says why).
  const readOnlyReason = status?.store.readOnly ? (status.store.readOnlyReason ?? 'The database is open read-only.') : undefined
  // Without a certificate an empty store has nothing to show: the welcome card replaces the results.
  const welcomeOnly = unconfigured && !(status.store.workflows > 0)
  const search = useSearch(query, `${refreshKey}:${nonce}`, !welcomeOnly && view === 'search')
  const watchlist = useWatchlist(refreshKey)
  const progress = useMemo(() => (updater.state?.scope === 'names' ? progressByName(updater.state) : new Map()), [updater.state])

  const openWorkflow = useCallback((name: string) => {
    opener.current = { element: document.activeElement, name }
    setOpenName(name)
  }, [])

  useEffect(() => {
    if (openName !== undefined || !opener.current) return
    const { element, name } = opener.current
    opener.current = undefined
    const target = element instanceof HTMLElement && element.isConnected && element !== document.body
      ? element
      : document.querySelector<HTMLElement>(`[data-testid="workflow-row"][data-name="${CSS.escape(name)}"] .workflow-name`)
    target?.focus()
  }, [openName])

  const searchFor = useCallback((text: string, field: SearchField) => navigate(attributeQuery(text, field, query.pageSize)), [navigate, query.pageSize])

  const onSelect = useCallback((names: string[], value: boolean) => {
    setSelected((previous) => {
      const next = new Set(previous)
      for (const name of names) {
        if (value) next.add(name)
        else next.delete(name)
      }
      return next
    })
  }, [])

  const updateSelected = (names: string[]): void => {
    if (names.length > MAX_SELECTED) {
      notify(`Select at most ${MAX_SELECTED} workflows for one update.`, 'error')
      return
    }
    void updater.updateSelected(names)
  }

  const stopDemo = async (): Promise<void> => {
    const result = await getApi().stopDemo({})
    if (result.ok) {
      setStatus(result.value)
      setOpenName(undefined)
      setSelected(new Set())
      setRefreshKey((value) => value + 1)
    } else {
      notify(`The demo could not stop: ${result.error.message}`, 'error')
    }
  }

  useGlobalKeys({
    focusSearch: () => {
      searchRef.current?.focus()
      searchRef.current?.select()
    },
    escape: () => {
      if (settingsOpen || failedOpen || document.querySelector('dialog[open]')) return false
      if (openName) {
        setOpenName(undefined)
        return true
      }
      return false
    }
  })

  // What a list of workflows needs, in the search results and in an overview cell's list alike.
  const listing = {
    now, selected, onSelect, openName, onOpen: openWorkflow, progress,
    updateRunning: running, updateBlockedReason: readOnlyReason, onUpdateSelected: () => updateSelected([...selected])
  }

  return (
    <SearchNavigationContext.Provider value={searchFor}>
      <LookContext.Provider value={look}>
      <WatchlistContext.Provider value={watchlist}>
      <ReadOnlyServiceContext.Provider value={service}>
      <div className={`app${openName ? ' has-detail' : ''}`}>
        <a
          className="skip-link"
          href="#main-content"
          onClick={(event) => {
            // The hash holds the search: move the focus without touching it.
            event.preventDefault()
            mainRef.current?.focus()
          }}
        >
          Skip to the main content
        </a>
        <AppHeader
          status={status}
          service={service}
          statusError={statusError}
          now={now}
          updater={updater}
          readOnlyReason={readOnlyReason}
          onUpdateAll={() => void updater.updateAll()}
          replicaRunning={replica.state?.state === 'running'}
          onPull={() => void replica.pull()}
          onOpenFailed={() => setFailedOpen(true)}
          onOpenSettings={() => setSettingsOpen(true)}
          onStopDemo={() => void stopDemo()}
        />
        <UpdaterBar state={updater.state} error={updater.error} onCancel={() => void updater.cancel()} onDismissError={updater.clearError} />
        {status?.replica || replica.state?.state === 'running' ? (
          <ReplicaBar source={status?.replica?.source ?? ''} state={replica.state} error={replica.error} onStop={() => void replica.stop()} onDismissError={replica.clearError} />
        ) : null}
        {readOnlyReason ? (
          <section className="read-only-notice" aria-label="Read-only database" data-testid="read-only-notice">
            <strong>Read-only.</strong> {readOnlyReason}
            <button type="button" className="button small" onClick={() => setSettingsOpen(true)}>Database settings</button>
          </section>
        ) : null}
        <div className="search-row">
          <nav className="view-tabs" aria-label="Views">
            <button type="button" className={`tab${view === 'search' ? ' is-active' : ''}`} aria-current={view === 'search' ? 'page' : undefined} data-testid="view-search" onClick={() => navigate(lastSearch.current)}>Search</button>
            {service ? null : (
              <button type="button" className={`tab${view === 'watchlist' ? ' is-active' : ''}`} aria-current={view === 'watchlist' ? 'page' : undefined} data-testid="view-watchlist" onClick={showWatchlist}>
                ★ Watchlist{watchlist.view && watchlist.view.items.length > 0 ? ` (${watchlist.view.items.length})` : ''}
              </button>
            )}
            <button type="button" className={`tab${view === 'overview' ? ' is-active' : ''}`} aria-current={view === 'overview' ? 'page' : undefined} data-testid="view-overview" onClick={showOverview}>
              Overview{sinceCount ? <span className="count-badge" data-testid="since-badge" aria-label={`, ${sinceCount} changes since your last look`}>{sinceCount > 999 ? '999+' : sinceCount}</span> : null}
            </button>
          </nav>
          <SearchBar query={query} onSearch={(text, field) => navigate({ text, field, page: 0, pageSize: query.pageSize })} inputRef={searchRef} loading={search.loading} />
        </div>
        <main className="app-main" id="main-content" ref={mainRef} tabIndex={-1}>
          {view === 'overview' ? (
            <ErrorBoundary what="the overview" resetKey={refreshKey} className="results-pane">
              <OverviewView {...listing} refreshKey={refreshKey} />
            </ErrorBoundary>
          ) : view === 'watchlist' && !service ? (
            <ErrorBoundary what="the watchlist" resetKey={refreshKey} className="results-pane">
              <WatchlistView now={now} updateRunning={running} onUpdateWatchlist={() => void updater.updateWatchlist()} onOpen={openWorkflow} />
            </ErrorBoundary>
          ) : welcomeOnly ? (
            <div className="results-pane">
              <WelcomeCard onOpenSettings={() => setSettingsOpen(true)} onDemoStarted={refreshAll} />
            </div>
          ) : (
            <ErrorBoundary what="the search results" resetKey={`${refreshKey}#${nonce}#${JSON.stringify(query)}`} className="results-pane">
              <ResultsPanel
                banner={unconfigured ? <WelcomeCard compact onOpenSettings={() => setSettingsOpen(true)} onDemoStarted={refreshAll} /> : null}
                query={query}
                search={search}
                refreshKey={refreshKey}
                {...listing}
                onClearSelection={() => setSelected(new Set())}
                onNavigate={navigate}
              />
            </ErrorBoundary>
          )}
          {openName ? (
            <ErrorBoundary what={`the panel of ${openName}`} resetKey={`${openName}#${refreshKey}`} className="detail-panel">
              <WorkflowPanel name={openName} now={now} refreshKey={refreshKey} onClose={() => setOpenName(undefined)} />
            </ErrorBoundary>
          ) : null}
        </main>
      </div>
      {settingsOpen && !service ? <SettingsDialog onClose={() => setSettingsOpen(false)} /> : null}
      {failedOpen && status ? (
        <FailedDialog
          failed={status.failed}
          updateRunning={running || readOnlyReason !== undefined}
          canUpdate={!service}
          onClose={() => setFailedOpen(false)}
          onRetry={(names) => {
            setFailedOpen(false)
            updateSelected(names)
          }}
        />
      ) : null}
      </ReadOnlyServiceContext.Provider>
      </WatchlistContext.Provider>
      </LookContext.Provider>
    </SearchNavigationContext.Provider>
  )
}
