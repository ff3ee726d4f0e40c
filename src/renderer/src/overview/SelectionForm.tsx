import { useEffect, useState, type ReactNode } from 'react'
import { OVERVIEW_FIELDS, OVERVIEW_FIELD_LABELS, type OverviewSelection } from '../../../shared/overview/selection'

type Kind = 'all' | 'search' | 'scope' | 'watchlist' | (typeof OVERVIEW_FIELDS)[number]

const KIND_LABELS: Record<Kind, string> = {
  all: 'Every stored workflow',
  search: 'Search (as the search box)',
  scope: 'The sync scope',
  watchlist: 'The watchlist',
  ...Object.fromEntries(OVERVIEW_FIELDS.map((field) => [field, `${OVERVIEW_FIELD_LABELS[field][0]!.toUpperCase()}${OVERVIEW_FIELD_LABELS[field].slice(1)}`]))
} as Record<Kind, string>

const ORDER: Kind[] = ['all', 'campaign', 'prepid', 'processing_string', 'type', 'output_dataset', 'input_dataset', 'request', 'workflow_name', 'search', 'scope', 'watchlist']

function kindOf(selection: OverviewSelection): Kind {
  return selection.kind === 'field' ? selection.field : selection.kind
}

function valueOf(selection: OverviewSelection): string {
  return selection.kind === 'field' ? selection.value : selection.kind === 'search' ? selection.text : ''
}

const needsValue = (kind: Kind): boolean => kind !== 'all' && kind !== 'scope' && kind !== 'watchlist'

interface Props {
  selection: OverviewSelection
  /** False under the read-only service, which has no watchlist. */
  watchlist: boolean
  onSelect: (selection: OverviewSelection) => void
}

/** Which workflows the overview covers. */
export function SelectionForm({ selection, watchlist, onSelect }: Props): ReactNode {
  const [kind, setKind] = useState<Kind>(kindOf(selection))
  const [value, setValue] = useState(valueOf(selection))
  const [problem, setProblem] = useState<string>()
  useEffect(() => {
    setKind(kindOf(selection))
    setValue(valueOf(selection))
    setProblem(undefined)
  }, [selection])
  const submit = (): void => {
    const text = value.trim()
    if (needsValue(kind) && text === '') return setProblem(`Give the ${KIND_LABELS[kind].toLowerCase()} to look at.`)
    if (text.length > (kind === 'search' ? 500 : 1000)) return setProblem('One name, PrepID or dataset at a time.')
    setProblem(undefined)
    if (kind === 'all' || kind === 'scope' || kind === 'watchlist') onSelect({ kind })
    else if (kind === 'search') onSelect({ kind: 'search', text })
    else onSelect({ kind: 'field', field: kind, value: text })
  }
  return (
    <form className="overview-selection" role="search" aria-label="Which workflows the overview covers" onSubmit={(event) => {
      event.preventDefault()
      submit()
    }}>
      <label className="inline-field">
        Overview of{' '}
        <select value={kind} onChange={(event) => setKind(event.target.value as Kind)} data-testid="overview-kind">
          {ORDER.filter((k) => k !== 'watchlist' || watchlist).map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
        </select>
      </label>
      {needsValue(kind) ? (
        <input
          type="text"
          className="overview-value"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          aria-label={KIND_LABELS[kind]}
          aria-invalid={problem !== undefined}
          aria-describedby={problem ? 'overview-selection-problem' : undefined}
          placeholder={kind === 'search' ? 'PrepID, campaign, dataset, …' : KIND_LABELS[kind]}
          data-testid="overview-value"
        />
      ) : null}
      <button type="submit" className="button small primary" data-testid="overview-show">Show</button>
      {problem ? <span id="overview-selection-problem" className="inline-error" role="alert">{problem}</span> : null}
    </form>
  )
}
