import type { ReactNode } from 'react'
import { WATCH_KIND_LABELS, type WatchItem } from '../../../shared/watchlist'
import { useWatchlistContext } from '../hooks/useWatchlist'
import { useReadOnlyService } from '../hooks/readOnlyService'

/** ☆ / ★: pins a workflow, PrepID or campaign to the watchlist (updated first, notifies). */
export function PinButton({ item, label = false }: { item: WatchItem; label?: boolean }): ReactNode {
  const { isPinned, toggle } = useWatchlistContext()
  const service = useReadOnlyService()
  const pinned = isPinned(item)
  // The read-only dashboard of `stats2 serve` has no watchlist.
  if (service) return null
  const what = `${WATCH_KIND_LABELS[item.kind]} ${item.value}`
  return (
    <button
      type="button"
      className={`button small ghost pin-button${pinned ? ' is-pinned' : ''}`}
      data-testid="pin"
      data-kind={item.kind}
      data-value={item.value}
      aria-pressed={pinned}
      title={pinned ? `Unpin ${what} from the watchlist` : `Pin ${what} to the watchlist: updated first, notifications when it progresses`}
      // Holds the words shown ("Pinned Workflow"); aria-pressed says whether it is pinned.
      aria-label={pinned ? `Pinned ${what}` : `Pin ${what}`}
      onClick={() => toggle(item)}
    >
      <span aria-hidden="true">{pinned ? '★' : '☆'}</span>{label ? (pinned ? ` Pinned ${WATCH_KIND_LABELS[item.kind]}` : ` Pin ${WATCH_KIND_LABELS[item.kind]}`) : null}
    </button>
  )
}
