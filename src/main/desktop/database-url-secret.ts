/**
 * A CouchDB URL typed into Settings as `https://user:password@host/`: the password goes to the
 * secret store (the OS keyring, like the key passphrase), the user name to `database.user`, and the
 * URL is kept and shown without them. settings.json and the renderer never see the password.
 */
import type { SettingsPatch } from '../../shared/ipc-contract'
import type { DesktopSettingsFile } from './desktop-settings'
import type { SecretStore } from './secrets'

export interface SplitUrl {
  url: string
  user?: string
  password?: string
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The URL without user and password, and what they were. An unparsable URL is returned as it is. */
export function splitUrlCredentials(value: string): SplitUrl {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { url: value }
  }
  if (!url.username && !url.password) return { url: value }
  const split: SplitUrl = { url: '' }
  if (url.username) split.user = decoded(url.username)
  if (url.password) split.password = decoded(url.password)
  url.username = ''
  url.password = ''
  split.url = url.toString()
  return split
}

/** The URL as it may be shown or stored: never with a user or password in it. */
export function withoutUrlCredentials(value: string): string {
  return splitUrlCredentials(value).url
}

/**
 * Moves credentials out of `patch.database.url` into `database.user` and `databasePassword`, and
 * out of the replica's `source.url` into `source.user` and `replicaPassword`.
 */
export function moveUrlCredentials(patch: SettingsPatch): SettingsPatch {
  let next = patch
  for (const [part, secret] of [['database', 'databasePassword'], ['source', 'replicaPassword']] as const) {
    const given = next[part]
    if (!given?.url) continue
    const split = splitUrlCredentials(given.url)
    if (split.user === undefined && split.password === undefined) continue
    const moved = { ...given, url: split.url, ...(split.user !== undefined && !given.user ? { user: split.user } : {}) }
    next = { ...next, [part]: moved, ...(split.password !== undefined && next[secret] === undefined ? { [secret]: split.password } : {}) }
  }
  return next
}

/**
 * A settings.json written before this rule may hold such a URL: move its password to the secret
 * store and rewrite the file without it (once, at start).
 */
export async function migrateStoredUrlCredentials(settings: DesktopSettingsFile, secrets: SecretStore): Promise<boolean> {
  const database = settings.current.database
  if (!database.url) return false
  const moved = moveUrlCredentials({ database })
  if (moved.database?.url === database.url) return false
  if (moved.databasePassword !== undefined) await secrets.set('databasePassword', moved.databasePassword, true)
  await settings.apply({ database: moved.database })
  return true
}
