import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react'
import type { ConnectionCheck, CredentialKind, SettingsView } from '../../../shared/ipc-contract'
import { getApi } from '../api'
import { useNotify } from '../hooks/notices'
import { fieldErrorsFromMessage, formFromView, lockedFields, patchFromForm, type FormField, type SettingsForm } from '../lib/settings-form'
import { Modal } from './Modal'

const CREDENTIAL_KINDS: Array<{ kind: CredentialKind; label: string; hint: string }> = [
  { kind: 'auto', label: 'Automatic', hint: '~/.globus/usercert.pem and userkey.pem' },
  { kind: 'pem', label: 'PEM pair', hint: 'certificate and key files' },
  { kind: 'p12', label: 'PKCS#12', hint: 'one .p12 file' },
  { kind: 'proxy', label: 'Grid proxy', hint: 'an X509 proxy file (voms-proxy-init)' }
]

interface FieldProps {
  id: FormField
  label: string
  errors: Partial<Record<FormField, string>>
  locked: Map<FormField, string>
  hint?: ReactNode
  children: ReactNode
}

function Field({ id, label, errors, locked, hint, children }: FieldProps): ReactNode {
  const error = errors[id]
  const env = locked.get(id)
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={`settings-${id}`}>{label}</label>
      {children}
      {env ? <p className="field-note">Set by the environment ({env}); read-only here.</p> : hint ? <p className="field-note">{hint}</p> : null}
      {error ? <p className="field-error" id={`settings-${id}-error`} role="alert">{error}</p> : null}
    </div>
  )
}

/** Under a group of choices: that the environment fixes them (read-only here), and the group's error. */
function GroupNotes({ id, what, errors, locked }: { id: FormField; what: string; errors: Partial<Record<FormField, string>>; locked: Map<FormField, string> }): ReactNode {
  const env = locked.get(id)
  const error = errors[id]
  return (
    <>
      {env ? <p className="field-note">{what} is set by the environment ({env}); read-only here.</p> : null}
      {error ? <p className="field-error" role="alert">{error}</p> : null}
    </>
  )
}

/** Certificate, trust, database, cmsweb hosts, concurrency, notifications, schedule; and Test connection. */
export function SettingsDialog({ onClose }: { onClose: () => void }): ReactNode {
  const notify = useNotify()
  const [view, setView] = useState<SettingsView>()
  const [form, setForm] = useState<SettingsForm>()
  const [loadError, setLoadError] = useState<string>()
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({})
  const [general, setGeneral] = useState<string[]>([])
  const [saving, setSaving] = useState(false)
  const [checks, setChecks] = useState<ConnectionCheck[]>()
  const [testing, setTesting] = useState(false)
  const [testError, setTestError] = useState<string>()

  useEffect(() => {
    void getApi().getSettings({}).then((result) => {
      if (result.ok) {
        setView(result.value)
        setForm(formFromView(result.value))
      } else {
        setLoadError(result.error.message)
      }
    })
  }, [])

  const revealChecks = useCallback((element: HTMLElement | null) => element?.scrollIntoView({ block: 'nearest' }), [])
  const locked = useMemo(() => lockedFields(view?.fromEnvironment ?? []), [view])
  const dirty = useMemo(() => (view && form ? JSON.stringify(formFromView(view)) !== JSON.stringify(form) : false), [view, form])

  const set = <K extends FormField>(key: K, value: SettingsForm[K]): void => {
    setForm((previous) => (previous ? { ...previous, [key]: value } : previous))
    setErrors((previous) => {
      if (!previous[key]) return previous
      const next = { ...previous }
      delete next[key]
      return next
    })
  }

  const input = (key: FormField, props: { type?: string; placeholder?: string; autoComplete?: string; inputMode?: 'numeric' } = {}): ReactNode => (
    <input
      id={`settings-${key}`}
      type={props.type ?? 'text'}
      className={key.endsWith('Path') || key === 'dataDir' || key.endsWith('Url') ? 'mono' : undefined}
      value={String(form?.[key] ?? '')}
      placeholder={props.placeholder}
      autoComplete={props.autoComplete ?? 'off'}
      inputMode={props.inputMode}
      spellCheck={false}
      readOnly={locked.has(key)}
      aria-invalid={errors[key] ? true : undefined}
      aria-describedby={errors[key] ? `settings-${key}-error` : undefined}
      onChange={(event) => set(key, event.target.value as never)}
    />
  )

  const save = async (): Promise<boolean> => {
    if (!form) return false
    const { patch, errors: localErrors } = patchFromForm(form, new Set(locked.keys()))
    setGeneral([])
    if (Object.keys(localErrors).length > 0) {
      setErrors(localErrors)
      return false
    }
    setSaving(true)
    try {
      const result = await getApi().setSettings(patch)
      if (result.ok) {
        setView(result.value)
        setForm(formFromView(result.value))
        setErrors({})
        notify('Settings saved', 'success')
        return true
      }
      const parsed = fieldErrorsFromMessage(result.error.message)
      setErrors(parsed.fields)
      setGeneral(parsed.general.length > 0 ? parsed.general : Object.keys(parsed.fields).length > 0 ? [] : [result.error.message])
      return false
    } finally {
      setSaving(false)
    }
  }

  const test = async (): Promise<void> => {
    setTesting(true)
    setTestError(undefined)
    setChecks(undefined)
    try {
      const result = await getApi().testConnection({})
      if (result.ok) setChecks(result.value)
      else setTestError(result.error.message)
    } finally {
      setTesting(false)
    }
  }

  return (
    <Modal title="Settings" onClose={onClose} testId="settings-dialog" className="modal-wide settings" closeOnBackdrop={false}>
      {loadError ? <p className="alert alert-error" role="alert">The settings could not be read: {loadError}</p> : null}
      {!form || !view ? (
        !loadError ? <p className="muted">Loading…</p> : null
      ) : (
        <form
          className="settings-form"
          noValidate
          onSubmit={(event) => {
            event.preventDefault()
            void save()
          }}
        >
          <fieldset>
            <legend>Grid certificate</legend>
            <div className="radio-row" role="radiogroup" aria-label="Certificate kind">
              {CREDENTIAL_KINDS.map(({ kind, label, hint }) => (
                <label key={kind} className="radio" title={hint}>
                  <input
                    type="radio"
                    name="credential-kind"
                    value={kind}
                    checked={form.credentialKind === kind}
                    disabled={locked.has('credentialKind')}
                    onChange={() => set('credentialKind', kind)}
                  />
                  <span>{label}</span> <span className="muted">{hint}</span>
                </label>
              ))}
            </div>
            <GroupNotes id="credentialKind" what="The certificate" errors={errors} locked={locked} />
            {form.credentialKind === 'pem' ? (
              <div className="field-grid">
                <Field id="certPath" label="Certificate (usercert.pem)" errors={errors} locked={locked}>{input('certPath', { placeholder: '/home/you/.globus/usercert.pem' })}</Field>
                <Field id="keyPath" label="Key (userkey.pem)" errors={errors} locked={locked}>{input('keyPath', { placeholder: '/home/you/.globus/userkey.pem' })}</Field>
              </div>
            ) : null}
            {form.credentialKind === 'p12' ? (
              <Field id="p12Path" label=".p12 file" errors={errors} locked={locked}>{input('p12Path', { placeholder: '/home/you/myCertificate.p12' })}</Field>
            ) : null}
            {form.credentialKind === 'proxy' ? (
              <Field id="proxyPath" label="Proxy file" errors={errors} locked={locked}>{input('proxyPath', { placeholder: '/tmp/x509up_u1000' })}</Field>
            ) : null}
            {form.credentialKind !== 'proxy' ? (
              <div className="field-grid">
                <Field
                  id="passphrase"
                  label="Key passphrase"
                  errors={errors}
                  locked={locked}
                  hint={view.passphraseStored ? 'A passphrase is stored. Type a new one to replace it.' : 'Only needed for an encrypted key. Never shown again once saved.'}
                >
                  {input('passphrase', { type: 'password', placeholder: view.passphraseStored ? '•••••••• (stored)' : '', autoComplete: 'new-password' })}
                </Field>
                <div className="field checks">
                  <label className="checkbox">
                    <input type="checkbox" checked={form.rememberPassphrase} disabled={locked.has('passphrase') || !view.secureStorage} onChange={(event) => set('rememberPassphrase', event.target.checked)} />
                    <span>Remember it</span>
                  </label>
                  {view.passphraseStored ? (
                    <label className="checkbox">
                      <input type="checkbox" checked={form.forgetPassphrase} disabled={locked.has('passphrase')} onChange={(event) => set('forgetPassphrase', event.target.checked)} />
                      <span>Forget the stored passphrase</span>
                    </label>
                  ) : null}
                  {!view.secureStorage ? <p className="field-note warn">This system offers no encrypted secret storage: passwords are kept for this session only.</p> : null}
                </div>
              </div>
            ) : null}
            <Field id="caPath" label="Extra CA bundle or directory (optional)" errors={errors} locked={locked} hint="The CERN Grid CA is needed to trust cmsweb; leave empty when the system trusts it.">
              {input('caPath', { placeholder: '/etc/grid-security/certificates' })}
            </Field>
          </fieldset>

          <fieldset>
            <legend>Database</legend>
            <div className="radio-row" role="radiogroup" aria-label="Database kind">
              <label className="radio">
                <input type="radio" name="database-kind" checked={form.databaseKind === 'embedded'} disabled={locked.has('databaseKind')} onChange={() => set('databaseKind', 'embedded')} />
                <span>Embedded</span> <span className="muted">a local store on this computer</span>
              </label>
              <label className="radio">
                <input type="radio" name="database-kind" checked={form.databaseKind === 'url'} disabled={locked.has('databaseKind')} onChange={() => set('databaseKind', 'url')} />
                <span>CouchDB</span> <span className="muted">an existing Stats2 database</span>
              </label>
            </div>
            <GroupNotes id="databaseKind" what="The database" errors={errors} locked={locked} />
            {form.databaseKind === 'embedded' ? (
              <Field id="dataDir" label="Data directory (optional)" errors={errors} locked={locked} hint="Empty: the application's data folder.">{input('dataDir')}</Field>
            ) : (
              <div className="field-grid three">
                <Field id="databaseUrl" label="CouchDB URL" errors={errors} locked={locked}>{input('databaseUrl', { placeholder: 'http://localhost:5984' })}</Field>
                <Field id="databaseUser" label="User" errors={errors} locked={locked}>{input('databaseUser', { autoComplete: 'username' })}</Field>
                <Field id="databasePassword" label="Password" errors={errors} locked={locked} hint={view.databasePasswordStored ? 'A password is stored; type a new one to replace it.' : undefined}>
                  {input('databasePassword', { type: 'password', placeholder: view.databasePasswordStored ? '•••••••• (stored)' : '', autoComplete: 'new-password' })}
                </Field>
              </div>
            )}
            {form.databaseKind === 'url' && view.databasePasswordStored ? (
              <label className="checkbox">
                <input type="checkbox" checked={form.forgetDatabasePassword} disabled={locked.has('databasePassword')} onChange={(event) => set('forgetDatabasePassword', event.target.checked)} />
                <span>Forget the stored database password</span>
              </label>
            ) : null}
          </fieldset>

          <fieldset>
            <legend>cmsweb and updates</legend>
            <div className="field-grid">
              <Field id="cmswebUrl" label="ReqMgr2 / WMStats host" errors={errors} locked={locked}>{input('cmswebUrl')}</Field>
              <Field id="dbsUrl" label="DBS host" errors={errors} locked={locked}>{input('dbsUrl')}</Field>
            </div>
            <div className="field-grid three">
              <Field id="concurrency" label="Parallel requests" errors={errors} locked={locked} hint="1 to 64">{input('concurrency', { inputMode: 'numeric' })}</Field>
              <Field id="scheduleMinutes" label="Update all every (minutes)" errors={errors} locked={locked} hint="0 = only by hand">{input('scheduleMinutes', { inputMode: 'numeric' })}</Field>
              <div className="field checks">
                <span className="field-label">Notify after writing</span>
                <label className="checkbox">
                  <input type="checkbox" checked={form.notifyProd} onChange={(event) => set('notifyProd', event.target.checked)} />
                  <span>production McM / ReReco / RelVal</span>
                </label>
                <label className="checkbox">
                  <input type="checkbox" checked={form.notifyDev} onChange={(event) => set('notifyDev', event.target.checked)} />
                  <span>development instances</span>
                </label>
              </div>
            </div>
          </fieldset>

          <fieldset data-testid="settings-source">
            <legend>Source</legend>
            <div className="radio-row" role="radiogroup" aria-label="Source of update-all">
              <label className="radio">
                <input type="radio" name="source-kind" checked={form.sourceKind === 'cmsweb'} disabled={locked.has('sourceKind')} onChange={() => set('sourceKind', 'cmsweb')} data-testid="source-cmsweb" />
                <span>cmsweb</span> <span className="muted">ReqMgr2 and DBS with your certificate</span>
              </label>
              <label className="radio">
                <input type="radio" name="source-kind" checked={form.sourceKind === 'replica'} disabled={locked.has('sourceKind')} onChange={() => set('sourceKind', 'replica')} data-testid="source-replica" />
                <span>A shared Stats2 CouchDB, replicated here</span>
              </label>
            </div>
            <GroupNotes id="sourceKind" what="The source" errors={errors} locked={locked} />
            {form.sourceKind === 'replica' ? (
              <>
                <p className="field-note">
                  Update all pulls that CouchDB's workflows into this computer's embedded store (CouchDB replication: resumable, only what
                  changed); the sync scope below limits what is pulled. Searches and charts then work offline. Selected workflows still
                  update here with your certificate, and the next pull merges them. Workflows deleted there are deleted here.
                </p>
                <div className="field-grid three">
                  <Field id="sourceUrl" label="CouchDB server URL" errors={errors} locked={locked}>{input('sourceUrl', { placeholder: 'https://stats2-couchdb.cern.ch:6984' })}</Field>
                  <Field id="sourceUser" label="User (if it needs one)" errors={errors} locked={locked}>{input('sourceUser', { autoComplete: 'username' })}</Field>
                  <Field id="sourcePassword" label="Password" errors={errors} locked={locked} hint={view.replicaPasswordStored ? 'A password is stored; type a new one to replace it.' : undefined}>
                    {input('sourcePassword', { type: 'password', placeholder: view.replicaPasswordStored ? '•••••••• (stored)' : '', autoComplete: 'new-password' })}
                  </Field>
                </div>
                {view.replicaPasswordStored ? (
                  <label className="checkbox">
                    <input type="checkbox" checked={form.forgetSourcePassword} disabled={locked.has('sourcePassword')} onChange={(event) => set('forgetSourcePassword', event.target.checked)} />
                    <span>Forget the stored password</span>
                  </label>
                ) : null}
              </>
            ) : null}
          </fieldset>

          <fieldset data-testid="sync-scope">
            <legend>Sync scope</legend>
            <p className="field-note">
              Update all follows only these workflows (empty: all of ReqMgr2). Lists are comma-separated. A workflow is in scope when
              its campaign or PrepID matches, its status is listed and its request date is in the window; named workflows always are.
              Narrowing the scope deletes nothing: stored workflows outside it are kept, with their history, and no longer updated.
            </p>
            {locked.has('scopeCampaigns') ? <p className="field-note">The scope is set by the environment ({locked.get('scopeCampaigns')}); read-only here.</p> : null}
            <div className="field-grid">
              <Field id="scopeCampaigns" label="Campaigns" errors={errors} locked={locked}>{input('scopeCampaigns', { placeholder: 'Run3Summer23wmLHEGS, Run2024ReReco' })}</Field>
              <Field id="scopePrepIds" label="PrepIDs (* and ? allowed)" errors={errors} locked={locked}>{input('scopePrepIds', { placeholder: 'HIG-*, task_EXO-Run3Summer23*' })}</Field>
            </div>
            <div className="field-grid three">
              <Field id="scopeStatuses" label="Request statuses" errors={errors} locked={locked} hint="names, or ACTIVE (not archived), RUNNING, ARCHIVED">{input('scopeStatuses', { placeholder: 'ACTIVE' })}</Field>
              <Field id="scopeFrom" label="Requested from" errors={errors} locked={locked} hint="YYYY-MM-DD (UTC)">{input('scopeFrom', { placeholder: '2025-01-01' })}</Field>
              <Field id="scopeTo" label="Requested until" errors={errors} locked={locked} hint="inclusive">{input('scopeTo', { placeholder: '2025-12-31' })}</Field>
            </div>
            <Field id="scopeWorkflows" label="Workflows (RequestNames)" errors={errors} locked={locked}>{input('scopeWorkflows', { placeholder: 'pdmvserv_…' })}</Field>
          </fieldset>

          {form.startAtLogin !== undefined ? (
            <fieldset>
              <legend>Desktop</legend>
              <label className="checkbox">
                <input type="checkbox" checked={form.startAtLogin} onChange={(event) => set('startAtLogin', event.target.checked)} data-testid="start-at-login" />
                <span>Start Stats2 when I log in</span>
              </label>
              {errors.startAtLogin ? <p className="field-error" role="alert">{errors.startAtLogin}</p> : null}
            </fieldset>
          ) : null}

          {general.length > 0 ? <div className="alert alert-error" role="alert">{general.map((message, index) => <p key={index}>{message}</p>)}</div> : null}

          {testError ? <p className="alert alert-error" role="alert">{testError}</p> : null}
          {checks ? (
            <ul className="check-list" data-testid="connection-checks" ref={revealChecks}>
              {checks.map((check) => (
                <li key={check.id} className={check.ok ? 'ok' : 'failed'}>
                  <span className="check-mark" aria-label={check.ok ? 'passed' : 'failed'}>{check.ok ? '✓' : '✗'}</span>
                  <span className="check-label">{check.label}</span>
                  <span className="check-message">{check.message}</span>
                  <span className="muted check-time">{check.durationMs} ms</span>
                </li>
              ))}
            </ul>
          ) : null}
          <div className="settings-actions">
            <button type="button" className="button" onClick={() => void test()} disabled={testing} data-testid="test-connection">
              {testing ? 'Testing…' : 'Test connection'}
            </button>
            {dirty ? <span className="muted">Tests the saved settings: save first.</span> : null}
            <span className="spacer-flex" />
            <button type="button" className="button ghost" onClick={onClose}>Close</button>
            <button type="submit" className="button primary" disabled={saving || !dirty} data-testid="settings-save">{saving ? 'Saving…' : 'Save'}</button>
          </div>

        </form>
      )}
    </Modal>
  )
}
