/**
 * Help → About and Help → Copy diagnostics: plain text an operator can paste into a ticket.
 * Built from the app's status (which never holds a key or passphrase) and the runtime versions;
 * URLs lose any user:password part.
 */
import type { Stats2Config } from '../config/config'
import type { AppStatus } from '../../shared/ipc-contract'
import { humanSize } from '../../shared/rules/size'

export interface RuntimeVersions {
  app: string
  electron?: string
  chrome?: string
  node: string
  v8?: string
  /** e.g. `linux x64 6.1.0` */
  os: string
}

/** This process's versions (Electron's and Chromium's only inside Electron). */
export function runtimeVersions(appVersion: string, versions: NodeJS.ProcessVersions = process.versions, os = `${process.platform} ${process.arch}`): RuntimeVersions {
  const electron = (versions as Record<string, string | undefined>).electron
  const chrome = (versions as Record<string, string | undefined>).chrome
  return { app: appVersion, ...(electron ? { electron } : {}), ...(chrome ? { chrome } : {}), node: versions.node, v8: versions.v8, os }
}

function versionLines(versions: RuntimeVersions): string[] {
  return [
    `Stats2 ${versions.app}`,
    ...(versions.electron ? [`Electron ${versions.electron}`] : []),
    ...(versions.chrome ? [`Chromium ${versions.chrome}`] : []),
    `Node.js ${versions.node}`,
    ...(versions.v8 ? [`V8 ${versions.v8}`] : []),
    `OS ${versions.os}`
  ]
}

/** The About box's text. */
export function aboutText(versions: RuntimeVersions): string {
  return `${versionLines(versions).join('\n')}\n\nReqMgr2/DBS workflow progress for CMS PdmV.`
}

/** A URL without its user:password part; anything that is not a URL is left out. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    return parsed.toString().replace(/\/$/, '')
  } catch {
    return url === '' ? '' : '(not a URL)'
  }
}

/** Where the data lives: the embedded store's folder, or the app's own folder when a CouchDB is used. */
export function dataFolder(config: Stats2Config, userDataDir: string): string {
  return config.db.url ? userDataDir : config.db.dataDir
}

function certificateLine(credentials: AppStatus['credentials'], now: number): string {
  if (!credentials) return 'Certificate: none configured'
  if ('error' in credentials) return `Certificate: not usable: ${credentials.error}`
  const days = Math.floor((credentials.notAfter * 1000 - now) / 86_400_000)
  const expiry = new Date(credentials.notAfter * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const left = days < 0 ? `EXPIRED ${-days} day${days === -1 ? '' : 's'} ago` : `expires in ${days} day${days === 1 ? '' : 's'}`
  return `Certificate: ${credentials.subject} (${credentials.kind}), valid until ${expiry}, ${left}`
}

/** The diagnostics text: versions, mode, store and its size, data folder, certificate, last update. */
export function diagnosticsText(input: { versions: RuntimeVersions; status: AppStatus; dataFolder: string; now?: number }): string {
  const { status } = input
  const now = input.now ?? Date.now()
  const store = status.store
  const size = store.fileSize !== undefined ? `, ${humanSize(store.fileSize)} on disk${store.activeSize !== undefined ? ` (${humanSize(store.activeSize)} live data)` : ''}` : ''
  const lines = [
    ...versionLines(input.versions),
    `Mode: ${status.mode}${status.demo ? ` (demo scenario ${status.demo.scenario}, step ${status.demo.step} of ${status.demo.steps})` : ''}`,
    `Store: ${store.embedded ? 'embedded' : 'CouchDB'} ${redactUrl(store.url)}, ${store.workflows} workflows${size}${store.error ? `; error: ${store.error}` : ''}`,
    `Data folder: ${input.dataFolder}`,
    certificateLine(status.credentials, now),
    `Last update: ${status.lastUpdate ? new Date(status.lastUpdate * 1000).toISOString() : 'never'}`,
    `Failed workflows waiting for a retry: ${status.failed.length}`,
    `Scheduled update: ${status.schedule.everyMinutes ? `every ${status.schedule.everyMinutes} minutes` : 'off'}`,
    `Generated: ${new Date(now).toISOString()}`
  ]
  return lines.join('\n') + '\n'
}
