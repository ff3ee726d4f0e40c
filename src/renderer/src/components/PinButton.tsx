import type { ReactNode } from 'react'
import { WATCH_KIND_LABELS, type WatchItem } from '../../../shared/watchlist'
import { useWatchlistContext } from '../hooks/useWatchlist'

/** ☆ / ★: pins a workflow, PrepID or campaign to the watchlist (updated first, notifies). */
export function PinButton({ item, label = false }: { item: WatchItem; label?: boolean }): ReactNode {
  const { isPinned, toggle } = useWatchlistContext()
  const pinned = isPinned(item)
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
      aria-label={pinned ? `Unpin ${what}` : `Pin ${what}`}
      onClick={() => toggle(item)}
    >
      {pinned ? '★' : '☆'}{label ? (pinned ? ` Pinned ${WATCH_KIND_LABELS[item.kind]}` : ` Pin ${WATCH_KIND_LABELS[item.kind]}`) : null}
    </button>
  )
}
