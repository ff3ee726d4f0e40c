/**
 * Start at login. macOS and Windows have it in Electron (app.setLoginItemSettings); Linux has the
 * XDG autostart folder, where we write or remove our own desktop entry. Only the installed app
 * offers the setting: from a checkout there is no stable command to start.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

const ENTRY_NAME = 'stats2.desktop'
const MARK = 'X-Stats2-Autostart=true'

/** `$XDG_CONFIG_HOME/autostart/stats2.desktop`, by default under ~/.config. */
export function autostartFile(env: Record<string, string | undefined>, home = homedir()): string {
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config')
  return join(config, 'autostart', ENTRY_NAME)
}

/** One argument of a desktop entry's Exec key, quoted when it needs to be (XDG desktop entry spec). */
export function quoteExecArgument(argument: string): string {
  if (/^[\w./+,:@%-]+$/.test(argument)) return argument
  return `"${argument.replace(/([\\"`$])/g, '\\$1')}"`
}

export function autostartEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Stats2',
    'Comment=Workflow progress from ReqMgr2 and DBS',
    `Exec=${command.map(quoteExecArgument).join(' ')}`,
    'Icon=stats2-desktop',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    MARK,
    ''
  ].join('\n')
}

/** The command that starts the installed app: the AppImage file itself when run from one. */
export function loginCommand(execPath: string, env: Record<string, string | undefined>): string[] {
  return [env.APPIMAGE && env.APPIMAGE.startsWith('/') ? env.APPIMAGE : execPath]
}

/** Writes our autostart entry, or removes it — only when it is ours (an entry the user wrote stays). */
export async function setLinuxAutostart(enabled: boolean, file: string, command: string[]): Promise<void> {
  if (enabled) {
    await mkdir(dirname(file), { recursive: true })
    await writeFile(`${file}.tmp`, autostartEntry(command))
    await rename(`${file}.tmp`, file)
    return
  }
  let current: string
  try {
    current = await readFile(file, 'utf8')
  } catch {
    return
  }
  if (current.includes(MARK)) await rm(file, { force: true })
}
