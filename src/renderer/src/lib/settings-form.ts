/** The settings dialog's form: from the stored view, back to a patch, and errors per field. Pure. */
import type { CredentialKind, SettingsPatch, SettingsView } from '../../../shared/ipc-contract'
import { settingsFixedBy } from '../../../shared/config-table'

export interface SettingsForm {
  credentialKind: CredentialKind
  certPath: string
  keyPath: string
  p12Path: string
  proxyPath: string
  passphrase: string
  rememberPassphrase: boolean
  forgetPassphrase: boolean
  caPath: string
  databaseKind: 'embedded' | 'url'
  databaseUrl: string
  databaseUser: string
  databasePassword: string
  forgetDatabasePassword: boolean
  dataDir: string
  cmswebUrl: string
  dbsUrl: string
  concurrency: string
  notifyProd: boolean
  notifyDev: boolean
  scheduleMinutes: string
  /** Sync scope lists, comma- or space-separated as typed. */
  scopeCampaigns: string
  scopePrepIds: string
  scopeStatuses: string
  scopeFrom: string
  scopeTo: string
  scopeWorkflows: string
  /** Undefined where the app cannot start at login (browser mode, a checkout). */
  startAtLogin?: boolean
}

export type FormField = keyof SettingsForm

export function formFromView(view: SettingsView): SettingsForm {
  return {
    credentialKind: view.credentials.kind,
    certPath: view.credentials.certPath ?? '',
    keyPath: view.credentials.keyPath ?? '',
    p12Path: view.credentials.p12Path ?? '',
    proxyPath: view.credentials.proxyPath ?? '',
    passphrase: '',
    rememberPassphrase: view.secureStorage,
    forgetPassphrase: false,
    caPath: view.caPath ?? '',
    databaseKind: view.database.kind,
    databaseUrl: view.database.url ?? '',
    databaseUser: view.database.user ?? '',
    databasePassword: '',
    forgetDatabasePassword: false,
    dataDir: view.database.dataDir ?? '',
    cmswebUrl: view.cmsweb.url,
    dbsUrl: view.cmsweb.dbsUrl,
    concurrency: String(view.concurrency),
    notifyProd: view.notifications.prod,
    notifyDev: view.notifications.dev,
    scheduleMinutes: String(view.scheduleMinutes),
    scopeCampaigns: (view.syncScope?.campaigns ?? []).join(', '),
    scopePrepIds: (view.syncScope?.prepIds ?? []).join(', '),
    scopeStatuses: (view.syncScope?.statuses ?? []).join(', '),
    scopeFrom: view.syncScope?.requestedFrom ?? '',
    scopeTo: view.syncScope?.requestedTo ?? '',
    scopeWorkflows: (view.syncScope?.workflows ?? []).join(', '),
    ...(view.startAtLoginAvailable ? { startAtLogin: view.startAtLogin ?? false } : {})
  }
}

const listOf = (text: string): string[] => text.split(/[\s,]+/).filter((part) => part !== '')
const DAY = /^\d{4}-\d{2}-\d{2}$/

const trimmed = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim())

/** Whole numbers only; anything else is reported before the request is sent. */
function integer(value: string): number | undefined {
  return /^\s*\d+\s*$/.test(value) ? Number.parseInt(value, 10) : undefined
}

export interface PatchOutcome {
  patch: SettingsPatch
  errors: Partial<Record<FormField, string>>
}

/**
 * The patch to send; local errors (empty required fields, non-numbers) are found here first.
 * Parts the environment fixes (`locked`) are left out: the environment wins anyway.
 */
export function patchFromForm(form: SettingsForm, locked: ReadonlySet<FormField> = new Set()): PatchOutcome {
  const errors: Partial<Record<FormField, string>> = {}
  const credentials: NonNullable<SettingsPatch['credentials']> = { kind: form.credentialKind }
  if (form.credentialKind === 'pem') {
    credentials.certPath = trimmed(form.certPath)
    credentials.keyPath = trimmed(form.keyPath)
    if (!credentials.certPath) errors.certPath = 'the certificate (usercert.pem) path is needed'
    if (!credentials.keyPath) errors.keyPath = 'the key (userkey.pem) path is needed'
  } else if (form.credentialKind === 'p12') {
    credentials.p12Path = trimmed(form.p12Path)
    if (!credentials.p12Path) errors.p12Path = 'the .p12 file path is needed'
  } else if (form.credentialKind === 'proxy') {
    credentials.proxyPath = trimmed(form.proxyPath)
    if (!credentials.proxyPath) errors.proxyPath = 'the proxy file path is needed'
  }
  for (const key of Object.keys(credentials) as Array<keyof typeof credentials>) if (credentials[key] === undefined) delete credentials[key]

  const database: NonNullable<SettingsPatch['database']> = { kind: form.databaseKind }
  if (form.databaseKind === 'url') {
    database.url = trimmed(form.databaseUrl)
    database.user = trimmed(form.databaseUser)
    if (!database.url) errors.databaseUrl = 'the CouchDB URL is needed'
  } else {
    database.dataDir = trimmed(form.dataDir)
  }
  for (const key of Object.keys(database) as Array<keyof typeof database>) if (database[key] === undefined) delete database[key]

  const concurrency = integer(form.concurrency)
  if (concurrency === undefined || concurrency < 1 || concurrency > 64) errors.concurrency = 'a whole number from 1 to 64'
  const scheduleMinutes = integer(form.scheduleMinutes)
  if (scheduleMinutes === undefined || scheduleMinutes > 1440) errors.scheduleMinutes = 'minutes from 0 (off) to 1440'

  for (const field of ['scopeFrom', 'scopeTo'] as const) {
    if (form[field].trim() !== '' && !DAY.test(form[field].trim())) errors[field] = 'a date YYYY-MM-DD, or empty'
  }

  const patch: SettingsPatch = {
    notifications: { prod: form.notifyProd, dev: form.notifyDev },
    ...(scheduleMinutes !== undefined ? { scheduleMinutes } : {}),
    ...(form.startAtLogin !== undefined ? { startAtLogin: form.startAtLogin } : {})
  }
  if (!locked.has('scopeCampaigns')) {
    patch.syncScope = {
      campaigns: listOf(form.scopeCampaigns),
      prepIds: listOf(form.scopePrepIds),
      statuses: listOf(form.scopeStatuses),
      workflows: listOf(form.scopeWorkflows),
      ...(form.scopeFrom.trim() ? { requestedFrom: form.scopeFrom.trim() } : {}),
      ...(form.scopeTo.trim() ? { requestedTo: form.scopeTo.trim() } : {})
    }
  }
  if (!locked.has('credentialKind')) patch.credentials = credentials
  if (!locked.has('caPath')) patch.caPath = form.caPath.trim()
  if (!locked.has('databaseKind')) patch.database = database
  if (!(locked.has('cmswebUrl') && locked.has('dbsUrl'))) patch.cmsweb = { url: form.cmswebUrl.trim(), dbsUrl: form.dbsUrl.trim() }
  if (!locked.has('concurrency') && concurrency !== undefined) patch.concurrency = concurrency
  if (!locked.has('passphrase')) {
    if (form.forgetPassphrase) patch.passphrase = ''
    else if (form.passphrase !== '') {
      patch.passphrase = form.passphrase
      patch.rememberPassphrase = form.rememberPassphrase
    }
  }
  if (!locked.has('databasePassword')) {
    if (form.forgetDatabasePassword) patch.databasePassword = ''
    else if (form.databasePassword !== '' && form.databaseKind === 'url') patch.databasePassword = form.databasePassword
  }
  for (const field of locked) delete errors[field]
  return { patch, errors }
}

/** Contract paths (as the main process names them in `{ok: false}` messages) → form fields. */
const PATH_TO_FIELD: Record<string, FormField> = {
  'credentials': 'credentialKind',
  'credentials.kind': 'credentialKind',
  'credentials.certPath': 'certPath',
  'credentials.keyPath': 'keyPath',
  'credentials.p12Path': 'p12Path',
  'credentials.proxyPath': 'proxyPath',
  'passphrase': 'passphrase',
  'rememberPassphrase': 'rememberPassphrase',
  'caPath': 'caPath',
  'database': 'databaseKind',
  'database.kind': 'databaseKind',
  'database.url': 'databaseUrl',
  'database.user': 'databaseUser',
  'database.dataDir': 'dataDir',
  'databasePassword': 'databasePassword',
  'cmsweb': 'cmswebUrl',
  'cmsweb.url': 'cmswebUrl',
  'cmsweb.dbsUrl': 'dbsUrl',
  'concurrency': 'concurrency',
  'notifications': 'notifyProd',
  'scheduleMinutes': 'scheduleMinutes',
  'syncScope.campaigns': 'scopeCampaigns',
  'syncScope.prepIds': 'scopePrepIds',
  'syncScope.statuses': 'scopeStatuses',
  'syncScope.requestedFrom': 'scopeFrom',
  'syncScope.requestedTo': 'scopeTo',
  'syncScope.workflows': 'scopeWorkflows',
  'startAtLogin': 'startAtLogin'
}

/**
 * Splits an error message of the form `path: message; path: message` into field errors; what does
 * not name a known field stays a general message.
 */
export function fieldErrorsFromMessage(message: string): { fields: Partial<Record<FormField, string>>; general: string[] } {
  const fields: Partial<Record<FormField, string>> = {}
  const general: string[] = []
  for (const part of message.split(/;\s+/)) {
    const match = /^([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*):\s+(.+)$/s.exec(part.trim())
    const field = match ? PATH_TO_FIELD[match[1]!] : undefined
    if (field && match) fields[field] = fields[field] ? `${fields[field]}; ${match[2]}` : match[2]!
    else if (part.trim() !== '') general.push(part.trim())
  }
  return { fields, general }
}

/** Fields that go with another one: locked together. */
const COMPANIONS: Partial<Record<FormField, FormField[]>> = {
  passphrase: ['forgetPassphrase'],
  databasePassword: ['forgetDatabasePassword']
}

/** The form fields of a settings path (`credentials` → every credential field). */
function fieldsOfPath(path: string): FormField[] {
  const fields = Object.entries(PATH_TO_FIELD).filter(([key]) => key === path || key.startsWith(`${path}.`)).map(([, field]) => field)
  return [...new Set(fields.flatMap((field) => [field, ...(COMPANIONS[field] ?? [])]))]
}

/**
 * Which form fields the environment fixes. `fromEnvironment` may list environment names (USERCRT)
 * or setting paths (credentials.certPath); both are understood.
 */
export function lockedFields(fromEnvironment: readonly string[]): Map<FormField, string> {
  const locked = new Map<FormField, string>()
  for (const name of fromEnvironment) {
    // An environment variable fixes the settings paths of the configuration table; a path fixes itself.
    const fields = settingsFixedBy(name).flatMap(fieldsOfPath)
    for (const field of fields) if (!locked.has(field)) locked.set(field, name)
  }
  return locked
}
