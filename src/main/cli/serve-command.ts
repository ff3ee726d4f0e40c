/**
 * `stats2 serve [--host H] [--port P] [--base-path /stats]`: the old Stats2 web service's URLs over
 * the store (embedded, or DB_URL for several instances on one CouchDB). Prints one JSON line
 * (`{"url": …}`) when listening; stops cleanly on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util'
import type { Stats2Config } from '../config/config'
import { loadServeConfig } from '../config/serve-config'
import { openStore } from '../core/runtime'
import { createLogger } from '../log/logger'
import { Authoriser } from '../serve/auth'
import { startService } from '../serve/server'
import { UpdateQueue, updaterRunner } from '../serve/updates'
import type { CliIo } from './io'
import { RENDERER_DIR } from './ui-command'
import { untilStopped } from './until-stopped'

const log = createLogger('serve')

export async function runServeCommand(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'base-path': { type: 'string' }
    },
    strict: true
  })
  const serveConfig = loadServeConfig(io.env, { host: values.host, port: values.port, basePath: values['base-path'] })
  const auth = new Authoriser(serveConfig)
  if (!auth.configured) log.warn('no STATS2_SERVE_TOKENS_FILE or STATS2_SERVE_TRUSTED_HEADER: api/update refuses every caller')
  const store = await openStore(config)
  const runner = updaterRunner(config, store)
  const updates = new UpdateQueue(runner.run, { concurrency: serveConfig.updateConcurrency, queue: serveConfig.updateQueue })
  let service: Awaited<ReturnType<typeof startService>> | undefined
  try {
    service = await startService({ config: serveConfig, store, auth, updates, rendererDir: RENDERER_DIR })
    io.out(JSON.stringify({ url: service.url, store: store.url }) + '\n')
    log.info(`Stats2 service at ${service.url} on the store ${store.url}; SIGTERM or Ctrl-C to stop`)
    await untilStopped()
    log.info('stopping: finishing the requests in flight')
    return 0
  } finally {
    await service?.close()
    await runner.close()
    await store.close()
    log.info('stopped')
  }
}
