/** The document schema at the contract boundary: tolerant where the old Stats2 was, never throwing. */
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { toWorkflowView } from '../../src/shared/stats2-doc-schema'
import { isInvalidWorkflow, viewName } from '../../src/shared/workflow-view'
import { CONFORMANCE_DIR, REPO_ROOT } from '../helpers/paths'

function expectedDocs(root: string): unknown[] {
  const docs: unknown[] = []
  for (const scenario of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const steps = join(root, scenario.name, 'steps')
    for (const step of readdirSync(steps)) {
      const dir = join(steps, step, 'expected')
      for (const file of readdirSync(dir)) docs.push(JSON.parse(readFileSync(join(dir, file), 'utf8')))
    }
  }
  return docs
}

const base = {
  _id: 'wf_1', Campaigns: ['C'], EventNumberHistory: [{ Time: 1_700_000_000, Datasets: { '/a/b/AOD': { Type: 'VALID', Events: 1, Size: 2 } } }],
  OutputDatasets: ['/a/b/AOD'], RequestPriority: 1, RequestTransition: [{ Status: 'new', UpdateTime: 1_700_000_000 }],
  Requests: [], TotalEvents: 10, TotalInputLumis: -1
}

describe('toWorkflowView', () => {
  it('accepts every document the conformance scenarios expect (the old Stats2 wrote them)', () => {
    const docs = [...expectedDocs(CONFORMANCE_DIR), ...expectedDocs(resolve(REPO_ROOT, 'tests', 'scenarios'))]
    expect(docs.length).toBeGreaterThan(20)
    for (const doc of docs) {
      const view = toWorkflowView(doc)
      expect(isInvalidWorkflow(view) ? view.issues : [], viewName(view)).toEqual([])
    }
  })

  it('tolerates what the old Stats2 stored: null TotalInputLumis, null PrepID, NaN priority stored as null, odd unshown fields', () => {
    const view = toWorkflowView({ ...base, TotalInputLumis: null, PrepID: null, RequestPriority: null, SizePerEvent: '12', CMSSWVersion: ['x'] })
    expect(isInvalidWorkflow(view)).toBe(false)
    if (isInvalidWorkflow(view)) return
    expect(view.TotalInputLumis).toBeNull()
    expect(view.PrepID).toBeUndefined()
    expect(view.RequestPriority).toBe(0)
    expect(view.SizePerEvent).toBeUndefined()
  })

  it('leaves unknown keys out of the view, so a stored `invalid` key cannot pass for the marker', () => {
    const view = toWorkflowView({ ...base, invalid: true, Extra: { a: 1 } })
    expect(isInvalidWorkflow(view)).toBe(false)
    expect(view).not.toHaveProperty('Extra')
    expect(view).not.toHaveProperty('invalid')
  })

  const hostile: Array<[string, unknown, string]> = [
    ['object PrepID', { ...base, PrepID: { $gt: '' } }, 'PrepID'],
    ['object InputDataset', { ...base, InputDataset: { a: 1 } }, 'InputDataset'],
    ['object transition Status', { ...base, RequestTransition: [{ Status: {}, UpdateTime: 1 }] }, 'RequestTransition.0.Status'],
    ['text UpdateTime', { ...base, RequestTransition: [{ Status: 'new', UpdateTime: 'now' }] }, 'RequestTransition.0.UpdateTime'],
    ['1e20 UpdateTime', { ...base, RequestTransition: [{ Status: 'new', UpdateTime: 1e20 }] }, 'RequestTransition.0.UpdateTime'],
    ['1e20 LastUpdate', { ...base, LastUpdate: 1e20 }, 'LastUpdate'],
    ['1e20 history Time', { ...base, EventNumberHistory: [{ Time: 1e20, Datasets: {} }] }, 'EventNumberHistory.0.Time'],
    ['lone surrogate in a Campaign', { ...base, Campaigns: ['Run3\ud800'] }, 'Campaigns.0'],
    ['lone surrogate in a dataset key', { ...base, EventNumberHistory: [{ Time: 1, Datasets: { '\udc00': { Type: 'VALID', Events: 1, Size: 1 } } }] }, 'EventNumberHistory.0.Datasets'],
    ['history not a list', { ...base, EventNumberHistory: { Time: 1 } }, 'EventNumberHistory'],
    ['non-numeric Events', { ...base, EventNumberHistory: [{ Time: 1, Datasets: { d: { Type: 'VALID', Events: '5', Size: 1 } } }] }, 'Events'],
    ['no _id', { ...base, _id: undefined }, '_id']
  ]
  for (const [what, doc, path] of hostile) {
    it(`marks a document with ${what} invalid, with the path and the raw JSON`, () => {
      const view = toWorkflowView(doc)
      expect(isInvalidWorkflow(view)).toBe(true)
      if (!isInvalidWorkflow(view)) return
      expect(view.issues.join('\n')).toContain(path)
      expect(view.raw).toBe(JSON.stringify(doc, null, 2))
      // The raw text is well-formed (lone surrogates escaped) and the name printable.
      expect(encodeURIComponent(view.raw)).toBeTypeOf('string')
      expect(encodeURIComponent(view.name)).toBeTypeOf('string')
    })
  }

  it('never throws, whatever it is given', () => {
    const deep: Record<string, unknown> = {}
    let cursor = deep
    for (let i = 0; i < 200; i++) cursor = (cursor.x = {}) as Record<string, unknown>
    for (const value of [null, undefined, 5, 'text', [], [base], deep, { ...base, _id: '\ud800' }]) {
      const view = toWorkflowView(value)
      expect(isInvalidWorkflow(view)).toBe(true)
    }
    expect(viewName(toWorkflowView({ ...base, _id: 'a\ud800' }))).toBe('a\\ud800')
  })

  it('cuts a huge raw document and says how much is left out', () => {
    const view = toWorkflowView({ ...base, PrepID: 5, Big: 'x'.repeat(300_000) })
    expect(isInvalidWorkflow(view)).toBe(true)
    if (isInvalidWorkflow(view)) expect(view.raw).toMatch(/more characters\)$/)
  })
})
