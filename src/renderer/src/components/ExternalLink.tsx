import type { MouseEvent, ReactNode } from 'react'
import { isAllowedExternalUrl } from '../../../shared/rules/links'
import { getApi } from '../api'
import { useNotify } from '../hooks/notices'

interface Props {
  url: string | undefined
  children: ReactNode
  /** What the link opens, for the tooltip and screen readers. */
  title?: string
  className?: string
}

/**
 * A link to a CMS service, opened in the operator's browser through the `openExternal` channel
 * (never by navigating this window). URLs outside the allow-list render nothing.
 */
export function ExternalLink({ url, children, title, className }: Props): ReactNode {
  const notify = useNotify()
  if (!url || !isAllowedExternalUrl(url)) return null
  const open = (event: MouseEvent<HTMLAnchorElement>): void => {
    event.preventDefault()
    event.stopPropagation()
    void getApi().openExternal({ url }).then((result) => {
      if (!result.ok) notify(`Could not open ${url}: ${result.error.message}`, 'error')
    })
  }
  return (
    <a
      className={className ? `external-link ${className}` : 'external-link'}
      href={url}
      rel="noreferrer noopener"
      title={title ? `${title} (opens in your browser): ${url}` : `Opens in your browser: ${url}`}
      onClick={open}
      onAuxClick={(event) => {
        if (event.button === 1) open(event)
        else event.preventDefault()
      }}
    >
      {children}
    </a>
  )
}
