/**
 * `stats2 store check` speed: a store of `--docs` synthetic workflows (bench/store.ts), then the
 * check (every table block and log record verified, every document read back) timed, in MB/s of
 * LevelDB files read:
 *   npx tsx bench/check.ts --docs 100000
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setLogLevel } from '../src/main/log/logger'
import { checkDataFolder } from '../src/store-server/check/damage'
import { checkStore } from '../src/store-server'
import { filledStore, folderBytes } from './store'

setLogLevel('warn')

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { docs: { type: 'string', default: '100000' } } })
  const docs = Number(values.docs)
  const dir = await mkdtemp(join(tmpdir(), 'stats2-bench-check-'))
  try {
    await filledStore(dir, docs)
    const bytes = await folderBytes(dir)
    let started = performance.now()
    const folders = await checkDataFolder(dir)
    const blocksS = (performance.now() - started) / 1000
    const read = folders.reduce((sum, folder) => sum + (folder.bytesRead ?? 0), 0)
    started = performance.now()
    const report = await checkStore(dir)
    const fullS = (performance.now() - started) / 1000
    const mb = read / 1e6
    console.log(`${docs} documents, data folder ${(bytes / 1e6).toFixed(1)} MB, LevelDB files verified ${mb.toFixed(1)} MB`)
    console.log(`blocks and log records (what the store does at every open): ${blocksS.toFixed(2)} s = ${(mb / blocksS).toFixed(0)} MB/s`)
    console.log(`stats2 store check (also reads every document back): ${fullS.toFixed(2)} s = ${(mb / fullS).toFixed(0)} MB/s; ok=${report.ok}`)
    console.log(JSON.stringify({ docs, verifiedMb: Math.round(mb), openCheckS: Math.round(blocksS * 100) / 100, storeCheckS: Math.round(fullS * 100) / 100 }))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

void main()
