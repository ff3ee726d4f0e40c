import type { ReactNode } from 'react'
import type { WorkflowDoc } from '../../../shared/stats2-doc'
import { usesLumis } from '../../../shared/rules/completion'
import { groupDigits, humanSize } from '../../../shared/rules/size'
import { formatUtc, timeAgo } from '../../../shared/rules/time-ago'
import { tierOf } from '../../../shared/rules/tiers'
import { TypeBadge } from './TypeBadge'
import '../styles/charts.css'

/** Every stored history entry, newest first: per output dataset events (or lumis), the change, Type and size. */
export function HistoryTable({ doc, now }: { doc: WorkflowDoc; now: number }): ReactNode {
  const lumis = usesLumis(doc)
  const entries = [...(doc.EventNumberHistory ?? [])].sort((a, b) => b.Time - a.Time)
  const datasets = [...(doc.OutputDatasets ?? [])]
  for (const entry of entries) for (const name of Object.keys(entry.Datasets ?? {})) if (!datasets.includes(name)) datasets.push(name)
  if (entries.length === 0) return <p className="empty-note">No history entries yet.</p>
  return (
    // Focusable, so the keyboard scrolls it (arrows, Page Up/Down) like the mouse wheel does.
    <div className="table-scroll" tabIndex={0} role="region" aria-label="History entries, newest first">
      <table className="history-table" data-testid="history-table">
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            {datasets.map((name) => (
              <th key={name} scope="col" className="num" title={name}>{tierOf(name)}<span className="th-sub">{lumis ? 'lumis' : 'events'}</span></th>
            ))}
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, index) => {
            const older = entries[index + 1]
            return (
              <tr key={`${entry.Time}-${index}`}>
                <td className="nowrap">{formatUtc(entry.Time)} <span className="muted">({timeAgo(entry.Time, now)} ago)</span></td>
                {datasets.map((name) => {
                  const stat = entry.Datasets?.[name]
                  if (!stat) return <td key={name} className="num muted">–</td>
                  const value = lumis ? (stat.Lumis ?? 0) : stat.Events
                  const before = older?.Datasets?.[name]
                  const delta = before ? value - (lumis ? (before.Lumis ?? 0) : before.Events) : undefined
                  return (
                    <td key={name} className="num" title={`${name}\n${humanSize(stat.Size)}`}>
                      {groupDigits(value)}
                      {delta ? <span className={delta > 0 ? 'delta up' : 'delta down'}>{delta > 0 ? '+' : '−'}{groupDigits(Math.abs(delta))}</span> : null}
                      <TypeBadge type={stat.Type} />
                    </td>
                  )
                })}
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
