/**
 * The operator's saved desktop settings (`<userData>/settings.json`, no secrets in it) and how they
 * overlay the environment: what the environment sets (USERCRT, DB_URL, …) wins and is shown read-only.
 */
import { existsSync } from 'node:fs'
import { constants } from 'node:fs'
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import type { Stats2Config } from '../config/config'
import type { DesktopSettings, SettingsPatch, SettingsView } from '../../shared/ipc-contract'
import type { SecretStore } from './secrets'
import { scopeEnvironmentOverrides } from '../config/scope-config'
import { configEntry, fixedByEnvironment, settingsFixedBy } from '../../shared/config-table'
import { isScoped, normaliseScope } from '../../shared/sync-scope'
import { withoutUrlCredentials } from './database-url-secret'

export const DEFAULT_SETTINGS: DesktopSettings = {
  credentials: { kind: 'auto' },
  database: { kind: 'embedded' },
  cmsweb: { url: configEntry('CMSWEB_URL').default as string, dbsUrl: configEntry('CMSWEB_PROD_URL').default as string },
  concurrency: configEntry('STATS2_CONCURRENCY').default as number,
  notifications: { prod: false, dev: false },
  scheduleMinutes: 0,
  startAtLogin: false
}

type Env = Record<string, string | undefined>

/** Environment variables that fix a part of the settings (the configuration table's `settings` column). */
export function environmentOverrides(env: Env): string[] {
  return fixedByEnvironment(env)
}

export class DesktopSettingsFile {
  private constructor(private readonly file: string, private settings: DesktopSettings) {}

  static async open(userDataDir: string): Promise<DesktopSettingsFile> {
    const file = join(userDataDir, 'settings.json')
    let saved: Partial<DesktopSettings> = {}
    try {
      saved = JSON.parse(await readFile(file, 'utf8')) as Partial<DesktopSettings>
    } catch {
      // first start, or an unreadable file: defaults (the file is rewritten on the next save)
    }
    return new DesktopSettingsFile(file, { ...structuredClone(DEFAULT_SETTINGS), ...saved })
  }

  get current(): DesktopSettings {
    return structuredClone(this.settings)
  }

  async apply(patch: SettingsPatch): Promise<DesktopSettings> {
    const next = structuredClone(this.settings)
    if (patch.credentials) next.credentials = patch.credentials
    if (patch.caPath !== undefined) {
      if (patch.caPath === '') delete next.caPath
      else next.caPath = patch.caPath
    }
    if (patch.database) next.database = patch.database
    if (patch.cmsweb) next.cmsweb = patch.cmsweb
    if (patch.concurrency !== undefined) next.concurrency = patch.concurrency
    if (patch.notifications) next.notifications = patch.notifications
    if (patch.scheduleMinutes !== undefined) next.scheduleMinutes = patch.scheduleMinutes
    if (patch.syncScope) {
      const scope = normaliseScope(patch.syncScope)
      if (scope.ok && isScoped(scope.value)) next.syncScope = scope.value
      else delete next.syncScope
    }
    if (patch.startAtLogin !== undefined) next.startAtLogin = patch.startAtLogin
    await mkdir(dirname(this.file), { recursive: true })
    const temp = `${this.file}.tmp`
    await writeFile(temp, JSON.stringify(next, null, 2), { mode: 0o600 })
    await rename(temp, this.file)
    this.settings = next
    return this.current
  }
}

/** Settings that name something that is not there: `path: problem; …`, as the renderer maps them to fields. */
export class SettingsError extends Error {
  override name = 'SettingsError'
}

async function readable(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.R_OK)
    return undefined
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code ?? 'error'})`
  }
}

/** Checks what a patch points at before anything is saved. */
export async function validatePatch(patch: SettingsPatch): Promise<void> {
  const problems: string[] = []
  const need = async (field: string, path: string | undefined, what: string): Promise<void> => {
    if (!path) return void problems.push(`${field}: ${what} is needed`)
    if (!isAbsolute(path)) return void problems.push(`${field}: give the full path (${path} is relative)`)
    const problem = await readable(path)
    if (problem) problems.push(`${field}: ${problem}`)
  }
  const credentials = patch.credentials
  if (credentials?.kind === 'pem') {
    await need('credentials.certPath', credentials.certPath, 'the certificate (usercert.pem)')
    await need('credentials.keyPath', credentials.keyPath, 'the key (userkey.pem)')
  }
  if (credentials?.kind === 'p12') await need('credentials.p12Path', credentials.p12Path, 'the .p12 bundle')
  if (credentials?.kind === 'proxy') await need('credentials.proxyPath', credentials.proxyPath, 'the proxy file')
  if (patch.caPath) await need('caPath', patch.caPath, 'the CA bundle or folder')
  if (patch.database?.kind === 'url' && !patch.database.url) problems.push('database.url: the CouchDB URL is needed')
  if (patch.database?.dataDir && !isAbsolute(patch.database.dataDir)) problems.push(`database.dataDir: give the full path (${patch.database.dataDir} is relative)`)
  if (patch.syncScope) {
    const scope = normaliseScope(patch.syncScope)
    if (!scope.ok) for (const issue of scope.issues) problems.push(`syncScope.${issue.field}: ${issue.message}`)
  }
  if (problems.length > 0) throw new SettingsError(problems.join('; '))
}

/** The effective configuration: environment first, then the saved settings and secrets. */
export function effectiveConfig(base: Stats2Config, settings: DesktopSettings, secrets: SecretStore, env: Env): Stats2Config {
  const config = structuredClone(base)
  const fixed = new Set(environmentOverrides(env))
  const credentialFromEnv = [...fixed].some((name) => settingsFixedBy(name).includes('credentials'))
  if (!credentialFromEnv) {
    const { kind, certPath, keyPath, p12Path, proxyPath } = settings.credentials
    config.credentials = {}
    if (kind === 'pem') Object.assign(config.credentials, { certPath, keyPath })
    if (kind === 'p12') config.credentials.p12Path = p12Path
    if (kind === 'proxy') config.credentials.proxyPath = proxyPath
  }
  if (!fixed.has('STATS2_KEY_PASSPHRASE') && !fixed.has('STATS2_KEY_PASSPHRASE_FILE')) {
    config.credentials.passphrase = secrets.get('passphrase')
  }
  if (!fixed.has('CMSWEB_CA') && settings.caPath) config.cmsweb.caPath = settings.caPath
  if (!fixed.has('CMSWEB_URL')) config.cmsweb.url = settings.cmsweb.url.replace(/\/+$/, '')
  if (!fixed.has('CMSWEB_PROD_URL')) config.cmsweb.dbsUrl = settings.cmsweb.dbsUrl.replace(/\/+$/, '')
  if (!fixed.has('STATS2_CONCURRENCY')) config.cmsweb.concurrency = settings.concurrency
  // The environment's scope (STATS2_SCOPE_*), when it sets any, replaces the saved one as a whole.
  if (scopeEnvironmentOverrides(env).length === 0) {
    const scope = settings.syncScope ? normaliseScope(settings.syncScope) : undefined
    config.scope = scope?.ok && isScoped(scope.value) ? scope.value : undefined
  }
  if (!fixed.has('DB_URL')) {
    if (settings.database.kind === 'url' && settings.database.url) {
      config.db.url = settings.database.url.replace(/\/+$/, '')
      const password = secrets.get('databasePassword')
      if (!fixed.has('STATS_DB_AUTH_HEADER') && settings.database.user && password !== undefined) {
        config.db.authHeader = 'Basic ' + Buffer.from(`${settings.database.user}:${password}`).toString('base64')
      }
    } else {
      config.db.url = undefined
      if (!fixed.has('STATS2_DATA_DIR') && settings.database.dataDir) config.db.dataDir = settings.database.dataDir
    }
  }
  return config
}

/** True when some certificate is configured or the grid default (~/.globus) exists. */
export function credentialsConfigured(config: Stats2Config, home = homedir()): boolean {
  const c = config.credentials
  if (c.certPath || c.keyPath || c.p12Path || c.proxyPath) return true
  return existsSync(join(home, '.globus', 'usercert.pem')) && existsSync(join(home, '.globus', 'userkey.pem'))
}

export function settingsView(settings: DesktopSettings, secrets: SecretStore, env: Env): SettingsView {
  const database = settings.database.url ? { ...settings.database, url: withoutUrlCredentials(settings.database.url) } : settings.database
  return {
    ...settings,
    database,
    passphraseStored: secrets.get('passphrase') !== undefined,
    databasePasswordStored: secrets.get('databasePassword') !== undefined,
    secureStorage: secrets.persistent,
    fromEnvironment: environmentOverrides(env)
  }
}
