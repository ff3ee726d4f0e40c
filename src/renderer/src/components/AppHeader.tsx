import type { ReactNode } from 'react'
import type { AppStatus, UpdaterState } from '../../../shared/ipc-contract'
import { StatusLine } from './StatusLine'
import '../styles/header.css'

interface Props {
  status: AppStatus | undefined
  statusError: string | undefined
  now: number
  updater: { state: UpdaterState | undefined }
  /** Set when the store is read-only: the update button is disabled and says why. */
  readOnlyReason?: string
  /** The read-only dashboard of `stats2 serve`: no Update all, demo or Settings buttons at all. */
  service?: boolean
  onUpdateAll: () => void
  onOpenFailed: () => void
  onOpenSettings: () => void
  onStopDemo: () => void
}

/** Name, DEMO badge, store status, failed workflows, Update all, Stop demo, Settings (not in the read-only service). */
export function AppHeader(props: Props): ReactNode {
  const { status, now } = props
  const demo = status?.mode === 'demo'
  const failed = status?.failed.length ?? 0
  return (
    <header className="app-header">
      <div className="brand">
        <h1 className="brand-name">Stats2</h1>
        {demo ? (
          <span
            className="demo-badge"
            data-testid="demo-badge"
            title={status.demo ? `Demo: ${status.demo.workflows} generated workflows (${status.demo.scenario}), simulated step ${status.demo.step} of ${status.demo.steps}. Nothing here is real.` : 'Demo data: nothing here is real'}
          >
            DEMO{status.demo ? ` · step ${status.demo.step}/${status.demo.steps}` : ''}
          </span>
        ) : null}
      </div>
      <div className="header-status">
        <StatusLine status={status} error={props.statusError} now={now} updateRunning={props.updater.state?.state === 'running'} />
        {failed > 0 ? (
          <button type="button" className="button small failed-button" onClick={props.onOpenFailed} data-testid="failed-count" title="The workflows the last runs could not update, with reasons">
            {failed} failed
          </button>
        ) : null}
      </div>
      {/* Once the status says which dashboard this is (an error still offers Settings to fix it). */}
      {(status || props.statusError) && !props.service ? (
        <div className="header-actions">
          <button
            type="button"
            className="button primary"
            data-testid="update-all"
            onClick={props.onUpdateAll}
            disabled={!status || status.mode === 'unconfigured' || props.updater.state?.state === 'running' || props.readOnlyReason !== undefined}
            title={props.readOnlyReason ?? 'Read the ReqMgr2 changes feed, update the changed workflows and recalculate their event history'}
          >
            Update all
          </button>
          {demo ? <button type="button" className="button" onClick={props.onStopDemo} data-testid="stop-demo">Stop demo</button> : null}
          <button type="button" className="button" onClick={props.onOpenSettings} data-testid="open-settings">
            <span aria-hidden="true">⚙</span> Settings
          </button>
        </div>
      ) : null}
    </header>
  )
}
