/**
 * A generated scenario served from its compact indexes (documents made on request) answers exactly
 * as the same scenario written out as documents, on every route and at every step; and at a large N
 * the ReqMgr2 query API answers the intersection of its filters, checked against a brute-force
 * filter over the generated documents.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { generateWorld, materialise, startSimulator, STATUSES, type Simulator } from '../../src/sim'
import { STATUS_SETS } from '../../src/shared/sync-scope'
import { agentsFor, call, COUCH, DBS, postJson, tempDir, type Agents, type ChangesReply } from './helpers'

type Doc = Record<string, unknown>
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function serve(scenario: Parameters<typeof startSimulator>[0]['scenario'], clock: () => number): Promise<{ sim: Simulator; agents: Agents }> {
  const tmp = await tempDir()
  const sim = await startSimulator({ scenario, tlsDir: tmp.dir, clock })
  const agents = await agentsFor(sim)
  cleanups.push(async () => {
    await agents.close()
    await sim.close()
    await tmp.cleanup()
  })
  return { sim, agents }
}

describe('a generated scenario served lazily', () => {
  it('answers as its materialised documents do, route by route and step by step', async () => {
    const options = { workflows: 260, steps: 4, seed: 21 }
    const world = generateWorld(options)
    const scenario = materialise(world)
    let now = 1_760_000_000
    const clock = (): number => now
    const eager = await serve(scenario, clock)
    const lazy = await serve(generateWorld(options), clock)
    const both = async (path: string, init?: Parameters<typeof call>[3]): Promise<string> => {
      const [a, b] = await Promise.all([call(eager.sim, eager.agents.cert, path, init), call(lazy.sim, lazy.agents.cert, path, init)])
      expect(b.status, path).toBe(a.status)
      expect(b.text, path).toBe(a.text)
      return a.text
    }

    let checkedDeleted = false
    for (let step = 0; step < options.steps; step++) {
      if (step > 0) {
        now += 3600
        eager.sim.advance()
        lazy.sim.advance()
      }
      const docs = [...scenario.steps[step]!.reqmgr2.values()]
      const feed = JSON.parse(await both(`${COUCH}/_changes?since=0&include_docs=true`)) as ChangesReply
      expect(feed.results.length).toBeGreaterThan(docs.length) // + the design document (+ tombstones)
      const middle = feed.results[Math.floor(feed.results.length / 2)]!.seq
      await both(`${COUCH}/_changes?since=${encodeURIComponent(middle)}&limit=9`)
      await both(`${COUCH}/_changes?since=now`)
      await both(`${COUCH}`)
      await both(`${COUCH}/_all_docs`)
      const deleted = feed.results.filter((r) => r.deleted).map((r) => r.id)
      checkedDeleted ||= deleted.length > 0
      const someIds = [...feed.results.slice(0, 5).map((r) => r.id), ...deleted.slice(0, 3), 'pdmvserv_no_such_workflow']
      await both(`${COUCH}/_all_docs?include_docs=true`, postJson({ keys: someIds }))
      for (const id of someIds) await both(`${COUCH}/${encodeURIComponent(id)}`)

      // The query API and the views (built from the indexes on one side, from the documents on the other).
      const sample = docs.filter((_, i) => i % 37 === 0)
      for (const doc of sample) {
        const campaign = encodeURIComponent(String(doc.Campaign))
        await both(`/reqmgr2/data/request?campaign=${campaign}`)
        await both(`/reqmgr2/data/request?campaign=${campaign}&status=${String(doc.RequestStatus)}&mask=RequestStatus&mask=PrepID&mask=Campaign`)
        await both(`/reqmgr2/data/request?prep_id=${encodeURIComponent(String(doc.PrepID))}&detail=false`)
        const task2 = (doc.Task2 ?? doc.Step2) as Doc | undefined
        if (task2) await both(`/reqmgr2/data/request?prep_id=${encodeURIComponent(String(task2.PrepID))}&mask=TotalInputEvents&common_dict=1`)
        const output = (doc.OutputDatasets as string[])[0]
        if (output) await both(`/reqmgr2/data/request?outputdataset=${encodeURIComponent(output)}&detail=false`)
        if (doc.InputDataset) await both(`/reqmgr2/data/request?inputdataset=${encodeURIComponent(String(doc.InputDataset))}&request_type=ReReco&detail=false`)
        await both(`/reqmgr2/data/request?name=${encodeURIComponent(String(doc.RequestName))}&mask=RequestTransition`)
      }
      await both('/reqmgr2/data/request?status=ACTIVE&detail=false')
      await both('/reqmgr2/data/request?team=production&status=announced&detail=false')
      await both('/reqmgr2/data/request?requestor=pdmvserv&status=new&detail=false')
      for (const view of ['bycampaign', 'bystatus', 'byprepid', 'bydate', 'bytype', 'byinputdataset', 'byoutputdataset', 'byteamandstatus', 'bystatusandrequestor']) {
        await both(`${COUCH}/_design/ReqMgr/_view/${view}`)
      }
      await both(`${COUCH}/_design/ReqMgr/_view/byprepid?startkey=${encodeURIComponent('"task_B"')}&endkey=${encodeURIComponent('"task_C"')}&limit=20&include_docs=true`)
      await both(`${COUCH}/_design/ReqMgr/_view/bystatus?key=${encodeURIComponent('"running-open"')}&descending=true`)

      // DBS: listings (all, by modification date, globs), summaries, detail lists, files.
      const listed = JSON.parse(await both(`${DBS}/datasets?dataset_access_type=*&detail=true`)) as Array<{ dataset: string }>
      expect(listed.length).toBeGreaterThan(0)
      await both(`${DBS}/datasets`)
      await both(`${DBS}/datasets?min_ldate=${now - 1}&dataset_access_type=*`)
      await both(`${DBS}/datasets?min_ldate=${now}&dataset_access_type=*`)
      await both(`${DBS}/datasets?dataset=${encodeURIComponent('/*/*/AOD')}&dataset_access_type=*`)
      const names = listed.map((d) => d.dataset)
      await both(`${DBS}/datasetlist`, postJson({ dataset: names, detail: 1, dataset_access_type: '*' }))
      for (const name of names.filter((_, i) => i % 11 === 0)) {
        await both(`${DBS}/filesummaries?dataset=${encodeURIComponent(name)}`)
        await both(`${DBS}/datasets?dataset=${encodeURIComponent(name)}&detail=true&dataset_access_type=*`)
      }
      const input = scenario.steps[step]!.dbs.find((r) => r.files && r.files.length > 0)!
      await both(`${DBS}/files?dataset=${encodeURIComponent(input.dataset)}&detail=true`)
      await both(`${DBS}/files?dataset=${encodeURIComponent(input.dataset)}&run_num=${input.files![0]!.run_num}&lumi_list=[[1,10]]`)
      await both('/wmstatsserver/data/filtered_requests')
      await both('/wmstatsserver/data/filtered_requests?mask=RequestStatus&mask=Campaign')
    }
    expect(checkedDeleted).toBe(true)
  }, 300_000)
})

describe('the ReqMgr2 query API over a large generated ReqMgr2', () => {
  it('answers the intersection of the filters given, as a brute-force filter over the documents finds it', async () => {
    const world = generateWorld({ workflows: 50_000, steps: 3, seed: 3 })
    const { sim, agents } = await serve(world, () => 1_760_000_000)
    sim.advance()
    sim.advance()
    const step = 2
    const docs: Doc[] = []
    for (let i = 0; i < world.size; i++) {
      const doc = world.document(i, step)
      if (doc) docs.push(doc)
    }
    const names = async (query: string): Promise<string[]> => {
      const reply = await call(sim, agents.cert, `/reqmgr2/data/request?${query}&detail=false`)
      expect(reply.status, query).toBe(200)
      return reply.json<{ result: string[] }>().result.sort()
    }
    const where = (test: (doc: Doc) => boolean): string[] => docs.filter(test).map((d) => String(d.RequestName)).sort()
    const prepIds = (doc: Doc): string[] => {
      const chain = doc.TaskChain ? 'Task' : doc.StepChain ? 'Step' : undefined
      const tasks = chain ? Array.from({ length: Number(doc[`${chain}Chain`]) }, (_, t) => (doc[`${chain}${t + 1}`] as Doc).PrepID) : []
      return [doc.PrepID, ...tasks].map(String)
    }

    const campaigns = new Map<string, number>()
    for (const doc of docs) campaigns.set(String(doc.Campaign), (campaigns.get(String(doc.Campaign)) ?? 0) + 1)
    const [big, second] = [...campaigns].sort((a, b) => b[1] - a[1]).map(([c]) => c)
    expect(campaigns.get(big!)).toBeGreaterThan(300)

    const running = ['running-open', 'running-closed']
    const cases: Array<[string, (doc: Doc) => boolean]> = [
      [`campaign=${big}`, (d) => d.Campaign === big],
      [`campaign=${big}&campaign=${second}&status=running-open&status=running-closed`, (d) => (d.Campaign === big || d.Campaign === second) && running.includes(String(d.RequestStatus))],
      ['status=new&status=assigned&request_type=MonteCarlo', (d) => ['new', 'assigned'].includes(String(d.RequestStatus)) && d.RequestType === 'MonteCarlo']
    ]
    // A task-level PrepID and a top-level one (ACDCs share their parent's), each with a campaign.
    const chain = docs.find((d) => d.RequestType === 'TaskChain' && d.TaskChain)!
    const active = STATUS_SETS.ACTIVE ?? []
    cases.push([`campaign=${String(chain.Campaign)}&request_type=TaskChain&status=ACTIVE`, (d) => d.Campaign === chain.Campaign && d.RequestType === 'TaskChain' && active.includes(String(d.RequestStatus))])
    const task3 = prepIds(chain)[3]!
    cases.push([`prep_id=${encodeURIComponent(task3)}&campaign=${String(chain.Campaign)}`, (d) => d.Campaign === chain.Campaign && prepIds(d).includes(task3)])
    const acdc = docs.find((d) => d.RequestType === 'Resubmission' && (d.OutputDatasets as string[]).length > 0)!
    cases.push([`campaign=${String(acdc.Campaign)}&request_type=Resubmission`, (d) => d.Campaign === acdc.Campaign && d.RequestType === 'Resubmission'])
    cases.push([`prep_id=${encodeURIComponent(String(acdc.PrepID))}`, (d) => prepIds(d).includes(String(acdc.PrepID))])
    const output = (acdc.OutputDatasets as string[])[0]!
    cases.push([`outputdataset=${encodeURIComponent(output)}&status=${String(acdc.RequestStatus)}`, (d) => (d.OutputDatasets as string[]).includes(output) && d.RequestStatus === acdc.RequestStatus])

    for (const [query, test] of cases) {
      const expected = where(test)
      expect(expected.length, query).toBeGreaterThan(0)
      expect(await names(query), query).toEqual(expected)
    }

    // With detail: the masked fields of exactly those workflows, as the documents hold them.
    const reply = await call(sim, agents.cert, `/reqmgr2/data/request?campaign=${big}&status=announced&mask=RequestStatus&mask=RequestPriority&mask=OutputDatasets`)
    const result = reply.json<{ result: Array<Record<string, Doc>> }>().result[0]!
    const expected = docs.filter((d) => d.Campaign === big && d.RequestStatus === 'announced')
    expect(Object.keys(result).sort()).toEqual(expected.map((d) => String(d.RequestName)).sort())
    for (const doc of expected) {
      expect(result[String(doc.RequestName)]).toEqual({ RequestStatus: doc.RequestStatus, RequestPriority: doc.RequestPriority, OutputDatasets: doc.OutputDatasets })
    }
    expect(STATUSES).toContain('announced')
  }, 300_000)
})
