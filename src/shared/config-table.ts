/**
 * The one table of Stats2's configuration: every environment variable the product reads, with the
 * desktop setting it fixes (if any), its type, default and meaning. Read by the configuration loader
 * (src/main/config), the desktop settings (which parts the environment fixes), the settings dialog
 * (which fields it locks), `stats2 env` and the documentation (docs/configuration.md is generated
 * from it: `npm run docs:env`; a test fails when the two differ). Pure data: the renderer imports it.
 *
 * To add a variable: add its row here, read it through src/main/config/env.ts, then `npm run docs:env`.
 */

export type ConfigGroup = 'certificate' | 'cmsweb' | 'database' | 'notifications' | 'updater' | 'scope' | 'service' | 'replica' | 'process'

export type ConfigType =
  | { kind: 'path' }
  | { kind: 'url' }
  | { kind: 'text' }
  | { kind: 'secret' }
  | { kind: 'int'; min: number; max?: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list' }
  | { kind: 'date' }
  | { kind: 'switch' }

export interface ConfigEntry {
  /** The environment variable. */
  env: string
  group: ConfigGroup
  type: ConfigType
  /** The default as a value the loader uses (numbers, URLs, enum values); undefined: unset. */
  default?: string | number
  /** How the documentation shows the default when it is not a plain value (computed, or "everything"). */
  defaultText?: string
  /** One line for operators. */
  meaning: string
  /**
   * Paths of the desktop settings (SettingsPatch / SettingsView, as `credentials`, `database.url`)
   * that this variable fixes: set in the environment, they are shown read-only in Settings.
   */
  settings?: readonly string[]
  /** Who reads it when it is not every command (e.g. only `stats2 serve`). */
  only?: string
}

const CERTIFICATE = ['credentials'] as const
const PASSPHRASE = ['passphrase', 'rememberPassphrase'] as const
const SCOPE = ['syncScope'] as const

export const CONFIG_TABLE: readonly ConfigEntry[] = [
  // Certificate
  { env: 'USERCRT', group: 'certificate', type: { kind: 'path' }, defaultText: '`~/.globus/usercert.pem`', meaning: 'grid certificate (PEM), as in the old Stats2', settings: CERTIFICATE },
  { env: 'USERKEY', group: 'certificate', type: { kind: 'path' }, defaultText: '`~/.globus/userkey.pem`', meaning: 'its key (PEM, plain or encrypted), as in the old Stats2', settings: CERTIFICATE },
  { env: 'X509_USER_CERT', group: 'certificate', type: { kind: 'path' }, meaning: 'the same as `USERCRT` (grid tools\' name)', settings: CERTIFICATE },
  { env: 'X509_USER_KEY', group: 'certificate', type: { kind: 'path' }, meaning: 'the same as `USERKEY` (grid tools\' name)', settings: CERTIFICATE },
  { env: 'X509_USER_PROXY', group: 'certificate', type: { kind: 'path' }, meaning: 'an X509 proxy: certificate and key in one file', settings: CERTIFICATE },
  { env: 'STATS2_USER_P12', group: 'certificate', type: { kind: 'path' }, meaning: 'a PKCS#12 bundle (`.p12`) holding certificate and key', settings: CERTIFICATE },
  { env: 'STATS2_KEY_PASSPHRASE', group: 'certificate', type: { kind: 'secret' }, meaning: 'passphrase of an encrypted key or bundle', settings: PASSPHRASE },
  { env: 'STATS2_KEY_PASSPHRASE_FILE', group: 'certificate', type: { kind: 'path' }, meaning: 'a file holding that passphrase (mode 0600; a file others can read is refused)', settings: PASSPHRASE },
  { env: 'CMSWEB_CA', group: 'certificate', type: { kind: 'path' }, defaultText: 'system CAs', meaning: 'extra trusted CAs for cmsweb: a PEM bundle or a folder', settings: ['caPath'] },
  { env: 'X509_CERT_DIR', group: 'certificate', type: { kind: 'path' }, meaning: 'the grid CA folder (e.g. `/etc/grid-security/certificates`), trusted too' },
  // cmsweb
  { env: 'CMSWEB_URL', group: 'cmsweb', type: { kind: 'url' }, default: 'https://cmsweb.cern.ch', meaning: 'ReqMgr2 and WMStats', settings: ['cmsweb.url'] },
  { env: 'CMSWEB_PROD_URL', group: 'cmsweb', type: { kind: 'url' }, default: 'https://cmsweb-prod.cern.ch:8443', meaning: 'DBS (datasets, file summaries)', settings: ['cmsweb.dbsUrl'] },
  { env: 'STATS2_CONCURRENCY', group: 'cmsweb', type: { kind: 'int', min: 1 }, default: 8, meaning: 'cmsweb requests in flight at most', settings: ['concurrency'] },
  { env: 'STATS2_TIMEOUT_MS', group: 'cmsweb', type: { kind: 'int', min: 1 }, default: 120_000, meaning: 'per cmsweb request and attempt' },
  { env: 'STATS2_RETRIES', group: 'cmsweb', type: { kind: 'int', min: 0 }, default: 4, meaning: 'retries of a cmsweb request on 5xx, resets and timeouts (never 4xx)' },
  // Database
  { env: 'DB_URL', group: 'database', type: { kind: 'url' }, defaultText: 'the embedded store', meaning: 'a CouchDB to use instead of the embedded store (old Stats2 name)', settings: ['database', 'databasePassword'] },
  { env: 'STATS_DB_AUTH_HEADER', group: 'database', type: { kind: 'secret' }, meaning: '`Basic <base64 user:password>` of a CouchDB admin, for writes (old Stats2 name); without an admin\'s, a `DB_URL` opens read-only', settings: ['database.user', 'databasePassword'] },
  { env: 'STATS2_DATA_DIR', group: 'database', type: { kind: 'path' }, defaultText: '`~/.config/Stats2/store` (Linux), `~/Library/Application Support/Stats2/store` (macOS), `%APPDATA%\\Stats2\\store` (Windows)', meaning: 'where the embedded store keeps its data', settings: ['database.dataDir'] },
  { env: 'STATS2_DB_TIMEOUT_MS', group: 'database', type: { kind: 'int', min: 1 }, default: 60_000, meaning: 'per CouchDB call and attempt' },
  { env: 'STATS2_DB_VIEW_TIMEOUT_MS', group: 'database', type: { kind: 'int', min: 1 }, default: 900_000, meaning: 'per view query (the first one on a large store builds the index)' },
  { env: 'STATS2_DB_RETRIES', group: 'database', type: { kind: 'int', min: 0 }, default: 3, meaning: 'retries of a CouchDB call on timeouts, resets and 5xx (never 4xx)' },
  { env: 'STATS2_STORE_ANONYMOUS', group: 'database', type: { kind: 'enum', values: ['read', 'none'] }, default: 'read', meaning: 'what callers without credentials may do on the embedded store: `read` (the `requests` and `settings` databases) or `none`' },
  { env: 'STATS2_STORE_HANG_MS', group: 'database', type: { kind: 'int', min: 1000 }, default: 10_000, meaning: 'the embedded store runs in a process of its own: silent for half of this (its liveness probe unanswered) it is reported unavailable, calls failing at once with the reason; silent for all of it, it is killed and started again (docs/store-process.md)' },
  { env: 'STATS2_STORE_SCRUB_MINUTES', group: 'database', type: { kind: 'int', min: 0, max: 10_080 }, default: 360, meaning: 'every this many minutes the embedded store verifies the checksums of its tables again while it runs, a table at a time in the background (LevelDB checks none on reads); damage found stops the store process and its restart refuses the damaged database; 0: only at start (docs/store-damage.md)' },
  { env: 'STATS2_STORE_FUNCTION_TIMEOUT_MS', group: 'database', type: { kind: 'int', min: 1 }, default: 5_000, meaning: 'deadline of each call into a design-document function (map, reduce, filter, validate) and of each `_find` on the embedded store, in ms (CouchDB\'s `os_process_timeout`); past it the request fails with a 500' },
  // Notifications
  { env: 'CALLBACK_CLIENT_ID', group: 'notifications', type: { kind: 'text' }, meaning: 'Keycloak client for notifying McM/RelVal/ReReco (old Stats2 name)' },
  { env: 'CALLBACK_CLIENT_SECRET', group: 'notifications', type: { kind: 'secret' }, meaning: 'its secret (old Stats2 name)' },
  { env: 'APPLICATION_CLIENT_ID', group: 'notifications', type: { kind: 'text' }, meaning: 'token audience of the production PdmV services (old Stats2 name)' },
  { env: 'DEV_APPLICATION_CLIENT_ID', group: 'notifications', type: { kind: 'text' }, meaning: 'token audience of the development PdmV services (old Stats2 name)' },
  { env: 'KEYCLOAK_URL', group: 'notifications', type: { kind: 'url' }, default: 'https://auth.cern.ch', meaning: 'Keycloak' },
  { env: 'PDMV_PROD_URL', group: 'notifications', type: { kind: 'url' }, default: 'https://cms-pdmv.cern.ch', meaning: 'the production PdmV services (McM, RelVal, ReReco)' },
  { env: 'PDMV_DEV_URL', group: 'notifications', type: { kind: 'url' }, default: 'https://cms-pdmv-dev.cern.ch', meaning: 'the development PdmV services' },
  // Updater
  { env: 'STATS2_BATCHING', group: 'updater', type: { kind: 'switch' }, default: '1', meaning: '`0` turns batching off (the old one-call-at-a-time pattern, for comparison)' },
  { env: 'STATS2_CHANGES_PAGE', group: 'updater', type: { kind: 'int', min: 1 }, default: 1000, meaning: 'ReqMgr2 changes read per page (the checkpoint is written after each)' },
  { env: 'STATS2_DATASETLIST_BATCH', group: 'updater', type: { kind: 'int', min: 1 }, default: 100, meaning: 'datasets per DBS `datasetlist` call' },
  { env: 'STATS2_DB_BATCH', group: 'updater', type: { kind: 'int', min: 1 }, default: 500, meaning: 'documents per CouchDB bulk read or write' },
  // Sync scope
  { env: 'STATS2_SCOPE_CAMPAIGNS', group: 'scope', type: { kind: 'list' }, defaultText: 'every campaign', meaning: 'sync scope: campaigns, comma- or space-separated', settings: SCOPE },
  { env: 'STATS2_SCOPE_PREPIDS', group: 'scope', type: { kind: 'list' }, defaultText: 'every PrepID', meaning: 'sync scope: PrepIDs or globs (`HIG-*`)', settings: SCOPE },
  { env: 'STATS2_SCOPE_STATUSES', group: 'scope', type: { kind: 'list' }, defaultText: 'any status', meaning: 'sync scope: request statuses, or `ACTIVE`, `RUNNING`, `ARCHIVED`', settings: SCOPE },
  { env: 'STATS2_SCOPE_REQUESTED_FROM', group: 'scope', type: { kind: 'date' }, defaultText: 'no window', meaning: 'sync scope: first request date, `YYYY-MM-DD` (UTC, inclusive)', settings: SCOPE },
  { env: 'STATS2_SCOPE_REQUESTED_TO', group: 'scope', type: { kind: 'date' }, defaultText: 'no window', meaning: 'sync scope: last request date, `YYYY-MM-DD` (UTC, inclusive)', settings: SCOPE },
  { env: 'STATS2_SCOPE_WORKFLOWS', group: 'scope', type: { kind: 'list' }, meaning: 'sync scope: workflows by RequestName, always followed', settings: SCOPE },
  // Service mode
  { env: 'STATS2_SERVE_TOKENS_FILE', group: 'service', type: { kind: 'path' }, defaultText: 'none: updates refused', meaning: 'file of bearer tokens allowed to call `api/update`, one a line (mode 0600)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_TRUSTED_HEADER', group: 'service', type: { kind: 'text' }, meaning: 'a user header set by your reverse proxy after its login (e.g. `X-Forwarded-User`)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_TRUSTED_PROXIES', group: 'service', type: { kind: 'list' }, meaning: 'the proxies (comma-separated IPs) whose user header is believed', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_UPDATES', group: 'service', type: { kind: 'int', min: 1, max: 64 }, default: 2, meaning: 'updates running at once', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_UPDATE_QUEUE', group: 'service', type: { kind: 'int', min: 0, max: 100_000 }, default: 100, meaning: 'updates waiting beyond those (more answer 503)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_PUBLIC_URL', group: 'service', type: { kind: 'url' }, default: 'https://cms-pdmv-prod.web.cern.ch/stats', meaning: 'the service\'s public address, for the links of `md`', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_DRAIN_MS', group: 'service', type: { kind: 'int', min: 0, max: 600_000 }, default: 10_000, meaning: 'how long SIGTERM waits for requests in flight', only: 'stats2 serve' },
  // The limits of docs/service-limits.md: what a client sees at each is written there.
  { env: 'STATS2_SERVE_FETCH_MAX_DOCS', group: 'service', type: { kind: 'int', min: 1, max: 10_000 }, default: 10_000, meaning: 'documents in one `api/fetch` answer at most (the old service\'s 100 pages); beyond, `X-Stats2-Truncated: documents`', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_FETCH_MAX_BYTES', group: 'service', type: { kind: 'int', min: 1024, max: 2 ** 32 }, default: 268_435_456, meaning: 'bytes of one `api/fetch` answer at most: it ends at a whole document, with the trailer `X-Stats2-Truncated: bytes`', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_CONCURRENCY', group: 'service', type: { kind: 'int', min: 1, max: 10_000 }, default: 64, meaning: 'requests reading the store at once (more answer 503 with Retry-After)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_CLIENT_CONCURRENCY', group: 'service', type: { kind: 'int', min: 1, max: 10_000 }, default: 16, meaning: 'requests reading the store at once per client address (more answer 429 with Retry-After)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_HEAVY', group: 'service', type: { kind: 'int', min: 1, max: 1000 }, default: 8, meaning: '`api/fetch` and `md` answers at once (more answer 503 with Retry-After)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_CLIENT_HEAVY', group: 'service', type: { kind: 'int', min: 1, max: 1000 }, default: 2, meaning: '`api/fetch` and `md` answers at once per client address (more answer 429 with Retry-After)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_STREAMS', group: 'service', type: { kind: 'int', min: 0, max: 100_000 }, default: 200, meaning: 'dashboard event streams open at once (more answer 503 with Retry-After)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_CLIENT_STREAMS', group: 'service', type: { kind: 'int', min: 0, max: 10_000 }, default: 4, meaning: 'dashboard event streams open at once per client address (more answer 429 with Retry-After)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_HEADERS_TIMEOUT_MS', group: 'service', type: { kind: 'int', min: 100, max: 600_000 }, default: 10_000, meaning: 'a request\'s headers must arrive within this, else 408 and the connection is closed', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_REQUEST_TIMEOUT_MS', group: 'service', type: { kind: 'int', min: 100, max: 3_600_000 }, default: 30_000, meaning: 'the whole request (headers and body) must arrive within this, else 408', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_IDLE_TIMEOUT_MS', group: 'service', type: { kind: 'int', min: 100, max: 3_600_000 }, default: 60_000, meaning: 'a connection that neither sends nor reads anything this long is closed (a client that stopped reading)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_MAX_CONNECTIONS', group: 'service', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 512, meaning: 'open connections at most; more are closed at once', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_CLIENT_CONNECTIONS', group: 'service', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 64, meaning: 'open connections per client address (the trusted proxies have no such limit); more are closed at once', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_METRICS', group: 'service', type: { kind: 'enum', values: ['anonymous', 'token', 'off'] }, default: 'anonymous', meaning: 'who may read `/metrics`: anyone, the bearer tokens of `STATS2_SERVE_METRICS_TOKENS_FILE`, or nobody (404)', only: 'stats2 serve' },
  { env: 'STATS2_SERVE_METRICS_TOKENS_FILE', group: 'service', type: { kind: 'path' }, meaning: 'file of bearer tokens allowed to read `/metrics` (never the update tokens), one a line (mode 0600)', only: 'stats2 serve' },
  // Replica
  { env: 'STATS2_REPLICA_SOURCE', group: 'replica', type: { kind: 'url' }, defaultText: 'the source the replica was pulled from', meaning: 'the shared Stats2 CouchDB server a replica pulls from (`stats2 replicate --from`)', settings: ['source'], only: 'stats2 replicate, the desktop' },
  { env: 'STATS2_REPLICA_AUTH_HEADER', group: 'replica', type: { kind: 'secret' }, meaning: '`Basic <base64 user:password>` for reading that source, when it needs credentials', settings: ['source.user', 'replicaPassword'], only: 'stats2 replicate, the desktop' },
  // The process
  { env: 'STATS2_LOG_LEVEL', group: 'process', type: { kind: 'enum', values: ['debug', 'info', 'warn', 'error'] }, default: 'info', meaning: 'what is logged (on stderr)' },
  { env: 'STATS2_HEAP_MB', group: 'process', type: { kind: 'int', min: 0 }, default: 192, meaning: 'JavaScript heap of `stats2 update` in MB (at least 96), `0` for Node\'s own default; an own `--max-old-space-size` in `NODE_OPTIONS` wins', only: 'stats2 update' },
  { env: 'STATS2_DEBUG', group: 'process', type: { kind: 'switch' }, meaning: 'any value: print the stack of an unexpected error', only: 'stats2' }
]

export const CONFIG_GROUP_TITLES: Record<ConfigGroup, string> = {
  certificate: 'Grid certificate and trust',
  cmsweb: 'cmsweb (ReqMgr2, WMStats, DBS)',
  database: 'The store',
  notifications: 'Notifying McM, RelVal and ReReco',
  updater: 'The updater',
  scope: 'Sync scope',
  service: 'Service mode (`stats2 serve`)',
  replica: 'A replica of a shared Stats2 (`stats2 replicate`)',
  process: 'The process'
}

const BY_NAME = new Map(CONFIG_TABLE.map((entry) => [entry.env, entry]))

/** The row of an environment variable; throws for a name that is not in the table (a programming error). */
export function configEntry(env: string): ConfigEntry {
  const entry = BY_NAME.get(env)
  if (!entry) throw new Error(`${env} is not in the configuration table (src/shared/config-table.ts)`)
  return entry
}

/** Variables set in `env` that fix a part of the desktop settings. */
export function fixedByEnvironment(env: Record<string, string | undefined>): string[] {
  return CONFIG_TABLE.filter((entry) => entry.settings !== undefined && (env[entry.env] ?? '').trim() !== '').map((entry) => entry.env)
}

/** The settings paths that an environment variable (or a settings path itself) fixes. */
export function settingsFixedBy(name: string): readonly string[] {
  return BY_NAME.get(name)?.settings ?? [name]
}

/** How the documentation shows a default. */
export function defaultShown(entry: ConfigEntry): string {
  if (entry.defaultText !== undefined) return entry.defaultText
  if (entry.default === undefined) return ''
  return typeof entry.default === 'number' ? String(entry.default) : `\`${entry.default}\``
}

/** How the documentation shows a type. */
export function typeShown(type: ConfigType): string {
  switch (type.kind) {
    case 'int':
      return type.max === undefined ? `integer ≥ ${type.min}` : `integer ${type.min}–${type.max}`
    case 'enum':
      return type.values.map((value) => `\`${value}\``).join(' \\| ')
    case 'list':
      return 'list'
    case 'date':
      return 'date'
    case 'switch':
      return 'switch'
    default:
      return type.kind
  }
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|')

/** The documentation's tables (docs/configuration.md between its markers), one per group. */
export function configTableMarkdown(): string {
  const parts: string[] = []
  for (const [group, title] of Object.entries(CONFIG_GROUP_TITLES) as Array<[ConfigGroup, string]>) {
    const rows = CONFIG_TABLE.filter((entry) => entry.group === group)
    if (rows.length === 0) continue
    parts.push(`### ${title}`, '', '| Variable | Type | Default | Meaning | Setting it fixes |', '| --- | --- | --- | --- | --- |')
    for (const entry of rows) {
      const meaning = entry.only ? `${entry.meaning} (${entry.only})` : entry.meaning
      const settings = entry.settings ? entry.settings.map((path) => `\`${path}\``).join(', ') : ''
      parts.push(`| \`${entry.env}\` | ${escapeCell(typeShown(entry.type))} | ${escapeCell(defaultShown(entry))} | ${escapeCell(meaning)} | ${settings} |`)
    }
    parts.push('')
  }
  return parts.join('\n')
}
