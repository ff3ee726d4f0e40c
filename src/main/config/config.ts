/**
 * The one home of configuration. Everything comes from the environment (the old Stats2 names are
 * honoured: USERCRT, USERKEY, DB_URL, STATS_DB_AUTH_HEADER, CALLBACK_CLIENT_ID, …); the desktop
 * app overlays the operator's saved settings on top with `withOverrides`.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { SyncScope } from '../../shared/sync-scope'
import { configEntry } from '../../shared/config-table'
import { envEnum, envInt, envText, envUrl, nonEmpty, type Env } from './env'
import { scopeFromEnv } from './scope-config'

export { ConfigError } from './env'

export interface CredentialConfig {
  /** PEM certificate (USERCRT, X509_USER_CERT). */
  certPath?: string
  /** PEM key, plain or encrypted (USERKEY, X509_USER_KEY). */
  keyPath?: string
  /** PKCS#12 bundle (STATS2_USER_P12). */
  p12Path?: string
  /** X509 proxy: certificate, key (and chain) in one PEM (X509_USER_PROXY). */
  proxyPath?: string
  /** Passphrase of an encrypted key or bundle (STATS2_KEY_PASSPHRASE or STATS2_KEY_PASSPHRASE_FILE). */
  passphrase?: string
  /** A file holding the passphrase (STATS2_KEY_PASSPHRASE_FILE), read when the key is loaded. */
  passphrasePath?: string
}

export interface CmswebConfig {
  /** ReqMgr2 and WMStats (CMSWEB_URL). */
  url: string
  /** DBS (CMSWEB_PROD_URL). */
  dbsUrl: string
  /** Extra trusted CAs: a PEM bundle or a directory of PEM files (CMSWEB_CA). */
  caPath?: string
  /** The grid CA directory (X509_CERT_DIR). */
  caDir?: string
  concurrency: number
  timeoutMs: number
  retries: number
}

export interface DatabaseConfig {
  /** A CouchDB to use instead of the embedded store (DB_URL). */
  url?: string
  /** `Basic <base64 user:pass>` for writes to DB_URL (STATS_DB_AUTH_HEADER). */
  authHeader?: string
  /** Where the embedded store keeps its data (STATS2_DATA_DIR). */
  dataDir: string
  /** Per CouchDB call, per attempt (STATS2_DB_TIMEOUT_MS); view queries get `viewTimeoutMs`. */
  timeoutMs?: number
  /** View queries may build an index first: minutes on a large store (STATS2_DB_VIEW_TIMEOUT_MS). */
  viewTimeoutMs?: number
  /** Retries of a call that timed out, was reset or got a 5xx (STATS2_DB_RETRIES); never a 4xx. */
  retries?: number
  /** What anonymous callers of the embedded store may do: read the two databases, or nothing (STATS2_STORE_ANONYMOUS; unset: from the environment at start). */
  storeAnonymous?: 'read' | 'none'
  /**
   * The embedded store's liveness deadline (STATS2_STORE_HANG_MS): its process, silent for half of
   * it, is reported unavailable (calls fail at once with the reason); silent for all of it, it is
   * killed and started again. Default 10 000.
   */
  storeHangMs?: number
  /** Deadline of each call into a design-document function or `_find` scan of the embedded store, in ms (STATS2_STORE_FUNCTION_TIMEOUT_MS, default 5 000 as CouchDB's os_process_timeout; unset: from the environment at start). */
  storeFunctionTimeoutMs?: number
  /** How often the embedded store verifies its tables again while it runs, in ms (STATS2_STORE_SCRUB_MINUTES; 0: never; unset: from the environment at start). */
  storeScrubMs?: number
}

export interface NotifyConfig {
  clientId?: string
  clientSecret?: string
  prodAudience?: string
  devAudience?: string
  /** Keycloak base, e.g. https://auth.cern.ch (KEYCLOAK_URL). */
  keycloakUrl: string
  /** PdmV services on production (PDMV_PROD_URL) and development (PDMV_DEV_URL). */
  prodUrl: string
  devUrl: string
}

export interface UpdaterConfig {
  /** ReqMgr2 changes read per page (STATS2_CHANGES_PAGE). */
  changesPageSize: number
  /** Datasets per DBS datasetlist call (STATS2_DATASETLIST_BATCH). */
  datasetListBatch: number
  /** Documents per CouchDB bulk read/write (STATS2_DB_BATCH). */
  dbBatch: number
  /** Turn batching off to reproduce the old Stats2's one-call-at-a-time pattern (STATS2_BATCHING=0). */
  batching: boolean
}

export interface Stats2Config {
  credentials: CredentialConfig
  cmsweb: CmswebConfig
  db: DatabaseConfig
  notify: NotifyConfig
  updater: UpdaterConfig
  /** Which workflows update-all follows (STATS2_SCOPE_*); absent: every workflow. */
  scope?: SyncScope
  /** The shared Stats2 a replica pulls from (`stats2 replicate`, Settings → Source). */
  replica: ReplicaConfig
}

export interface ReplicaConfig {
  /** The source CouchDB server (STATS2_REPLICA_SOURCE), possibly with `user:password@`. */
  source?: string
  /** `Basic <base64 user:password>` for reading it (STATS2_REPLICA_AUTH_HEADER). */
  authHeader?: string
}

/** STATS2_STORE_ANONYMOUS: `read` (default) or `none`. */
export function storeAnonymousAccess(env: Env = process.env): 'read' | 'none' {
  return envEnum<'read' | 'none'>(env, 'STATS2_STORE_ANONYMOUS')
}

/** The embedded store process's liveness deadline when STATS2_STORE_HANG_MS is not set. */
export const DEFAULT_STORE_HANG_MS = configEntry('STATS2_STORE_HANG_MS').default as number

/** STATS2_STORE_FUNCTION_TIMEOUT_MS: a positive integer, 5 000 by default (CouchDB's `os_process_timeout`). */
export function storeFunctionTimeoutMs(env: Env = process.env): number {
  return envInt(env, 'STATS2_STORE_FUNCTION_TIMEOUT_MS')
}

export function storeScrubMs(env: Env = process.env): number {
  return envInt(env, 'STATS2_STORE_SCRUB_MINUTES') * 60_000
}

/** The per-user application-data folder, the same one Electron's `app.getPath('userData')` gives for "Stats2". */
export function defaultAppDataDir(env: Env = process.env, platform = process.platform): string {
  // The environment given wins over the process's own (a test or an embedding passes its own HOME).
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE) ?? homedir()
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Stats2')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Stats2')
  return join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, '.config'), 'Stats2')
}

export function loadConfig(env: Env = process.env): Stats2Config {
  const passphraseFile = envText(env, 'STATS2_KEY_PASSPHRASE_FILE')
  const credentials: CredentialConfig = {
    certPath: envText(env, 'USERCRT') ?? envText(env, 'X509_USER_CERT'),
    keyPath: envText(env, 'USERKEY') ?? envText(env, 'X509_USER_KEY'),
    p12Path: envText(env, 'STATS2_USER_P12'),
    proxyPath: envText(env, 'X509_USER_PROXY'),
    // A passphrase is taken as typed (spaces included).
    passphrase: env.STATS2_KEY_PASSPHRASE
  }
  if (passphraseFile !== undefined && credentials.passphrase === undefined) {
    credentials.passphrasePath = passphraseFile
  }
  return {
    credentials,
    cmsweb: {
      url: envUrl(env, 'CMSWEB_URL')!,
      dbsUrl: envUrl(env, 'CMSWEB_PROD_URL')!,
      caPath: envText(env, 'CMSWEB_CA'),
      caDir: envText(env, 'X509_CERT_DIR'),
      concurrency: envInt(env, 'STATS2_CONCURRENCY'),
      timeoutMs: envInt(env, 'STATS2_TIMEOUT_MS'),
      retries: envInt(env, 'STATS2_RETRIES')
    },
    db: {
      url: envUrl(env, 'DB_URL'),
      authHeader: envText(env, 'STATS_DB_AUTH_HEADER'),
      dataDir: envText(env, 'STATS2_DATA_DIR') ?? join(defaultAppDataDir(env), 'store'),
      timeoutMs: envInt(env, 'STATS2_DB_TIMEOUT_MS'),
      viewTimeoutMs: envInt(env, 'STATS2_DB_VIEW_TIMEOUT_MS'),
      retries: envInt(env, 'STATS2_DB_RETRIES'),
      storeAnonymous: storeAnonymousAccess(env),
      storeHangMs: envInt(env, 'STATS2_STORE_HANG_MS'),
      storeFunctionTimeoutMs: storeFunctionTimeoutMs(env),
      storeScrubMs: storeScrubMs(env)
    },
    notify: {
      clientId: envText(env, 'CALLBACK_CLIENT_ID'),
      clientSecret: envText(env, 'CALLBACK_CLIENT_SECRET'),
      prodAudience: envText(env, 'APPLICATION_CLIENT_ID'),
      devAudience: envText(env, 'DEV_APPLICATION_CLIENT_ID'),
      keycloakUrl: envUrl(env, 'KEYCLOAK_URL')!,
      prodUrl: envUrl(env, 'PDMV_PROD_URL')!,
      devUrl: envUrl(env, 'PDMV_DEV_URL')!
    },
    updater: {
      changesPageSize: envInt(env, 'STATS2_CHANGES_PAGE'),
      datasetListBatch: envInt(env, 'STATS2_DATASETLIST_BATCH'),
      dbBatch: envInt(env, 'STATS2_DB_BATCH'),
      batching: (envText(env, 'STATS2_BATCHING') ?? '1') !== '0'
    },
    scope: scopeFromEnv(env),
    replica: { source: envUrl(env, 'STATS2_REPLICA_SOURCE'), authHeader: envText(env, 'STATS2_REPLICA_AUTH_HEADER') }
  }
}

/** STATS2_LOG_LEVEL, checked. */
export function logLevelFromEnv(env: Env = process.env): 'debug' | 'info' | 'warn' | 'error' {
  return envEnum(env, 'STATS2_LOG_LEVEL')
}
