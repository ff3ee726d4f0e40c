import type { ReactNode } from 'react'
import { typeColour } from '../../../shared/rules/completion'
import '../styles/workflow.css'

/** A dataset Type (VALID, PRODUCTION, …) in its colour. */
export function TypeBadge({ type }: { type: string }): ReactNode {
  return <span className={`type-badge type-${typeColour(type)}`}>{type}</span>
}
