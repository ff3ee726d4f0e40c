/**
 * The one table of the product's errors: for each error class (subclasses included, by
 * `instanceof` — never by an error's name or message, which any code may set) the contract's code
 * it crosses IPC with and the HTTP status `stats2 serve` and the browser bridge answer it with.
 * tests/main/error-codes.test.ts enumerates every error class of src/main and fails when one is
 * missing here.
 */
import type { ErrorCode } from '../../shared/result'
import { BusyError, ForbiddenError, NotFoundError } from './errors'
import { SearchError } from '../search/search'
import { OverviewError } from '../overview/service'
import { ConfigError } from '../config/env'
import { SettingsError } from '../desktop/desktop-settings'
import { WatchlistError } from '../watchlist/watchlist-file'
import { CredentialError } from '../cmsweb/credentials'
import { TrustError } from '../cmsweb/trust'
import { CmswebAbortError, CmswebError } from '../cmsweb/errors'
import { MalformedResponseError } from '../cmsweb/services'
import { MalformedRequestError } from '../updater/reqmgr-doc'
import { TokenError } from '../notify/keycloak'
import { StoreError } from '../store/couch-store'
import { UnaddressableIdError } from '../store/doc-ids'
import { BackupFormatError, ForeignDesignDocsError } from '../store/backup'
import { UsageError } from '../cli/io'
import { BadRequestError, ClientGoneError, HttpError, MethodNotAllowedError } from '../serve/errors'
import { LimitError, MalformedPathError, StaticFileError } from '../http/errors'
import { ExportTooLargeError } from '../read-model/read-model'
import { MalformedSettingsError, UnknownWorkflowError } from '../updater/update-run'
import { OutputClosedError } from '../cli/io'
import { EmbeddedCouchError, StoreDamagedError, StoreInUseError } from '../../store-server'
import { ReplicaSourceError } from '../replica/source'
import { ReplicaTargetError } from '../replica/pull'
import { ReplicaUpdateRefusedError } from '../replica/marker'
import { MetricsFileError } from '../metrics/update-metrics'
import { UpdateWorkerError } from '../updater/worker/run-in-worker'

type ErrorClass = abstract new (...args: never[]) => Error

export interface ErrorMapping {
  /** The contract's code (src/shared/result.ts). */
  code: ErrorCode
  /** The HTTP status of the service and the bridge. */
  status: number
}

/** First match wins: a subclass listed before its base gets its own mapping. */
export const ERROR_TABLE: ReadonlyArray<readonly [ErrorClass, ErrorMapping]> = [
  [BadRequestError, { code: 'invalid-argument', status: 400 }],
  [MethodNotAllowedError, { code: 'invalid-argument', status: 405 }],
  [HttpError, { code: 'internal', status: 500 }],
  // These carry their own status (429 or 503; send's 400/403/404): the row gives the code.
  [LimitError, { code: 'busy', status: 503 }],
  [StaticFileError, { code: 'not-found', status: 404 }],
  [MalformedPathError, { code: 'invalid-argument', status: 400 }],
  [ClientGoneError, { code: 'cancelled', status: 499 }],
  [OutputClosedError, { code: 'cancelled', status: 499 }],
  [ExportTooLargeError, { code: 'invalid-argument', status: 400 }],
  [UnknownWorkflowError, { code: 'not-found', status: 404 }],
  [MalformedSettingsError, { code: 'store', status: 500 }],
  [SearchError, { code: 'invalid-argument', status: 400 }],
  [OverviewError, { code: 'invalid-argument', status: 400 }],
  [ConfigError, { code: 'invalid-argument', status: 400 }],
  [SettingsError, { code: 'invalid-argument', status: 400 }],
  [WatchlistError, { code: 'invalid-argument', status: 400 }],
  [UsageError, { code: 'invalid-argument', status: 400 }],
  [BackupFormatError, { code: 'invalid-argument', status: 400 }],
  [ForeignDesignDocsError, { code: 'invalid-argument', status: 400 }],
  [NotFoundError, { code: 'not-found', status: 404 }],
  [BusyError, { code: 'busy', status: 503 }],
  [ForbiddenError, { code: 'forbidden', status: 403 }],
  [CredentialError, { code: 'credentials', status: 500 }],
  [TrustError, { code: 'credentials', status: 500 }],
  [TokenError, { code: 'credentials', status: 502 }],
  [CmswebError, { code: 'cmsweb', status: 502 }],
  [MalformedResponseError, { code: 'cmsweb', status: 502 }],
  [MalformedRequestError, { code: 'cmsweb', status: 502 }],
  [CmswebAbortError, { code: 'cancelled', status: 499 }],
  [StoreError, { code: 'store', status: 503 }],
  [UnaddressableIdError, { code: 'store', status: 400 }],
  [StoreInUseError, { code: 'store', status: 503 }],
  [EmbeddedCouchError, { code: 'store', status: 503 }],
  [StoreDamagedError, { code: 'store', status: 503 }],
  // The shared Stats2 a replica pulls from is a store too, seen from here as an upstream server.
  [ReplicaSourceError, { code: 'store', status: 502 }],
  [ReplicaTargetError, { code: 'store', status: 503 }],
  [ReplicaUpdateRefusedError, { code: 'forbidden', status: 409 }],
  [MetricsFileError, { code: 'invalid-argument', status: 500 }],
  // An update run that failed in its worker thread: only its class name and message crossed; the
  // update job shows the message (it never reaches IPC as an error of its own).
  [UpdateWorkerError, { code: 'internal', status: 500 }]
]

/** The mapping of an error, or undefined for an error no table row covers (a programming error: `internal`, 500). */
export function errorMapping(error: unknown): ErrorMapping | undefined {
  for (const [errorClass, mapping] of ERROR_TABLE) if (error instanceof errorClass) return mapping
  // The platform's own cancellation (AbortSignal.throwIfAborted, fetch): a DOMException named by the spec.
  if (error instanceof DOMException && error.name === 'AbortError') return { code: 'cancelled', status: 499 }
  return undefined
}

export function errorCodeOf(error: unknown): ErrorCode {
  return errorMapping(error)?.code ?? 'internal'
}

export function httpStatusOf(error: unknown): number {
  if (error instanceof HttpError || error instanceof LimitError || error instanceof StaticFileError) return error.status
  return errorMapping(error)?.status ?? 500
}
