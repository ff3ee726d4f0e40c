import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { createCertificateAuthority, issueCertificate } from '../helpers/pki'
import { type Simulator } from '../../src/sim'
import { CONFORMANCE_DIR } from '../helpers/paths'

export const PUBLIC_SCENARIO = join(CONFORMANCE_DIR, 'stats2-public')

export async function tempDir(prefix = 'stats2-sim-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export interface Agents {
  /** Client certificate from the simulator's CA. */
  cert: Agent
  /** Trusts the simulator's CA but presents no client certificate. */
  none: Agent
  /** A client certificate signed by another CA. */
  foreign: Agent
  close(): Promise<void>
}

let stranger: { certPem: string; keyPem: string } | undefined

export async function agentsFor(sim: Simulator): Promise<Agents> {
  const ca = await readFile(sim.tls.caCert)
  stranger ??= issueCertificate(createCertificateAuthority('Somebody else CA'), { commonName: 'Stranger', usage: 'client' })
  const cert = new Agent({ connect: { ca, cert: await readFile(sim.tls.clientCert), key: await readFile(sim.tls.clientKey) } })
  const none = new Agent({ connect: { ca } })
  const foreign = new Agent({ connect: { ca, cert: stranger.certPem, key: stranger.keyPem } })
  return {
    cert,
    none,
    foreign,
    close: async () => {
      await Promise.all([cert.close(), none.close(), foreign.close()])
    }
  }
}

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json<T = unknown>(): T
}

export async function call(
  sim: Simulator,
  agent: Agent,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {}
): Promise<Reply> {
  const response = await request(`${sim.url}${path}`, {
    dispatcher: agent,
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers,
    body: init.body
  })
  const text = await response.body.text()
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json: <T>() => JSON.parse(text) as T
  }
}

export function postJson(body: unknown): { method: string; headers: Record<string, string>; body: string } {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}

export const DBS = '/dbs/prod/global/DBSReader'
export const COUCH = '/couchdb/reqmgr_workload_cache'

export interface ChangesReply {
  results: Array<{ seq: string; id: string; changes: Array<{ rev: string }>; deleted?: boolean; doc?: Record<string, unknown> }>
  last_seq: string
  pending: number
}

export function seqNumber(seq: string): number {
  return Number(seq.split('-')[0])
}
