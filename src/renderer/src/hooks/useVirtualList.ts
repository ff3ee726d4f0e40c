import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react'
import { computeWindow, type ListWindow } from '../lib/virtual-window'

interface Options<T> {
  items: readonly T[]
  keyOf: (item: T) => string
  estimate: (item: T) => number
  /** The element that scrolls. */
  scrollRef: RefObject<HTMLElement | null>
  /** The list inside it (it may start below other content: a chart, a toolbar). */
  listRef: RefObject<HTMLElement | null>
  overscan?: number
}

/**
 * Windowing for a long list with rows of different heights: renders only the rows near the
 * viewport; rows are measured once drawn (ResizeObserver) and estimated until then. A new list
 * first renders the rows in view only, and the `overscan` around them in the frame after it is
 * painted: those rows cost as much to build and lay out as the visible ones and nobody sees them yet.
 */
export function useVirtualList<T>(options: Options<T>): {
  window: ListWindow
  measureRef: (element: HTMLElement | null) => (() => void) | undefined
  /** Scrolls so that row `index` is rendered and in view (keyboard moves to a row not drawn yet). */
  scrollToIndex: (index: number) => void
} {
  const { items, keyOf, estimate, scrollRef, listRef, overscan = 800 } = options
  const heights = useRef(new Map<string, number>())
  const [version, setVersion] = useState(0)
  const [viewport, setViewport] = useState({ scrollTop: 0, height: 800 })
  const frame = useRef(0)
  // The items whose first frame was painted (then rendered with the overscan).
  const [paintedItems, setPaintedItems] = useState<readonly T[]>()
  const margin = paintedItems === items ? overscan : 0

  const readViewport = useCallback(() => {
    const scroller = scrollRef.current
    const list = listRef.current
    if (!scroller || !list) return
    const offset = list.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop
    const next = { scrollTop: scroller.scrollTop - offset, height: scroller.clientHeight }
    setViewport((previous) => (Math.abs(previous.scrollTop - next.scrollTop) < 1 && previous.height === next.height ? previous : next))
  }, [scrollRef, listRef])

  useEffect(() => {
    const scroller = scrollRef.current
    if (!scroller) return
    const onScroll = (): void => {
      cancelAnimationFrame(frame.current)
      frame.current = requestAnimationFrame(readViewport)
    }
    scroller.addEventListener('scroll', onScroll, { passive: true })
    const resize = new ResizeObserver(onScroll)
    resize.observe(scroller)
    readViewport()
    return () => {
      scroller.removeEventListener('scroll', onScroll)
      resize.disconnect()
      cancelAnimationFrame(frame.current)
    }
  }, [scrollRef, readViewport])

  // Rows measured after drawing: update their heights, re-window once per frame.
  const observer = useMemo(() => {
    let pending = 0
    return new ResizeObserver((entries) => {
      let changed = false
      for (const entry of entries) {
        const element = entry.target as HTMLElement
        const key = element.dataset.key
        if (!key) continue
        const height = Math.round(entry.borderBoxSize?.[0]?.blockSize ?? element.getBoundingClientRect().height)
        if (height > 0 && heights.current.get(key) !== height) {
          heights.current.set(key, height)
          changed = true
        }
      }
      if (changed) {
        cancelAnimationFrame(pending)
        pending = requestAnimationFrame(() => setVersion((value) => value + 1))
      }
    })
  }, [])
  useEffect(() => () => observer.disconnect(), [observer])

  const measureRef = useCallback((element: HTMLElement | null) => {
    if (!element) return undefined
    observer.observe(element)
    return () => observer.unobserve(element)
  }, [observer])

  // Content above the list may change height (chart shown or hidden): re-read the offset.
  useLayoutEffect(() => {
    readViewport()
  }, [items, readViewport, version])

  // A frame callback runs before that frame is painted; the update it asks for renders after.
  useEffect(() => {
    if (paintedItems === items) return
    const id = requestAnimationFrame(() => setPaintedItems(items))
    return () => cancelAnimationFrame(id)
  }, [items, paintedItems])

  const window = useMemo(() => {
    const list = items.map((item) => heights.current.get(keyOf(item)) ?? estimate(item))
    return computeWindow({ heights: list, scrollTop: viewport.scrollTop, viewportHeight: viewport.height, overscan: margin })
    // `version` stands for the measured heights held in the ref.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items, keyOf, estimate, viewport, margin, version])

  const scrollToIndex = useCallback((index: number) => {
    const scroller = scrollRef.current
    const list = listRef.current
    if (!scroller || !list) return
    let top = 0
    for (let i = 0; i < index && i < items.length; i++) top += heights.current.get(keyOf(items[i]!)) ?? estimate(items[i]!)
    const offset = list.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop
    scroller.scrollTop = Math.max(0, offset + top - scroller.clientHeight / 3)
  }, [items, keyOf, estimate, scrollRef, listRef])

  return { window, measureRef, scrollToIndex }
}
