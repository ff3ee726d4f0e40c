import { Fragment, type ReactNode } from 'react'

/** A dataset name that may break after each `/` (not in the middle of its parts). */
export function DatasetName({ name }: { name: string }): ReactNode {
  const parts = name.split('/')
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 ? '/' : null}
          {part}
          {index > 0 && index < parts.length - 1 ? <wbr /> : null}
        </Fragment>
      ))}
    </>
  )
}
