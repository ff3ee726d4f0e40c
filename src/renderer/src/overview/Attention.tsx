import type { ReactNode } from 'react'
import type { OverviewDrill } from '../../../shared/overview/drill'
import { attentionCsv, familiesCsv, overviewFilename } from '../../../shared/overview/csv'
import { ATTENTION_LABELS, ATTENTION_REASONS, type AcdcFamily, type OverviewView } from '../../../shared/overview/types'
import { SearchLink } from '../components/SearchLink'
import { cellPercent, formatUtc, groupDigits } from './format'
import { onGridKeyDown } from './grid-keys'
import { CsvButton, SectionHead, useShowMore } from './TableTools'

interface Props {
  view: OverviewView
  onDrill: (drill: OverviewDrill) => void
  onOpen: (name: string) => void
}

const SHOWN = 20

function Reason({ view, reason, onDrill, onOpen }: Props & { reason: (typeof ATTENTION_REASONS)[number] }): ReactNode {
  const count = view.attention.counts[reason]
  const items = view.attention.entries.filter((item) => item.reason === reason)
  const { shown, more } = useShowMore(items, SHOWN)
  const id = `attention-${reason}`
  return (
    <div className="attention-group" data-testid={id} data-count={count}>
      <div className="overview-section-head">
        <h3 id={id}>{ATTENTION_LABELS[reason]} <span className="count-badge">{groupDigits(count)}</span></h3>
        <span className="spacer-flex" />
        <CsvButton file={() => ({ filename: overviewFilename(view, reason), content: attentionCsv(items) })} />
        {count > items.length ? <button type="button" className="button small" onClick={() => onDrill({ reason })}>List all {groupDigits(count)}</button> : null}
      </div>
      <table className="overview-table" onKeyDown={onGridKeyDown} aria-labelledby={id}>
        <thead><tr><th scope="col">Workflow</th><th scope="col">Since (UTC)</th><th scope="col">Why</th></tr></thead>
        <tbody>
          {shown.map((item) => (
            <tr key={`${item.workflow}|${item.reason}`}>
              <td><button type="button" className="cell-link mono" onClick={() => onOpen(item.workflow)}>{item.workflow}</button></td>
              <td className="nowrap">{formatUtc(item.since)}</td>
              <td>{item.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more}
    </div>
  )
}

function Families({ view, families, onOpen }: { view: OverviewView; families: readonly AcdcFamily[]; onOpen: (name: string) => void }): ReactNode {
  const { shown, more } = useShowMore(families, SHOWN)
  return (
    <div className="attention-group" data-testid="acdc-families" data-count={view.families.total}>
      <div className="overview-section-head">
        <h3 id="acdc-families">ACDC families <span className="count-badge">{groupDigits(view.families.total)}</span></h3>
        <span className="spacer-flex" />
        <CsvButton file={() => ({ filename: overviewFilename(view, 'acdc-families'), content: familiesCsv(families) })} />
      </div>
      <p className="overview-note">An original request and its Resubmissions, by PrepID. They write into the same datasets: the combined progress is the furthest of them, over the original's expected events.</p>
      <table className="overview-table" onKeyDown={onGridKeyDown} aria-labelledby="acdc-families">
        <thead><tr><th scope="col">PrepID</th><th scope="col">Workflows</th><th scope="col" className="num">Combined</th><th scope="col">First resubmission (UTC)</th></tr></thead>
        <tbody>
          {shown.map((family) => (
            <tr key={family.prepId}>
              <td><SearchLink className="mono" text={family.prepId} field="prepid" /></td>
              <td>
                <ul className="family-members">
                  {family.members.map((member) => (
                    <li key={member.workflow}>
                      <button type="button" className="cell-link mono" onClick={() => onOpen(member.workflow)}>{member.workflow}</button>{' '}
                      <span className="muted">{member.resubmission ? 'Resubmission' : 'original'}, {member.status}</span>
                    </li>
                  ))}
                </ul>
              </td>
              <td className="num">
                <span className="family-progress" role="img" aria-label={`${cellPercent(family)} done`}>
                  <span className="family-progress-fill" style={{ width: `${Math.min(100, family.expected > 0 ? (family.events / family.expected) * 100 : 0)}%` }} />
                </span>{' '}
                {cellPercent(family)}
              </td>
              <td className="nowrap">{family.since !== undefined ? formatUtc(family.since) : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more}
    </div>
  )
}

/** What needs attention, grouped by reason, each entry with why and since when; then the ACDC families. */
export function AttentionSection({ view, onDrill, onOpen }: Props): ReactNode {
  const reasons = ATTENTION_REASONS.filter((reason) => view.attention.counts[reason] > 0)
  return (
    <section className="overview-section" aria-labelledby="overview-attention">
      <SectionHead title="Needs attention" id="overview-attention" />
      <p className="overview-note">
        Stalled: running with no new events for {view.stallHours} h. Past their ETA: still producing after their own ETA.
        Output INVALID or DELETED while not rejected or aborted. Update failed: on the retry list of the store.
      </p>
      {reasons.length === 0 ? <p className="empty-note" data-testid="attention-none">Nothing needs attention in this selection.</p> : null}
      {reasons.map((reason) => <Reason key={reason} view={view} reason={reason} onDrill={onDrill} onOpen={onOpen} />)}
      {view.families.total > 0 ? <Families view={view} families={view.families.entries} onOpen={onOpen} /> : null}
    </section>
  )
}
