import { useState, type ReactNode } from 'react'
import { getApi } from '../api'
import '../styles/welcome.css'

interface Props {
  onOpenSettings: () => void
  onDemoStarted: () => void
  /** One line above the results (the store already holds workflows), instead of the full card. */
  compact?: boolean
}

/** First start: what Stats2 needs, and a demo with generated workflows to look around first. */
export function WelcomeCard({ onOpenSettings, onDemoStarted, compact = false }: Props): ReactNode {
  const [starting, setStarting] = useState(false)
  const [error, setError] = useState<string>()
  const start = async (): Promise<void> => {
    setStarting(true)
    setError(undefined)
    const result = await getApi().startDemo({})
    setStarting(false)
    if (result.ok) onDemoStarted()
    else setError(result.error.message)
  }
  if (compact) {
    return (
      <section className="setup-banner" data-testid="welcome" aria-label="Setup">
        <span><strong>No grid certificate configured:</strong> the stored workflows can be browsed, but not updated from cmsweb.</span>
        <button type="button" className="button small primary" onClick={onOpenSettings} data-testid="welcome-settings">Set up…</button>
        <button type="button" className="button small" onClick={() => void start()} disabled={starting} data-testid="start-demo">{starting ? 'Starting…' : 'Start demo'}</button>
        {error ? <span className="status-error" role="alert">{error}</span> : null}
      </section>
    )
  }
  return (
    <section className="welcome-card" data-testid="welcome" aria-labelledby="welcome-title">
      <h2 id="welcome-title">Welcome to Stats2</h2>
      <p>
        Stats2 follows the production of ReqMgr2 workflows: the events of each output dataset over time, how
        close each is to its expected total, and when it should get there. To follow real workflows it needs:
      </p>
      <ol>
        <li><strong>Your grid certificate</strong>: the usercert.pem / userkey.pem pair (found automatically in ~/.globus), a .p12 file, or a grid proxy. It is used to read ReqMgr2, WMStats and DBS on cmsweb.</li>
        <li><strong>A database</strong>: the embedded store on this computer (nothing to install), or the URL of an existing Stats2 CouchDB to keep it up to date.</li>
        <li><strong>Network access to cmsweb</strong> (from CERN, or through the VPN/tunnel you normally use).</li>
      </ol>
      <div className="welcome-actions">
        <button type="button" className="button primary" onClick={onOpenSettings} data-testid="welcome-settings">Set up the certificate…</button>
        <button type="button" className="button" onClick={() => void start()} disabled={starting} data-testid="start-demo">
          {starting ? 'Starting the demo…' : 'Start demo'}
        </button>
      </div>
      <p className="muted">
        The demo runs a simulated cmsweb with a few hundred generated workflows that progress while you watch, in a
        throw-away store. Nothing is sent anywhere; stop it from the header at any time.
      </p>
      {error ? <p className="alert alert-error" role="alert">The demo could not start: {error}</p> : null}
    </section>
  )
}
