import { join } from 'node:path'
import { main } from '../../src/main/cli/main'
import type { Simulator } from '../../src/sim'

/** The environment an operator sets to point `stats2` at the simulator (README, "Trying it"). */
export function simulatorEnv(sim: Simulator, work: string): Record<string, string> {
  return {
    HOME: work,
    CMSWEB_URL: sim.url,
    CMSWEB_PROD_URL: sim.url,
    CMSWEB_CA: sim.tls.caCert,
    USERCRT: sim.tls.clientCert,
    USERKEY: sim.tls.clientKey,
    STATS2_DATA_DIR: join(work, 'store')
  }
}

/** The simulator also plays Keycloak and the PdmV services: the variables that make updates notify them. */
export function notifyingEnv(sim: Simulator): Record<string, string> {
  return {
    KEYCLOAK_URL: sim.url, PDMV_PROD_URL: sim.url, PDMV_DEV_URL: `${sim.url}/dev`,
    CALLBACK_CLIENT_ID: 'stats2-test', CALLBACK_CLIENT_SECRET: 'secret',
    APPLICATION_CLIENT_ID: 'cms-pdmv-prod', DEV_APPLICATION_CLIENT_ID: 'cms-pdmv-dev'
  }
}

/** Runs the CLI in-process with this environment (undefined values unset), capturing its output. */
export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const clean: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = value
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), env: clean })
  if (process.env.STATS2_SHOW_CLI) console.log(`$ stats2 ${args.join(' ')} → ${code}\n${err}`)
  return { code, out, err }
}
