/** `stats2 ui`: the dashboard in a browser, for machines without a display server or Electron. */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultAppDataDir, type Stats2Config } from '../config/config'
import { AppCore } from '../desktop/app-core'
import { DEMO_STEP_MS } from '../desktop/demo'
import { MemorySecretStore } from '../desktop/secrets'
import { createHandlers } from '../ipc/handlers'
import { startBridge } from '../ipc/bridge-server'
import { createLogger } from '../log/logger'
import type { CliIo } from './io'
import { untilStopped } from './until-stopped'

const log = createLogger('ui')

/** The built renderer: beside the built command (out/cli → out/renderer), or from the sources (src/main/cli). */
export const RENDERER_DIR = [resolve(__dirname, '..', 'renderer'), resolve(__dirname, '..', '..', '..', 'out', 'renderer')].find((dir) =>
  existsSync(join(dir, 'index.html'))
) ?? resolve(__dirname, '..', '..', '..', 'out', 'renderer')

/**
 * Opens an allowed link (the checked, normalised href) in the operator's own browser. No shell:
 * on Windows `cmd /c start` would split the URL at `&`, so the URL handler is called directly.
 */
function openInBrowser(url: string): Promise<void> {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]]
      : process.platform === 'win32' ? ['rundll32.exe', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]]
  return new Promise((done, reject) => {
    const child = spawn(command as string, args as string[], { detached: true, stdio: 'ignore' })
    child.once('error', (error) => reject(new Error(`Cannot open a browser (${command}): ${error.message}`)))
    child.once('spawn', () => {
      child.unref()
      done()
    })
  })
}

export async function runUiCommand(args: string[], _config: Stats2Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      demo: { type: 'boolean' },
      'demo-workflows': { type: 'string' },
      'demo-step-ms': { type: 'string' }
    },
    strict: true
  })
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw Object.assign(new Error(`--port: invalid value "${values.port}"`), { code: 'ERR_PARSE_ARGS_INVALID' })
  const core = await AppCore.create({
    userDataDir: defaultAppDataDir(io.env),
    env: io.env,
    secrets: new MemorySecretStore(),
    demoStepEveryMs: values['demo-step-ms'] === undefined ? DEMO_STEP_MS : Number(values['demo-step-ms'])
  })
  const handlers = createHandlers(core, { openExternal: openInBrowser })
  const bridge = await startBridge({
    handlers,
    rendererDir: RENDERER_DIR,
    port,
    subscribe: (event, listener) => core.subscribe(event, listener)
  })
  if (values.demo) await core.startDemo(values['demo-workflows'] === undefined ? undefined : Number(values['demo-workflows']))
  // The address with its token is for the user only (stdout); logs (stderr, journald) never carry the token.
  io.out(`${bridge.openUrl}\n`)
  log.info(`dashboard ready at ${bridge.url} (open the address printed on stdout, with its token, in a browser on this machine); Ctrl-C to stop`)
  await untilStopped()
  await bridge.close()
  await core.close()
  return 0
}
