// @ts-check
/**
 * What `npm start` and `npm run dev` need before electron-vite can open the app: Electron's binary.
 * Electron 45 no longer downloads it at install time, and electron-vite only looks for it
 * (node_modules/electron/path.txt), so we run Electron's own installer when it is missing and turn
 * its failures into one line an operator can act on. Plain Node (no build, no TypeScript): this runs
 * before anything is built.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** Electron 45's installer (@electron/get 5) declares this Node; older ones are refused up front. */
export const INSTALLER_NODE = '22.12.0'
const BROWSER_WAY_OUT = 'or open the dashboard in your browser instead: npx stats2 ui'

/** @param {string} version @param {string} minimum */
export function atLeast(version, minimum) {
  const have = version.replace(/^v/, '').split('.').map(Number)
  const need = minimum.split('.').map(Number)
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0
    const b = need[i] ?? 0
    if (a !== b) return a > b
  }
  return true
}

/**
 * The executable inside an Electron distribution folder, as Electron's installer names it.
 * @param {string} platform
 */
export function platformExecutable(platform = process.platform) {
  if (platform === 'darwin' || platform === 'mas') return 'Electron.app/Contents/MacOS/Electron'
  if (platform === 'win32') return 'electron.exe'
  return 'electron'
}

/**
 * The installed `electron` package folder, resolved from the project root.
 * @param {string} projectRoot
 */
export function electronPackageDir(projectRoot) {
  return dirname(createRequire(join(projectRoot, 'package.json')).resolve('electron/package.json'))
}

/**
 * The Electron executable that is already there, without downloading: `ELECTRON_EXEC_PATH`
 * (electron-vite's own override), `ELECTRON_OVERRIDE_DIST_PATH` (Electron's), or the installed binary.
 * @param {string} electronDir
 * @param {Record<string, string | undefined>} env
 * @returns {string | undefined}
 */
export function findElectron(electronDir, env, platform = /** @type {string} */ (process.platform)) {
  if (env.ELECTRON_EXEC_PATH) return existsSync(env.ELECTRON_EXEC_PATH) ? env.ELECTRON_EXEC_PATH : undefined
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const executable = join(env.ELECTRON_OVERRIDE_DIST_PATH, platformExecutable(platform))
    return existsSync(executable) ? executable : undefined
  }
  const pathFile = join(electronDir, 'path.txt')
  if (!existsSync(pathFile)) return undefined
  const executable = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(executable) ? executable : undefined
}

/** @param {Record<string, string | undefined>} env */
function downloadSource(env) {
  return env.ELECTRON_MIRROR || env.npm_config_electron_mirror || 'https://github.com/electron/electron/releases'
}

/**
 * The first meaningful line of the installer's error output, without the stack.
 * @param {string} stderr
 */
export function installerReason(stderr) {
  const line = stderr.split('\n').map((/** @type {string} */ text) => text.trim()).find((text) => text !== '' && !text.startsWith('at '))
  if (!line) return 'the installer ended without saying why'
  return line.replace(/^(Type|HTTP|Request|)Error:\s*/, '').slice(0, 300)
}

/**
 * Makes sure Electron's binary is there: finds it, or runs Electron's installer (`install.js`, the
 * `install-electron` bin) with the current Node.
 * @param {{ electronDir: string, env: Record<string, string | undefined>, nodeVersion?: string, log?: (line: string) => void }} options
 * @returns {Promise<{ ok: true, executable: string } | { ok: false, message: string }>}
 */
export async function ensureElectron({ electronDir, env, nodeVersion = process.versions.node, log = () => undefined }) {
  const found = findElectron(electronDir, env)
  if (found) return { ok: true, executable: found }
  const version = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version
  if (env.ELECTRON_EXEC_PATH || env.ELECTRON_OVERRIDE_DIST_PATH) {
    const named = env.ELECTRON_EXEC_PATH ? `ELECTRON_EXEC_PATH=${env.ELECTRON_EXEC_PATH}` : `ELECTRON_OVERRIDE_DIST_PATH=${env.ELECTRON_OVERRIDE_DIST_PATH}`
    return { ok: false, message: `Electron was not found where ${named} points; fix or unset it and retry, ${BROWSER_WAY_OUT}` }
  }
  if (!atLeast(nodeVersion, INSTALLER_NODE)) {
    return {
      ok: false,
      message:
        `Electron ${version}'s binary is not installed yet, and its installer needs Node.js ${INSTALLER_NODE} or newer (this is Node ${nodeVersion}): ` +
        `run npm start once with Node 22 (e.g. nvm install 22), ${BROWSER_WAY_OUT}`
    }
  }
  log(`Downloading Electron ${version} (about 100 MB, once) from ${downloadSource(env)} …`)
  const result = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(electronDir, 'install.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-20_000)))
    child.on('error', (error) => resolve({ code: 1, stderr: error.message }))
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }))
  })
  const installed = result.code === 0 ? findElectron(electronDir, env) : undefined
  if (installed) return { ok: true, executable: installed }
  return {
    ok: false,
    message:
      `Could not download Electron ${version} from ${downloadSource(env)} (${installerReason(result.stderr)}). ` +
      `Set ELECTRON_MIRROR to a reachable mirror, or HTTPS_PROXY with ELECTRON_GET_USE_PROXY=1, and retry; ${BROWSER_WAY_OUT}`
  }
}
