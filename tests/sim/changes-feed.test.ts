/**
 * CouchDB 3 changes-feed semantics across steps on a small hand-made timeline:
 *   step 0: A, B, C
 *   step 1: A changed, B same, C deleted, D new
 *   step 2: B changed, D changed, E new
 *   step 3: C created again
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Scenario, type Simulator } from '../../src/sim'
import { agentsFor, type Agents, call, type ChangesReply, COUCH, seqNumber, tempDir } from './helpers'

function doc(name: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { RequestName: name, RequestType: 'TaskChain', RequestStatus: status, PrepID: `PREP-${name}`, ...extra }
}

function step(docs: Array<Record<string, unknown>>): Scenario['steps'][number] {
  return { reqmgr2: new Map(docs.map((d) => [String(d.RequestName), d])), dbs: [], wmstatsActive: [] }
}

const scenario: Scenario = {
  name: 'feed',
  steps: [
    step([doc('A', 'new'), doc('B', 'new'), doc('C', 'new')]),
    step([doc('A', 'assigned'), doc('B', 'new'), doc('D', 'new')]),
    step([doc('A', 'assigned'), doc('B', 'assigned'), doc('D', 'assigned'), doc('E', 'new')]),
    step([doc('A', 'assigned'), doc('B', 'assigned'), doc('C', 'new', { again: true }), doc('D', 'assigned'), doc('E', 'new')])
  ]
}

let sim: Simulator
let agents: Agents
let cleanup: () => Promise<void>
const lastSeq: string[] = []

async function changes(query: string): Promise<ChangesReply> {
  const reply = await call(sim, agents.cert, `${COUCH}/_changes?${query}`)
  expect(reply.status).toBe(200)
  return reply.json<ChangesReply>()
}

beforeAll(async () => {
  const tmp = await tempDir()
  cleanup = tmp.cleanup
  sim = await startSimulator({ scenario, tlsDir: tmp.dir })
  agents = await agentsFor(sim)
})

afterAll(async () => {
  await agents?.close()
  await sim?.close()
  await cleanup?.()
})

describe('changes feed across steps', () => {
  it('step 0: every document once and a _design/ReqMgr change between them', async () => {
    const feed = await changes('since=0')
    const ids = feed.results.map((r) => r.id)
    expect(ids.filter((id) => id !== '_design/ReqMgr')).toEqual(['A', 'B', 'C'])
    const design = ids.indexOf('_design/ReqMgr')
    expect(design).toBeGreaterThan(0)
    expect(design).toBeLessThan(ids.length - 1)
    lastSeq[0] = feed.last_seq
  })

  it('step 1 since step 0: the changed, the new and the deleted document, each once', async () => {
    sim.advance()
    const feed = await changes(`since=${encodeURIComponent(lastSeq[0]!)}`)
    expect(feed.results.map((r) => [r.id, r.deleted === true])).toEqual([
      ['A', false],
      ['D', false],
      ['C', true]
    ])
    expect(feed.results.find((r) => r.id === 'A')!.changes[0]!.rev).toMatch(/^2-/)
    expect(feed.results.find((r) => r.id === 'C')!.changes[0]!.rev).toMatch(/^2-/)
    expect(seqNumber(feed.last_seq)).toBeGreaterThan(seqNumber(lastSeq[0]!))
    lastSeq[1] = feed.last_seq
  })

  it('a client at step 1 asking at step 3 gets each document changed since, once, at its latest sequence', async () => {
    sim.advance()
    const atStep2 = await changes(`since=${encodeURIComponent(lastSeq[1]!)}`)
    expect(atStep2.results.map((r) => r.id)).toEqual(['B', 'D', 'E'])
    lastSeq[2] = atStep2.last_seq
    sim.advance()
    const feed = await changes(`since=${encodeURIComponent(lastSeq[1]!)}`)
    expect(feed.results.map((r) => r.id)).toEqual(['B', 'D', 'E', 'C'])
    const c = feed.results.find((r) => r.id === 'C')!
    expect(c.deleted).toBeUndefined()
    expect(c.changes[0]!.rev).toMatch(/^3-/) // created, deleted, created again
    expect(seqNumber(feed.last_seq)).toBeGreaterThan(seqNumber(lastSeq[2]!))
  })

  it('since=0 at step 3 holds every id once, including the design document', async () => {
    const feed = await changes('since=0')
    const ids = feed.results.map((r) => r.id)
    expect([...ids].sort()).toEqual(['A', 'B', 'C', 'D', 'E', '_design/ReqMgr'])
    const seqs = feed.results.map((r) => seqNumber(r.seq))
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  })

  it('limit pages the feed: last_seq is the last result of the page and pending counts what remains', async () => {
    const all = await changes('since=0')
    const paged: string[] = []
    let since = '0'
    let pages = 0
    for (;;) {
      const page = await changes(`since=${encodeURIComponent(since)}&limit=2`)
      pages += 1
      if (page.results.length === 0) break
      paged.push(...page.results.map((r) => r.id))
      expect(page.last_seq).toBe(page.results[page.results.length - 1]!.seq)
      expect(page.pending).toBe(all.results.length - paged.length)
      since = page.last_seq
      if (page.pending === 0) break
    }
    expect(paged).toEqual(all.results.map((r) => r.id))
    expect(pages).toBe(3)
  })

  it('include_docs adds the documents with _id and _rev; tombstones as {_id, _rev, _deleted}', async () => {
    const feed = await changes(`since=${encodeURIComponent(lastSeq[0]!)}&include_docs=true`)
    const a = feed.results.find((r) => r.id === 'A')!
    expect(a.doc).toMatchObject({ _id: 'A', _rev: a.changes[0]!.rev, RequestStatus: 'assigned' })
    // C came back at step 3: its latest change is the live document.
    const c = feed.results.find((r) => r.id === 'C')!
    expect(c.doc).toMatchObject({ _id: 'C', again: true })
  })

  it('a tombstone in include_docs has only _id, _rev and _deleted', async () => {
    const tmp = await tempDir()
    const other = await startSimulator({ scenario, tlsDir: tmp.dir, startStep: 1 })
    const otherAgents = await agentsFor(other)
    try {
      const reply = await call(other, otherAgents.cert, `${COUCH}/_changes?since=0&include_docs=true`)
      const c = reply.json<ChangesReply>().results.find((r) => r.id === 'C')!
      expect(c.deleted).toBe(true)
      expect(c.doc).toEqual({ _id: 'C', _rev: c.changes[0]!.rev, _deleted: true })
    } finally {
      await otherAgents.close()
      await other.close()
      await tmp.cleanup()
    }
  })

  it('since=now returns nothing and the current sequence; a plain number is accepted', async () => {
    const all = await changes('since=0')
    const now = await changes('since=now')
    expect(now.results).toEqual([])
    expect(now.last_seq).toBe(all.last_seq)
    const plain = await changes(`since=${seqNumber(lastSeq[1]!)}`)
    expect(plain.results.map((r) => r.id)).toEqual(['B', 'D', 'E', 'C'])
  })

  it('a malformed since is a 400 with X-Error-Detail', async () => {
    for (const since of ['abc', '-3', '12x-foo']) {
      const reply = await call(sim, agents.cert, `${COUCH}/_changes?since=${since}`)
      expect(reply.status).toBe(400)
      expect(reply.headers['x-error-detail']).toContain('since')
    }
  })
})
