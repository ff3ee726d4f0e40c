import { createContext, useContext, useEffect, useState } from 'react'
import type { OverviewSelection } from '../../../shared/overview/selection'
import { overviewLookSchema, type OverviewLook, type OverviewView } from '../../../shared/overview/types'
import { boundedNames } from '../../../shared/overview/compute'
import { getApi } from '../api'

/** Where the browser keeps the last look under `stats2 serve` (the service keeps nothing per operator). */
export const LOOK_KEY = 'stats2.overviewLook'
/**
 * The failed names a browser's look remembers, in characters: the look is sent back with each
 * request, and the read-only service takes request bodies of 64 KiB at most.
 */
const BROWSER_LOOK_CHARS = 40_000

export interface LookState {
  /** Known once the app answered where looks are kept. */
  ready: boolean
  where?: 'app' | 'browser'
  /** The look before this page was opened: what "since my last look" is measured from. */
  previous?: OverviewLook
}

export const LookContext = createContext<LookState>({ ready: false })

export function useLook(): LookState {
  return useContext(LookContext)
}

function readBrowserLook(): OverviewLook | undefined {
  try {
    const text = localStorage.getItem(LOOK_KEY)
    if (!text) return undefined
    const parsed = overviewLookSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/** Keeps this look in the browser (bounded); storage refused or full: not kept, nothing breaks. */
export function rememberBrowserLook(look: OverviewLook): void {
  try {
    localStorage.setItem(LOOK_KEY, JSON.stringify({ time: look.time, failed: boundedNames(look.failed, BROWSER_LOOK_CHARS) }))
  } catch {
    // not kept
  }
}

/**
 * Once per page: records this look and learns the previous one — from the app (desktop, `stats2 ui`:
 * its settings folder) or, under the read-only service, from this browser.
 */
export function useLookAtStart(): LookState {
  const [state, setState] = useState<LookState>({ ready: false })
  useEffect(() => {
    let current = true
    void getApi().markOverviewLook({}).then((result) => {
      if (!current) return
      if (!result.ok) return setState({ ready: true })
      if (result.value.where === 'browser') {
        const previous = readBrowserLook()
        setState({ ready: true, where: 'browser', ...(previous ? { previous } : {}) })
      } else {
        setState({ ready: true, where: 'app', ...(result.value.previous ? { previous: result.value.previous } : {}) })
      }
    })
    return () => {
      current = false
    }
  }, [])
  return state
}

export interface OverviewState {
  view?: OverviewView
  error?: string
  loading: boolean
}

/** The overview of a selection, since the previous look; reloaded when `refreshKey` changes (after an update). */
export function useOverviewData(selection: OverviewSelection, refreshKey: string, look: LookState, enabled = true): OverviewState {
  const [state, setState] = useState<OverviewState>({ loading: true })
  const key = JSON.stringify(selection)
  useEffect(() => {
    if (!enabled || !look.ready) return
    let current = true
    setState((previous) => ({ ...previous, loading: true }))
    void getApi().getOverview({ selection, ...(look.previous ? { since: look.previous } : {}) }).then((result) => {
      if (!current) return
      setState(result.ok ? { view: result.value, loading: false } : { error: result.error.message, loading: false })
    })
    return () => {
      current = false
    }
    // `selection` is compared by its key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, refreshKey, look.ready, look.previous, enabled])
  return state
}

/**
 * The "since my last look" badge of the Overview tab: how much changed in the whole store. Under
 * the read-only service it also keeps this look in the browser, once the first answer is in.
 */
export function useSinceBadge(look: LookState, refreshKey: string): number | undefined {
  const { view } = useOverviewData({ kind: 'all' }, refreshKey, look)
  const [kept, setKept] = useState(false)
  useEffect(() => {
    if (!view || kept || look.where !== 'browser') return
    rememberBrowserLook(view.lookNow)
    setKept(true)
  }, [view, kept, look.where])
  return view?.sinceLook?.total
}
