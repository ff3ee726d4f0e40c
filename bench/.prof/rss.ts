import { readFile } from 'node:fs/promises'
import { fillStore } from '../store'
import { CouchStore } from '../../src/main/store/couch-store'
import { setLogLevel } from '../../src/main/log/logger'
setLogLevel('warn')
async function status(pid: number) { const s = await readFile(`/proc/${pid}/status`, 'utf8'); const g = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) / 1024 | 0; return `rss ${g('VmRSS')} hwm ${g('VmHWM')} anon ${g('RssAnon')} file ${g('RssFile')}` }
async function main() {
  const dir = '/tmp/iso-scratch/rss-store'
  if (process.argv[2] === 'fill') { console.log('insert', await fillStore(dir, 20000)); }
  const store = await CouchStore.open({ dataDir: dir })
  const pid = store.embeddedServer!.pid!
  console.log('after open', await status(pid), JSON.stringify(await store.embeddedServer!.usage()))
  await store.queryView('campaigns', { limit: 0 })
  console.log('after views', await status(pid))
  for await (const page of store.allWorkflows(500)) void page
  console.log('after reading all', await status(pid), JSON.stringify(await store.embeddedServer!.usage()))
  await store.close()
}
main().catch((e) => { console.error(e); process.exit(1) })
