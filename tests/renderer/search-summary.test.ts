import { describe, expect, it } from 'vitest'
import { describeResult, emptyExplanation, workflowsWord } from '../../src/renderer/src/lib/search-summary'

describe('how a search was read', () => {
  it('names the field the text resolved to', () => {
    expect(describeResult({ text: 'HIG-X-00001', field: 'prepid', prefix: false, total: 12 })).toBe('12 workflows with PrepID “HIG-X-00001”')
    expect(describeResult({ text: 'Run2022D', field: 'campaign', prefix: false, total: 1 })).toBe('1 workflow in campaign “Run2022D”')
  })
  it('says "starting with" for prefix matches', () => {
    expect(describeResult({ text: 'task_HIG', field: 'prepid', prefix: true, total: 2345 })).toBe('2,345 workflows with PrepID starting with “task_HIG”')
  })
  it('describes listing everything and empty results', () => {
    expect(describeResult({ text: '', field: 'any', prefix: false, total: 3 })).toBe('All 3 workflows in the store')
    expect(describeResult({ text: 'zz', field: 'workflow', prefix: false, total: 0 })).toBe('No workflow matches “zz”')
    expect(describeResult({ text: 'zz', field: 'campaign', prefix: false, total: 0 })).toBe('No workflow has campaign “zz”')
    expect(emptyExplanation('workflow', 'any')).toContain('PrepID')
    expect(workflowsWord(1)).toBe('1 workflow')
  })
})
