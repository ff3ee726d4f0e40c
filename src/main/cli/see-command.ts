/** `stats2 see NAME`: the stored document of one workflow. */
import { parseArgs } from 'node:util'
import type { Stats2Config } from '../config/config'
import { openStore } from '../core/runtime'
import { UsageError, type CliIo } from './io'

export async function runSeeCommand(args: string[], config: Stats2Config, io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true })
  const name = positionals[0]
  if (!name || positionals.length > 1) throw new UsageError('see needs exactly one workflow name')
  const store = await openStore(config)
  try {
    const doc = await store.getWorkflow(name)
    if (!doc) {
      io.err(`No workflow named ${name} in the store (${store.url}).\n`)
      return 1
    }
    io.out(JSON.stringify(doc, null, 2) + '\n')
    return 0
  } finally {
    await store.close()
  }
}

