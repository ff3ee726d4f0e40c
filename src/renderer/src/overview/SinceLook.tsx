import type { ReactNode } from 'react'
import { overviewFilename, sinceLookCsv } from '../../../shared/overview/csv'
import { SINCE_KINDS, SINCE_LABELS, type OverviewView, type SinceKind } from '../../../shared/overview/types'
import { formatUtc, groupDigits } from './format'
import { onGridKeyDown } from './grid-keys'
import { CsvButton, SectionHead, useShowMore } from './TableTools'

const ENTRY_LABELS: Record<SinceKind, string> = {
  'new-workflow': 'New workflow',
  status: 'Status change',
  'dataset-valid': 'Dataset VALID',
  'update-failed': 'Update failed'
}

interface Props {
  view: OverviewView
  onOpen: (name: string) => void
}

/** What changed in this selection since this operator's last look. */
export function SinceLookSection({ view, onOpen }: Props): ReactNode {
  const since = view.sinceLook
  const { shown, more } = useShowMore(since?.entries ?? [], 10)
  if (!since) {
    return (
      <section className="overview-section" aria-labelledby="overview-since">
        <SectionHead title="Since your last look" id="overview-since" />
        <p className="muted" data-testid="since-first-look">This is your first look from here: what changes from now on is listed the next time you open the dashboard.</p>
      </section>
    )
  }
  const counts = SINCE_KINDS.filter((kind) => since.counts[kind] > 0).map((kind) => `${groupDigits(since.counts[kind])} ${SINCE_LABELS[kind].toLowerCase()}`)
  return (
    <section className="overview-section" aria-labelledby="overview-since" data-testid="since-look" data-total={since.total}>
      <SectionHead title="Since your last look" id="overview-since">
        {since.total > 0 ? <CsvButton file={() => ({ filename: overviewFilename(view, 'since-last-look'), content: sinceLookCsv(since.entries) })} /> : null}
      </SectionHead>
      <p className="overview-note">
        Your last look: {formatUtc(since.since)} UTC. {since.total === 0 ? 'Nothing changed in this selection since.' : `Since then: ${counts.join(', ')}.`}
        {since.total > since.entries.length ? ` The newest ${groupDigits(since.entries.length)} are listed.` : ''}
      </p>
      {since.total > 0 ? (
        <>
          <table className="overview-table" onKeyDown={onGridKeyDown} aria-labelledby="overview-since">
            <thead><tr><th scope="col">When (UTC)</th><th scope="col">What</th><th scope="col">Workflow</th><th scope="col">Detail</th></tr></thead>
            <tbody>
              {shown.map((entry, index) => (
                <tr key={`${entry.kind}|${entry.workflow}|${entry.time ?? ''}|${index}`} data-kind={entry.kind}>
                  <td className="nowrap">{entry.time !== undefined ? formatUtc(entry.time) : 'since then'}</td>
                  <td>{ENTRY_LABELS[entry.kind]}</td>
                  <td><button type="button" className="cell-link mono" onClick={() => onOpen(entry.workflow)}>{entry.workflow}</button></td>
                  <td className={entry.kind === 'dataset-valid' ? 'mono' : undefined}>{entry.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {more}
        </>
      ) : null}
    </section>
  )
}
