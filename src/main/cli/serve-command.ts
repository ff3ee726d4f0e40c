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
import { startService } from '../serve/server'
import { serviceAccess, serviceParts, type ServiceParts } from '../serve/wiring'
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
  const access = serviceAccess(serveConfig)
  if (!access.auth.configured) log.warn('no STATS2_SERVE_TOKENS_FILE or STATS2_SERVE_TRUSTED_HEADER: api/update refuses every caller')
  const store = await openStore(config)
  let parts: ServiceParts | undefined
  let service: Awaited<ReturnType<typeof startService>> | undefined
  try {
    parts = serviceParts(config, serveConfig, store, access)
    service = await startService({ config: serveConfig, store, rendererDir: RENDERER_DIR, ...parts })
    io.out(JSON.stringify({ url: service.url, store: store.url }) + '\n')
    log.info(`Stats2 service at ${service.url} on the store ${store.url}; SIGTERM or Ctrl-C to stop`)
    await untilStopped()
    log.info('stopping: finishing the requests in flight')
    return 0
  } finally {
    await service?.close()
    await parts?.close()
    await store.close()
    log.info('stopped')
  }
}
