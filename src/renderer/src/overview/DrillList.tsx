import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react'
import type { WorkflowProgress } from '../../../shared/ipc-contract'
import type { OverviewDrill } from '../../../shared/overview/drill'
import type { OverviewSelection } from '../../../shared/overview/selection'
import { selectionLabel } from '../../../shared/overview/selection'
import { ATTENTION_LABELS, type OverviewListResult } from '../../../shared/overview/types'
import { blockLabel } from '../../../shared/overview/priority-blocks'
import { getApi } from '../api'
import { Pager } from '../components/Pager'
import { ResultsList } from '../components/ResultsList'
import { MAX_SELECTED } from '../lib/updater-view'
import { groupDigits } from './format'

export const DRILL_PAGE_SIZE = 100

interface Props {
  selection: OverviewSelection
  drill: OverviewDrill
  page: number
  refreshKey: string
  now: number
  onPage: (page: number) => void
  onBack: () => void
  openName: string | undefined
  onOpen: (name: string) => void
  selected: ReadonlySet<string>
  onSelect: (names: string[], selected: boolean) => void
  progress: ReadonlyMap<string, WorkflowProgress>
  /** Undefined where updates are not offered (the read-only service). */
  update?: { running: boolean; blockedReason?: string; onUpdateSelected: () => void }
}

/** What a drill picks, in words: "in status running-open, campaign X". */
export function drillLabel(drill: OverviewDrill): string {
  const parts: string[] = []
  if (drill.reason) parts.push(ATTENTION_LABELS[drill.reason].toLowerCase())
  if (drill.status) parts.push(`in status ${drill.status}`)
  if (drill.pair) parts.push(`that went ${drill.pair.replace('\u2192', ' → ')} (longest first)`)
  if (drill.campaign) parts.push(`of campaign ${drill.campaign}`)
  if (drill.block !== undefined) parts.push(`in ${blockLabel(drill.block)}`)
  return parts.join(', ')
}

/** The workflows behind one overview cell, as the search lists them. Esc or Back returns to the overview. */
export function DrillList(props: Props): ReactNode {
  const { selection, drill, page, refreshKey, now } = props
  const [result, setResult] = useState<OverviewListResult>()
  const [error, setError] = useState<string>()
  const scrollRef = useRef<HTMLDivElement>(null)
  const listRef = useRef<HTMLDivElement>(null)
  const headingRef = useRef<HTMLHeadingElement>(null)
  const key = JSON.stringify([selection, drill, page])
  useEffect(() => {
    let current = true
    void getApi().getOverviewList({ selection, drill, page, pageSize: DRILL_PAGE_SIZE }).then((answer) => {
      if (!current) return
      if (answer.ok) {
        setResult(answer.value)
        setError(undefined)
      } else {
        setError(answer.error.message)
      }
    })
    return () => {
      current = false
    }
    // `key` stands for selection, drill and page.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, refreshKey])
  // Focus moves to the list's heading, so a keyboard user lands on what was opened.
  useEffect(() => headingRef.current?.focus(), [key])
  const { onSelect } = props
  const onToggle = useCallback((name: string, value: boolean) => onSelect([name], value), [onSelect])
  const rows = result?.rows ?? []
  const names = rows.filter((row) => row.raw === undefined).map((row) => row.name)
  return (
    <div className="results-pane overview-drill" ref={scrollRef} data-testid="overview-drill">
      <div className="results-head">
        <button type="button" className="button small" onClick={props.onBack} data-testid="drill-back" title="Back to the overview (Esc)">‹ Overview</button>
        <h2 className="drill-title" ref={headingRef} tabIndex={-1} data-testid="drill-title">
          {result ? `${groupDigits(result.total)} workflow${result.total === 1 ? '' : 's'}` : 'Workflows'} of {selectionLabel(selection)}, {drillLabel(drill)}
        </h2>
        <span className="spacer-flex" />
        {props.update && names.length > 0 ? (
          <>
            <button type="button" className="button small" onClick={() => onSelect(names, !names.every((name) => props.selected.has(name)))}>
              {names.every((name) => props.selected.has(name)) ? 'Unselect this page' : 'Select this page'}
            </button>
            <button
              type="button"
              className="button small primary"
              disabled={props.selected.size === 0 || props.selected.size > MAX_SELECTED || props.update.running || props.update.blockedReason !== undefined}
              title={props.update.blockedReason ?? 'Fetch the selected workflows from ReqMgr2 and DBS now'}
              onClick={props.update.onUpdateSelected}
            >
              Update selected{props.selected.size > 0 ? ` (${props.selected.size})` : ''}
            </button>
          </>
        ) : null}
        {result && result.total > result.pageSize ? <Pager page={page} pageSize={result.pageSize} total={result.total} onPage={props.onPage} position="top" /> : null}
      </div>
      {error ? <p className="alert alert-error" role="alert">The list could not be read: {error}</p> : null}
      {result && result.total === 0 ? <div className="empty-state"><p>No workflow of this selection is here any more (the store changed since the overview was drawn).</p></div> : null}
      {rows.length > 0 ? (
        <ResultsList rows={rows} now={now} selected={props.selected} openName={props.openName} progress={props.progress} onToggle={onToggle} onOpen={props.onOpen} scrollRef={scrollRef} listRef={listRef} />
      ) : null}
    </div>
  )
}
