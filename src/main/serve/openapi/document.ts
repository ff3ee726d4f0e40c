/**
 * The OpenAPI 3.1 description of `stats2 serve` (`GET <base>/api/openapi.json`): every route, its
 * parameters, its answers and its errors, with JSON Schema 2020-12 for the JSON bodies. Tests call
 * every route of a real service and validate status, content type and body against this document
 * (tests/serve/openapi.test.ts), so it cannot drift from what the service answers.
 */
import { z } from 'zod'
import { MAX_PAGE, MAX_PARAM_LENGTH, SELECTORS } from '../query'
import { overviewJsonSchema } from '../../../shared/overview/types'
import { MAX_STALL_HOURS, MIN_STALL_HOURS } from '../../../shared/watchlist'

type Json = Record<string, unknown>

const SELECTOR_HELP: Record<string, string> = {
  workflow_name: 'A workflow (RequestName): that document alone.',
  prepid: 'Workflows with this PrepID (view `prepids`), oldest RequestName date first.',
  output_dataset: 'Workflows with this output dataset (view `outputDatasets`), oldest first.',
  input_dataset: 'Workflows with this input dataset (view `inputDatasets`), oldest first.',
  campaign: 'Workflows of this campaign (view `campaigns`).',
  type: 'Workflows of this RequestType (view `types`).',
  processing_string: 'Workflows with this ProcessingString (view `processingStrings`).',
  request: 'Workflows with this task PrepID (view `requests`), oldest first.'
}

/** The selector parameters shared by the page, `api/fetch` and `md`: one is used, by precedence. */
function selectorParameters(): Json[] {
  return SELECTORS.map((name) => ({
    name,
    in: 'query',
    required: false,
    description: `${SELECTOR_HELP[name] ?? ''} At most one selector is used, the first present in this order: ${SELECTORS.join(', ')}.`,
    schema: { type: 'string', maxLength: MAX_PARAM_LENGTH }
  }))
}

const json = (schema: Json, description: string, headers?: Json): Json => ({ description, content: { 'application/json': { schema } }, ...(headers ? { headers } : {}) })
const text = (type: string, description: string, headers?: Json): Json => ({ description, content: { [type]: { schema: { type: 'string' } } }, ...(headers ? { headers } : {}) })
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` })
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before asking again', schema: { type: 'string' } } }

const LIMITED = 'This client has as many requests reading the store in flight as it may (STATS2_SERVE_CLIENT_CONCURRENCY; api/fetch and md: STATS2_SERVE_CLIENT_HEAVY); see docs/service-limits.md'
const UNAVAILABLE = 'The store (CouchDB) cannot be reached, or the instance is at one of its limits; the reason is given'

/** The answers every JSON route that reads the store may give besides its own. */
const jsonErrors = (): Json => ({
  '400': json(ref('Error'), 'A parameter no Stats2 value can be (overlong, control characters, bad encoding)'),
  '429': json(ref('Error'), LIMITED, RETRY_AFTER),
  '503': json(ref('Error'), UNAVAILABLE, RETRY_AFTER)
})
const textErrors = (): Json => ({
  '400': text('text/plain', 'A parameter no Stats2 value can be (overlong, control characters, a page out of range)'),
  '429': text('text/plain', LIMITED, RETRY_AFTER),
  '503': text('text/plain', UNAVAILABLE, RETRY_AFTER)
})

const WORKFLOW_DOC: Json = {
  type: 'object',
  description: 'A Stats2 workflow document as stored (keys sorted, 2-space indent), byte-compatible with the old Stats2. Stores shared with other writers may hold further keys.',
  required: ['_id', 'Campaigns', 'EventNumberHistory', 'OutputDatasets', 'RequestPriority', 'RequestTransition', 'Requests', 'TotalEvents', 'TotalInputLumis'],
  properties: {
    _id: { type: 'string', minLength: 1, description: 'The ReqMgr2 RequestName' },
    _rev: { type: 'string' },
    AcquisitionEra: {},
    CMSSWVersion: { type: 'string' },
    Campaigns: { type: 'array', description: 'Per task (or the top-level campaign)' },
    EventNumberHistory: {
      type: 'array',
      items: {
        type: 'object',
        required: ['Time', 'Datasets'],
        properties: {
          Time: { type: 'number', description: 'Unix seconds' },
          Datasets: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['Type', 'Events', 'Size'],
              properties: { Type: { type: 'string' }, Events: { type: 'number' }, Size: { type: 'number' }, Lumis: { type: 'number' } }
            }
          }
        }
      }
    },
    InputDataset: { type: ['string', 'null'] },
    LastUpdate: { type: 'number' },
    LumiList: { type: 'object', additionalProperties: { type: 'array' } },
    OutputDatasets: { type: 'array', items: { type: 'string' } },
    PrepID: { type: ['string', 'null'] },
    ProcessingString: { type: ['string', 'null'] },
    RequestName: { type: 'string' },
    RequestPriority: { type: ['number', 'null'] },
    RequestTransition: {
      type: 'array',
      items: { type: 'object', required: ['Status', 'UpdateTime'], properties: { Status: { type: 'string' }, UpdateTime: { type: 'number' } } }
    },
    RequestType: { type: 'string' },
    Requests: { type: 'array', description: 'Task PrepIDs' },
    SizePerEvent: {},
    TimePerEvent: {},
    TotalEvents: { type: 'number', description: 'Expected events; -1 when unknown' },
    TotalInputLumis: { type: ['number', 'null'], description: 'Expected lumisections; -1 when unknown, null when ReqMgr2 had none yet' }
  }
}

/** The overview's JSON Schema, from the very zod schema the CLI's and the service's answers are checked with. */
function overviewJson(): Json {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(overviewJsonSchema, { target: 'draft-2020-12' }) as Json
  return { ...schema, description: 'The operator overview of a selection (src/shared/overview/types.ts)' }
}

export interface OpenApiOptions {
  /** The service's base path (`/stats` or `/`). */
  basePath: string
  version: string
  /** Pages `api/fetch` and `md` read at most. */
  fetchMaxPages: number
  mdMaxPages: number
  /** The trusted proxy's user header, when configured. */
  trustedHeader?: string
}

export function openApiDocument(options: OpenApiOptions): Json {
  const server = options.basePath === '/' ? '/' : options.basePath
  const page: Json = {
    summary: 'The Stats2 page',
    description: 'HTML: totals, last update, a search box and 100 workflows a page with completion bars and links (works without JavaScript).',
    parameters: selectorParameters(),
    responses: { '200': text('text/html', 'The page'), ...textErrors() }
  }
  const getJson = (summary: string): Json => ({
    get: {
      summary,
      parameters: [{ name: 'name', in: 'path', required: true, description: 'The workflow (RequestName)', schema: { type: 'string', maxLength: MAX_PARAM_LENGTH } }],
      responses: {
        '200': json(ref('WorkflowDoc'), 'The stored document'),
        '404': json(ref('Empty'), 'No workflow of that name: `{}`'),
        ...jsonErrors()
      }
    }
  })
  const updateResponses: Json = {
    '200': json(ref('UpdateDone'), 'The workflow was updated from ReqMgr2 and DBS'),
    '400': json({ oneOf: [ref('UpdateMessage'), ref('Error')] }, 'No workflow name or not a ReqMgr2 RequestName (`msg`), or a body that is not JSON (`error`)'),
    '401': json(ref('Error'), 'No credentials (or updates are turned off on this service)', { 'WWW-Authenticate': { schema: { type: 'string' } } }),
    '403': json(ref('Error'), 'A token that is not one of the service\'s, or a proxy header from an address that is not a trusted proxy'),
    '500': json(ref('UpdateFailed'), 'The update failed; the reason is given (the workflow is not changed)'),
    '503': json(ref('Error'), 'Too many updates queued, the service is stopping, or the store cannot be reached', RETRY_AFTER)
  }
  const bearer = [{ bearer: [] }, { proxyUser: [] }]
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Stats2',
      version: options.version,
      summary: 'ReqMgr2 workflows and the events DBS reports for their output datasets over time',
      description:
        'The Stats2 web service (`stats2 serve`), answering the old Stats2 service\'s URLs for McM, RelVal, ReReco, pMp and scripts. ' +
        'Reading is anonymous; `api/update` needs a bearer token or a trusted proxy\'s user header; `/metrics` is anonymous unless the service is configured otherwise (STATS2_SERVE_METRICS). ' +
        'Paths are relative to the service\'s base path (the `servers` URL). Besides the answers listed per route, any request may be answered ' +
        '408 (its headers or body arrived too slowly) and a connection over the per-client or per-instance limits is closed (docs/service-limits.md).'
    },
    servers: [{ url: server, description: 'The service\'s base path' }],
    paths: {
      '/': { get: { ...page, operationId: 'page' } },
      '/{page}': {
        get: {
          ...page,
          operationId: 'pageN',
          summary: 'A later page of the Stats2 page',
          parameters: [{ name: 'page', in: 'path', required: true, description: 'Page number from 0 (negative counts as 0)', schema: { type: 'integer', maximum: MAX_PAGE } }, ...selectorParameters()]
        }
      },
      '/search': {
        get: {
          operationId: 'search',
          summary: 'Resolve a search box entry',
          description: 'Redirects to `?<selector>=TEXT` for the first view that has TEXT as a key (prepid, output_dataset, input_dataset, campaign, type, processing_string, request), else `?workflow_name=TEXT`; an empty `q` redirects to the page.',
          parameters: [{ name: 'q', in: 'query', required: false, schema: { type: 'string', maxLength: MAX_PARAM_LENGTH } }],
          responses: {
            '302': { description: 'Where the entry is found', headers: { Location: { required: true, schema: { type: 'string' } } }, content: { 'text/plain': { schema: { type: 'string', maxLength: 0 } } } },
            ...textErrors()
          }
        }
      },
      '/get_json/{name}': getJson('A stored workflow document (old form of the URL)'),
      '/api/get_json/{name}': { get: { ...(getJson('A stored workflow document').get as Json), operationId: 'getJson' } },
      '/api/fetch': {
        get: {
          operationId: 'fetch',
          summary: 'Every matching document',
          description: `Pages of 100 until one comes back short, at most ${options.fetchMaxPages} pages; with workflow_name the document once. No selector: every workflow.`,
          parameters: selectorParameters(),
          responses: {
            '200': json({ type: 'array', items: ref('WorkflowDoc') }, 'The documents (keys sorted, 2-space indent), streamed', {
              'X-Stats2-Documents': { required: true, description: 'How many documents the answer holds', schema: { type: 'string', pattern: '^[0-9]+$' } },
              'X-Stats2-Limits': { required: true, description: 'The documents and bytes an answer may hold', schema: { type: 'string' } },
              'X-Stats2-Truncated': { description: '`documents; limit=N` when matches were left out; as an HTTP/1.1 trailer `bytes; limit=N; documents=M` when the byte limit ended the array (at a whole document)', schema: { type: 'string' } }
            }),
            ...jsonErrors()
          }
        }
      },
      '/api/overview': {
        get: {
          operationId: 'overview',
          summary: 'The operator overview of a selection',
          description:
            'Status board (workflows, events done and expected, ETA per status, campaign and McM priority block), time between consecutive statuses, ' +
            'what needs attention and ACDC families; the object `stats2 overview --json` prints (docs/overview.md). The selection: one selector (as for api/fetch), ' +
            'or `search` (the search box\'s reading), or `scope` (the sync scope); none: every workflow. Any other parameter, an empty or a repeated one answers 400.',
          parameters: [
            ...selectorParameters(),
            { name: 'search', in: 'query', required: false, description: 'Text as the search box reads it', schema: { type: 'string', maxLength: MAX_PARAM_LENGTH } },
            { name: 'scope', in: 'query', required: false, description: 'The sync scope (no value)', allowEmptyValue: true, schema: { type: 'string', maxLength: 0 } },
            { name: 'stall_hours', in: 'query', required: false, description: 'Hours without new events after which a running workflow needs attention', schema: { type: 'integer', minimum: MIN_STALL_HOURS, maximum: MAX_STALL_HOURS } }
          ],
          responses: {
            '200': json(ref('Overview'), 'The overview'),
            ...jsonErrors(),
            '400': json(ref('Error'), 'An unknown, empty or repeated parameter, a stall_hours out of range, or a parameter no Stats2 value can be')
          }
        }
      },
      '/md': {
        get: {
          operationId: 'markdown',
          summary: 'The matches as a Markdown table',
          description: `Columns RequestName, InputDataset, OutputDatasets with Stats2 and DAS links; up to ${options.mdMaxPages} pages; an empty body when nothing matches.`,
          parameters: selectorParameters(),
          responses: { '200': text('text/plain', 'The table'), ...textErrors() }
        }
      },
      '/api/update': {
        get: {
          operationId: 'updateGet',
          summary: 'Update one workflow from ReqMgr2 and DBS (McM)',
          description: 'With the service\'s own certificate. Identical requests for one workflow arriving while it updates share its run and its answer. Other methods than GET and POST answer 405 with an `Allow` header.',
          security: bearer,
          parameters: [{ name: 'workflow_name', in: 'query', required: true, schema: { type: 'string', maxLength: 300 } }],
          responses: updateResponses
        },
        post: {
          operationId: 'updatePost',
          summary: 'Update one workflow from ReqMgr2 and DBS (RelVal, ReReco)',
          security: bearer,
          parameters: [
            { name: 'workflow', in: 'query', required: false, schema: { type: 'string', maxLength: 300 } },
            { name: 'workflow_name', in: 'query', required: false, schema: { type: 'string', maxLength: 300 } }
          ],
          requestBody: {
            required: false,
            description: 'The workflow, when not in the query (at most 16 KiB)',
            content: {
              'application/json': { schema: { type: 'object', properties: { workflow: { type: 'string', maxLength: 300 } } } },
              'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { workflow: { type: 'string', maxLength: 300 } } } }
            }
          },
          responses: updateResponses
        }
      },
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'For load balancers: does the store answer?',
          responses: {
            '200': json(ref('Healthy'), 'The store answers'),
            '503': json(ref('Unhealthy'), 'The store does not answer; the reason is given')
          }
        }
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          description: 'Text exposition format 0.0.4; the metrics are listed in docs/monitoring.md. Anonymous by default; with STATS2_SERVE_METRICS=token a bearer token of STATS2_SERVE_METRICS_TOKENS_FILE is needed; with =off the route answers 404.',
          security: [{}, { metricsBearer: [] }],
          responses: {
            '200': text('text/plain; version=0.0.4; charset=utf-8', 'The metrics'),
            '401': text('text/plain', 'A token is needed', { 'WWW-Authenticate': { schema: { type: 'string' } } }),
            '403': text('text/plain', 'Not one of the metrics tokens'),
            '404': text('text/plain', '/metrics is turned off on this service')
          }
        }
      },
      '/api/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This description',
          responses: { '200': json({ type: 'object', required: ['openapi', 'paths'] }, 'The OpenAPI 3.1 document') }
        }
      },
      '/dashboard/': {
        get: {
          operationId: 'dashboard',
          summary: 'The read-only React dashboard (for browsers)',
          responses: { '200': text('text/html', 'The dashboard\'s page') }
        }
      }
    },
    components: {
      schemas: {
        WorkflowDoc: WORKFLOW_DOC,
        Overview: overviewJson(),
        Empty: { type: 'object', maxProperties: 0 },
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } }, additionalProperties: false },
        UpdateDone: { type: 'object', required: ['msg'], properties: { msg: { type: 'string', pattern: '^Workflow .+ has been updated successfully$' } }, additionalProperties: false },
        UpdateMessage: { type: 'object', required: ['msg'], properties: { msg: { type: 'string' } }, additionalProperties: false },
        UpdateFailed: { type: 'object', required: ['error'], properties: { error: { type: 'string', pattern: '^Unfortunately, there were issues updating workflow: ' } }, additionalProperties: false },
        Healthy: { type: 'object', required: ['status', 'documents'], properties: { status: { const: 'ok' }, documents: { type: 'integer', minimum: 0 } }, additionalProperties: false },
        Unhealthy: { type: 'object', required: ['status', 'reason'], properties: { status: { const: 'unavailable' }, reason: { type: 'string' } }, additionalProperties: false }
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token of STATS2_SERVE_TOKENS_FILE' },
        proxyUser: { type: 'apiKey', in: 'header', name: options.trustedHeader ?? 'X-Forwarded-User', description: 'The header named by STATS2_SERVE_TRUSTED_HEADER, believed only from STATS2_SERVE_TRUSTED_PROXIES' },
        metricsBearer: { type: 'http', scheme: 'bearer', description: 'A token of STATS2_SERVE_METRICS_TOKENS_FILE' }
      }
    }
  }
}
