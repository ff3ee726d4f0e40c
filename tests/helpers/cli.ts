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
