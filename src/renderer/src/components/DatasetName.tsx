import { Fragment, type ReactNode } from 'react'
import { showBidiControls } from '../../../shared/rules/bidi'

/** A dataset name that may break after each `/` (not in the middle of its parts). */
export function DatasetName({ name }: { name: string }): ReactNode {
  const parts = showBidiControls(name).split('/')
  // Isolated, with bidirectional controls shown (SafeText), and breakable after each `/`.
  return (
    <bdi>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 ? '/' : null}
          {part}
          {index > 0 && index < parts.length - 1 ? <wbr /> : null}
        </Fragment>
      ))}
    </bdi>
  )
}
