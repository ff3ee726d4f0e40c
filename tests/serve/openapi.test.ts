/**
 * `GET <base>/api/openapi.json` against the service's real answers: every documented operation is
 * called, for every answer it documents (200s, 302, 400, 401, 403, 404, 500, 503), on a store the
 * updater filled over the public scenario (and on one that is away), and each answer's status,
 * content type, required headers and JSON body are validated against the document with Ajv
 * (JSON Schema 2020-12, OpenAPI 3.1's dialect). An answer the document does not describe fails, and
 * so does a documented answer no call produced: the description cannot drift from the service.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CouchStore } from '../../src/main/store/couch-store'
import { call, fillPublicStore, serveStore, type Answer, type FilledStore, type ServiceUnderTest } from './helpers'
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy'

const TOKEN = 'a3f9c2d4e5b6a7980112233445566778'
const METRICS_TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00'
const NAME = 'amaltaro_MonteCarlo_eff_HG1812_Validation_181203_120941_3893'
const OTHER = 'amaltaro_ReDigi_3steps_HG1812_Validation_181203_120956_4300'
const SPEC_ID = 'https://stats2.invalid/openapi.json'

type Json = Record<string, unknown>

let work: string
let filled: FilledStore
let store: CouchStore
let away: CouchStore
/** The filled store behind a proxy that holds every answer back: a request keeps its slot a while. */
let slowProxy: FaultProxy
let slowStore: CouchStore
const services: Record<'main' | 'root' | 'narrow' | 'token' | 'off' | 'away' | 'limited', ServiceUnderTest> = {} as never
let spec: Json
let ajv: Ajv2020
/** `path METHOD status` of every documented answer, and those a call produced. */
const documented = new Set<string>()
const seen = new Set<string>()

function absoluteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(absoluteRefs)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, key === '$ref' && typeof item === 'string' && item.startsWith('#/') ? `${SPEC_ID}${item}` : absoluteRefs(item)]))
  }
  return value
}

/** Checks one real answer against the document's operation `path` + `method`. */
function conforms(path: string, method: 'get' | 'post', answer: Answer): void {
  const where = `${method.toUpperCase()} ${path} → ${answer.status}`
  const operation = ((spec.paths as Json)[path] as Json | undefined)?.[method] as Json | undefined
  expect(operation, `${path} ${method} is not documented`).toBeDefined()
  const response = (operation!.responses as Json)[String(answer.status)] as Json | undefined
  expect(response, `${where}: this status is not documented (${answer.text.slice(0, 200)})`).toBeDefined()
  seen.add(`${path} ${method} ${answer.status}`)
  for (const [name, header] of Object.entries((response!.headers as Record<string, Json> | undefined) ?? {})) {
    if (header.required) expect(answer.headers[name.toLowerCase()], `${where}: header ${name}`).toBeDefined()
  }
  const content = response!.content as Record<string, { schema: Json }> | undefined
  if (!content) return
  const type = answer.headers['content-type'] ?? ''
  const media = Object.keys(content).find((key) => key === type || key === type.split(';')[0]!.trim())
  expect(media, `${where}: content type ${type} is not one of ${Object.keys(content).join(', ')}`).toBeDefined()
  const schema = absoluteRefs(content[media!]!.schema) as Json
  const body = media === 'application/json' ? (JSON.parse(answer.text) as unknown) : answer.text
  const validate = ajv.compile(schema)
  expect(validate(body), `${where}: ${ajv.errorsText(validate.errors)}`).toBe(true)
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stats2-openapi-'))
  // Latency on cmsweb calls: an update lasts long enough for a second one to find the queue full.
  filled = await fillPublicStore(work, { latencyMs: 150 })
  const tokens = join(work, 'tokens')
  await writeFile(tokens, `${TOKEN}\n`)
  await chmod(tokens, 0o600)
  const metricsTokens = join(work, 'metrics-tokens')
  await writeFile(metricsTokens, `${METRICS_TOKEN}\n`)
  await chmod(metricsTokens, 0o600)
  store = await CouchStore.open(filled.config.db)
  away = CouchStore.connect('http://127.0.0.1:9', undefined, 500, { retries: 0, timeoutMs: 2_000 })
  const env = { ...filled.env, STATS2_SERVE_TOKENS_FILE: tokens }
  services.main = await serveStore(store, filled.config, env)
  services.root = await serveStore(store, filled.config, env, '/')
  services.narrow = await serveStore(store, filled.config, { ...env, STATS2_SERVE_UPDATES: '1', STATS2_SERVE_UPDATE_QUEUE: '0' })
  services.token = await serveStore(store, filled.config, { ...env, STATS2_SERVE_METRICS: 'token', STATS2_SERVE_METRICS_TOKENS_FILE: metricsTokens })
  services.off = await serveStore(store, filled.config, { ...env, STATS2_SERVE_METRICS: 'off' })
  services.away = await serveStore(away, filled.config, env)
  slowProxy = await startFaultProxy(store.url, { slow: 1, slowMs: 1_500 })
  slowStore = CouchStore.connect(slowProxy.url, store.embeddedServer!.authHeader)
  services.limited = await serveStore(slowStore, filled.config, { ...env, STATS2_SERVE_CLIENT_CONCURRENCY: '1' })
  const answer = await call(`${services.main.origin}/stats/api/openapi.json`)
  expect(answer.status).toBe(200)
  spec = JSON.parse(answer.text) as Json
  ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(absoluteRefs({ ...spec, $id: SPEC_ID }) as Json)
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, { responses: Json }>>)) {
    for (const [method, operation] of Object.entries(item)) for (const status of Object.keys(operation.responses)) documented.add(`${path} ${method} ${status}`)
  }
}, 120_000)

afterAll(async () => {
  for (const service of Object.values(services)) await service?.close()
  await store?.close()
  await away?.close()
  await slowStore?.close()
  await slowProxy?.close()
  await filled?.sim.close()
  await rm(work, { recursive: true, force: true })
})

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with the 2020-12 dialect; every schema compiles and every reference resolves', () => {
    expect(spec.openapi).toBe('3.1.0')
    expect(spec.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(spec.servers).toEqual([{ url: '/stats', description: expect.any(String) }])
    for (const name of Object.keys((spec.components as { schemas: Json }).schemas)) expect(ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`), name).toBeDefined()
    for (const key of documented) {
      const [path, method, status] = key.split(' ') as [string, string, string]
      const content = (((spec.paths as Json)[path] as Json)[method] as { responses: Record<string, { content?: Record<string, { schema: Json }> }> }).responses[status]!.content ?? {}
      for (const { schema } of Object.values(content)) expect(() => ajv.compile(absoluteRefs(schema) as Json), key).not.toThrow()
    }
  })

  it('is served under the base path, with it as the server URL', async () => {
    const root = await call(`${services.root.origin}/api/openapi.json`)
    conforms('/api/openapi.json', 'get', root)
    expect((JSON.parse(root.text) as Json).servers).toEqual([{ url: '/', description: expect.any(String) }])
  })
})

describe('every route\'s real answers conform', () => {
  const at = (service: keyof typeof services, path: string): string => `${services[service].origin}/stats${path}`

  it('the page and its later pages', async () => {
    conforms('/', 'get', await call(at('main', '/')))
    conforms('/', 'get', await call(at('main', '/?campaign=RunIISummer20UL18wmLHEGEN')))
    conforms('/', 'get', await call(at('main', `/?prepid=${'x'.repeat(1500)}`)))
    conforms('/', 'get', await call(at('away', '/')))
    conforms('/{page}', 'get', await call(at('main', '/1')))
    conforms('/{page}', 'get', await call(at('main', '/999999999')))
    conforms('/{page}', 'get', await call(at('away', '/2')))
  })

  it('search', async () => {
    conforms('/search', 'get', await call(at('main', '/search?q=')))
    conforms('/search', 'get', await call(at('main', `/search?q=${NAME}`)))
    conforms('/search', 'get', await call(at('main', '/search?q=%0Aline')))
    conforms('/search', 'get', await call(at('away', '/search?q=anything')))
  })

  it('get_json in both forms', async () => {
    for (const path of ['/get_json/{name}', '/api/get_json/{name}'] as const) {
      const prefix = path.replace('/{name}', '')
      conforms(path, 'get', await call(at('main', `${prefix}/${NAME}`)))
      conforms(path, 'get', await call(at('main', `${prefix}/no_such_workflow_000000_000000_1`)))
      conforms(path, 'get', await call(at('main', `${prefix}/%E0%A4%A`)))
      conforms(path, 'get', await call(at('away', `${prefix}/${NAME}`)))
    }
  })

  it('api/fetch and md', async () => {
    for (const path of ['/api/fetch', '/md'] as const) {
      conforms(path, 'get', await call(at('main', `${path}?workflow_name=${NAME}`)))
      conforms(path, 'get', await call(at('main', `${path}?campaign=no-such-campaign`)))
      conforms(path, 'get', await call(at('main', `${path}?request=${'y'.repeat(1200)}`)))
      conforms(path, 'get', await call(at('away', path)))
    }
    const all = await call(at('main', '/api/fetch'))
    conforms('/api/fetch', 'get', all)
    expect((JSON.parse(all.text) as unknown[]).length).toBeGreaterThan(10)
  })

  it('api/update: done, missing name, anonymous, wrong token, failed, busy — by GET and by POST', async () => {
    const post = (service: keyof typeof services, body: string, headers: Record<string, string> = {}): Promise<Answer> =>
      call(at(service, '/api/update'), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    conforms('/api/update', 'get', await call(at('main', `/api/update?workflow_name=${NAME}`), { headers: bearer(TOKEN) }))
    conforms('/api/update', 'post', await post('main', JSON.stringify({ workflow: NAME }), bearer(TOKEN)))
    conforms('/api/update', 'get', await call(at('main', '/api/update'), { headers: bearer(TOKEN) }))
    conforms('/api/update', 'post', await post('main', '{not json', bearer(TOKEN)))
    conforms('/api/update', 'get', await call(at('main', `/api/update?workflow_name=${NAME}`)))
    conforms('/api/update', 'post', await post('main', JSON.stringify({ workflow: NAME })))
    conforms('/api/update', 'get', await call(at('main', `/api/update?workflow_name=${NAME}`), { headers: bearer('0'.repeat(32)) }))
    conforms('/api/update', 'post', await post('main', JSON.stringify({ workflow: NAME }), bearer('0'.repeat(32))))
    conforms('/api/update', 'get', await call(at('main', '/api/update?workflow_name=not_in_reqmgr2_000000_000000_1'), { headers: bearer(TOKEN) }))
    conforms('/api/update', 'post', await post('main', JSON.stringify({ workflow: 'not_in_reqmgr2_000000_000000_2' }), bearer(TOKEN)))
    // One update runs; the queue holds none: the next one is refused as busy.
    const running = call(at('narrow', `/api/update?workflow_name=${NAME}`), { headers: bearer(TOKEN) })
    await new Promise((resolve) => setTimeout(resolve, 100))
    conforms('/api/update', 'get', await call(at('narrow', `/api/update?workflow_name=${OTHER}`), { headers: bearer(TOKEN) }))
    conforms('/api/update', 'post', await post('narrow', JSON.stringify({ workflow: OTHER }), bearer(TOKEN)))
    conforms('/api/update', 'get', await running)
  })

  it('api/overview: a selection, none, a search, the scope; refused parameters; a store away', async () => {
    const all = await call(at('main', '/api/overview'))
    conforms('/api/overview', 'get', all)
    expect((JSON.parse(all.text) as { total: number }).total).toBeGreaterThan(10)
    conforms('/api/overview', 'get', await call(at('main', '/api/overview?campaign=RunIISummer20UL18wmLHEGEN&stall_hours=48')))
    conforms('/api/overview', 'get', await call(at('main', '/api/overview?search=HG1812')))
    conforms('/api/overview', 'get', await call(at('main', '/api/overview?scope')))
    conforms('/api/overview', 'get', await call(at('main', '/api/overview?colour=red')))
    conforms('/api/overview', 'get', await call(at('main', '/api/overview?stall_hours=0')))
    conforms('/api/overview', 'get', await call(at('away', '/api/overview')))
  })

  it('healthz, metrics, openapi.json and the dashboard', async () => {
    conforms('/healthz', 'get', await call(at('main', '/healthz')))
    conforms('/healthz', 'get', await call(at('away', '/healthz')))
    conforms('/metrics', 'get', await call(at('main', '/metrics')))
    conforms('/metrics', 'get', await call(at('token', '/metrics')))
    conforms('/metrics', 'get', await call(at('token', '/metrics'), { headers: bearer(TOKEN) }))
    conforms('/metrics', 'get', await call(at('token', '/metrics'), { headers: bearer(METRICS_TOKEN) }))
    conforms('/metrics', 'get', await call(at('off', '/metrics')))
    conforms('/api/openapi.json', 'get', await call(at('main', '/api/openapi.json')))
    conforms('/dashboard/', 'get', await call(at('main', '/dashboard/')))
  })

  it('every route that reads the store: 429 with Retry-After when its client has a request in flight already', async () => {
    const routes: Array<[string, string]> = [
      ['/', '/'], ['/{page}', '/1'], ['/search', `/search?q=${NAME}`], ['/get_json/{name}', `/get_json/${NAME}`],
      ['/api/get_json/{name}', `/api/get_json/${NAME}`], ['/api/fetch', `/api/fetch?workflow_name=${NAME}`], ['/md', `/md?workflow_name=${NAME}`],
      ['/api/overview', `/api/overview?workflow_name=${NAME}`]
    ]
    for (const [path, concrete] of routes) {
      const first = call(at('limited', concrete))
      await new Promise((resolve) => setTimeout(resolve, 300))
      const second = await call(at('limited', concrete))
      expect(second.headers['retry-after'], path).toBeDefined()
      conforms(path, 'get', second)
      conforms(path, 'get', await first)
    }
  }, 120_000)

  it('no documented answer was left uncalled', () => {
    expect([...documented].filter((key) => !seen.has(key))).toEqual([])
  })
})
